"""The words the product reads, in one place: normalisation, stop words and filler (``words``),
the genres with their synonyms and nouns (``genres``), years and decades (``years``), product
types (``products``), and the kinds of fact an explanation may state (``fact_kinds``).

Reading a message (``conversation.reading``), linking titles (``core.linking``), checking and
writing explanations (``core.grounding``, ``core.fact_phrases``) and the fine-tuning targets
(``finetune``) all take their words from here, so they cannot disagree."""

from recommender.vocabulary.genres import (
    GENRE_NOUNS,
    GENRE_WORDS,
    PROFILE_GENRES,
    GenreWords,
    genre_synonyms,
    request_genre_words,
)
from recommender.vocabulary.products import PACKAGING_WORDS, PRODUCT_TYPES, product_types
from recommender.vocabulary.words import (
    REQUEST_FILLER,
    STOPWORDS,
    TITLE_FILLER,
    folded,
    names_any,
    normalize,
    tokens,
)
from recommender.vocabulary.years import CATALOG_YEAR, DECADE_PATTERN, REQUEST_YEAR, YEAR

__all__ = ["normalize", "tokens", "folded", "names_any", "STOPWORDS", "TITLE_FILLER",
           "REQUEST_FILLER", "GenreWords", "GENRE_WORDS", "GENRE_NOUNS", "PROFILE_GENRES",
           "genre_synonyms", "request_genre_words", "YEAR", "CATALOG_YEAR", "REQUEST_YEAR",
           "DECADE_PATTERN", "PRODUCT_TYPES", "product_types", "PACKAGING_WORDS"]
