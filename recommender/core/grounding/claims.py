"""What counts as a claim in a catalog and in a line: the genre names and catalog terms a line
is held to (``ClaimVocabulary``), the slots that say what a pick is, the makers a product line
names, and the prompt labels a line may not copy."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from recommender.catalog import Catalog, Item
from recommender.core.fact_phrases import OWN, SHARED
from recommender.vocabulary import GENRE_NOUNS, PRODUCT_TYPES, STOPWORDS, genre_synonyms, normalize
from recommender.vocabulary.fact_kinds import ATTRIBUTE_WORDS, PLAIN_WORDS, FactKind

MIN_TERM_ITEMS = 3  # a tag or product word must describe at least this many items to be a "term"
MIN_PRODUCT_WORD_ITEMS = 25
ATTRIBUTE_SLOT = re.compile(
    r"\b(?:a|an|another|one more|also a|also an)\s+([A-Za-z][A-Za-z'-]+)\s+"
    r"(?:film|movie|one|product|story|title|pick)s?\b", re.IGNORECASE)
"""An adjective slot: "another <word> film", "a <word> product"."""
MAKER = re.compile(r"\b(?:by|from|another|one more pick from)\s+((?:[A-Z0-9][\w'.&!+-]*)"
                    r"(?:\s+(?:[A-Z0-9][\w'.&!+-]*|and|&|of|de|la))*)")
"""A maker named in a product line: "by Dr Song", "from Banana Boat", "another Olay ..."."""
KIND_LABEL = re.compile(r"\((?:genre|theme|tag|studio|brand|line|type|attribute|decade|year|"
                         r"language|size)\)", re.IGNORECASE)
"""A prompt's label copied into a sentence: "a lavender (attribute) too"."""

PRODUCT_SLOT = re.compile(
    r"(?:^\s*|\b(?:is|also)\s+)(?:a|an|another|one more)\s+((?:[a-z][a-z-]+\s+)?[a-z][a-z-]+)"
    r"(?=\s+(?:by|from|too|as well)\b|\s*[.,;])")
"""What a product line says the pick is: "is a blotter by Johnson's", "is another body
lotion." Its words must be the pick's own (title, type, facts)."""
SLOT_PLAIN = frozenset("""more other similar same new different kind sort beauty product
products one""".split())
"""Words an attribute slot may hold that claim nothing."""
PROFILE_PHRASING = frozenset(
    """you enjoy products product with focus leaning toward towards mix more than once often
    loyalty again plenty taste like such mostly range variety""".split())
"""Words a product profile may use besides the liked titles' own ("a leaning toward X")."""


@dataclass(frozen=True)
class ClaimVocabulary:
    genres: dict[str, str]  # normalised phrase → catalog genre
    terms: frozenset[str]   # normalised tags / product words


def build_vocabulary(catalog: Catalog) -> ClaimVocabulary:
    # Every genre word we know is a claim, in any catalog: calling a thriller "horror" is
    # unsupported whether or not the catalog has a horror genre at all.
    genres = genre_synonyms()
    genres.update({normalize(g): g for g in catalog.genres})
    counts: Counter[str] = Counter()
    if catalog.kind == "movies":
        for item in catalog.items:
            counts.update({normalize(t) for t in item.tags})
        minimum = MIN_TERM_ITEMS
    else:
        for item in catalog.items:
            counts.update(set(normalize(item.title).split()))
        minimum = MIN_PRODUCT_WORD_ITEMS
    generic = {catalog.noun, catalog.noun + "s", catalog.kind}  # "product" is no claim
    terms = {
        t for t, n in counts.items()
        if n >= minimum and len(t) >= 4 and t not in STOPWORDS and not t.isdigit()
        and t not in genres and t not in generic
    }
    terms |= fact_terms(catalog, genres.keys() | generic)
    return ClaimVocabulary(genres=genres, terms=frozenset(terms))


MIN_FACT_ITEMS = {FactKind.KEYWORD: MIN_TERM_ITEMS, FactKind.STUDIO: 1, FactKind.BRAND: 2,
                   FactKind.LINE: 2, FactKind.LANGUAGE: 1, FactKind.ATTRIBUTE: 1}
"""Items that must carry a fact for its names to be claims the checker holds to the pick: a
keyword of a film or two reads as plain English more often than as a claim."""


def phrasing_words() -> frozenset[str]:
    """The words of the fact clauses (``fact_phrases``) and genre nouns: the phrasing, never a
    claim ("story", "theme", "scent", "line")."""
    text = " ".join([*(p for ps in (*SHARED.values(), *OWN.values()) for p in ps),
                     *(n for pair in GENRE_NOUNS.values() for n in pair)])
    return frozenset(normalize(text.replace("{", " ").replace("}", " ")).split())


def fact_terms(catalog: Catalog, excluded: Collection[str]) -> set[str]:
    """The names of the catalog's studios, keywords, languages, brands, lines and attribute
    words carried by enough items (``MIN_FACT_ITEMS``): claims the pick must hold."""
    plain = phrasing_words() | STOPWORDS | PLAIN_WORDS
    english = lower_case_words(catalog)
    out: set[str] = set()
    for fact in catalog.distinct_facts():
        least = MIN_FACT_ITEMS.get(fact.kind)
        if least is None or (least > 1 and catalog.items_with(fact) < least):
            continue
        names = fact.names if fact.kind != FactKind.STUDIO else \
            [n for n in fact.names if n == fact.key or n not in english]
        out.update(n for n in names if len(n) >= 4 and n not in plain
                   and n not in excluded and not n.isdigit())
    if catalog.kind == "products":
        out.update(normalize(w) for ws in ATTRIBUTE_WORDS.values() for w in ws
                   if normalize(w) not in plain and len(normalize(w)) >= 4)
    return out


LOWER_WORD = re.compile(r"(?<![\w'])[a-z]+\b")


def lower_case_words(catalog: Catalog) -> frozenset[str]:
    """Words the catalog's overviews write in lower case: plain English, so a studio's short
    name that is one ("legendary" of Legendary Pictures, "imagine") is no claim."""
    return frozenset(w for item in catalog.items if item.description
                     for w in LOWER_WORD.findall(item.description))


def kind_labels(text: str) -> list[str]:
    return [m.group(0) for m in KIND_LABEL.finditer(text)]


def foreign_makers(text: str, item: Item) -> list[str]:
    """The makers a product line names that are not the pick's brand or line (or the start of
    one: "Mrs. Meyer's" of Mrs. Meyer's Clean Day): "another Mrs. Meyer's hand soap" of an EO
    soap, "a mask by Clear Deep Nourishing Treatment" of a Clear mask."""
    if not item.facts:
        return []  # a catalog that states no brands (an upload): nothing to hold it to
    own = [no_the(f.key) for f in item.facts if f.kind in (FactKind.BRAND, FactKind.LINE)]
    brands = [no_the(f.key) for f in item.facts if f.kind == FactKind.BRAND]
    title = f"{no_the(normalize(item.title))} "
    out = []
    for match in MAKER.finditer(text):
        named = no_the(normalize(match.group(1)))
        if not named or named.isdigit():
            continue
        if any(f"{key} ".startswith(f"{named} ") or f"{named} ".startswith(f"{key} ")
               and made_of_type_words(named[len(key):]) for key in own):
            continue  # the brand or line, or its start ("Mrs. Meyer's"), with a type
        if title.startswith(f"{named} ") and (not brands or any(
                f"{named} ".startswith(f"{b} ") for b in brands)) or f" by {named} " in title:
            continue  # the maker as the title writes it ("Naked Bee", "NYX Cosmetics", "... By
            # Dolce and Gabbana For Women")
        out.append(match.group(1).rstrip(".!,;:"))
    return out


def no_the(text: str) -> str:
    return text[4:] if text.startswith("the ") else text


def made_of_type_words(rest: str) -> bool:
    """Is ``rest`` (what follows a brand: "hand soap", "") made only of product-type words?"""
    return all(w in TYPE_WORDS for w in rest.split())


TYPE_WORDS = frozenset(w for phrases in PRODUCT_TYPES.values() for p in phrases
                        for w in normalize(p).split()) | {"product", "products"}
