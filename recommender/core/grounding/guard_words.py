"""The decoding guards' word lists, from the same claims the checker reads: the words an
explanation or a profile may not write, what an explanation may quote, the words a product profile
is kept to, and the year beginnings a line may not start."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from recommender.catalog import Catalog, Item
from recommender.core.facts import Anchor
from recommender.core.grounding.claims import PROFILE_PHRASING, ClaimVocabulary
from recommender.core.grounding.text import (
    NUMBER_RE,
    fact_text,
    in_text,
    named_years,
    own_product_words,
)
from recommender.vocabulary import normalize
from recommender.vocabulary.fact_kinds import SPECIFIC_KINDS, Fact


class GuardWords:
    """The guard word lists of a ``GroundingChecker`` (which holds the catalog's claim vocabulary
    and its plain words)."""

    catalog: Catalog
    vocabulary: ClaimVocabulary
    _plain_words: frozenset[str]
    _one_word_claims: frozenset[str]

    def profile_vocabulary(self, history: Sequence[Item]) -> frozenset[str]:
        """The words a taste profile of ``history`` may use, for the profile's vocabulary
        guard: for products, the words ``_foreign_product_words`` lets through (the liked
        items' own words, their plurals, plain phrasing), and of the words of one or two
        letters, which it does not read, only those ("a", "of", "lip", "3d"). Empty for films, whose
        profiles name genres and titles and are checked claim by claim."""
        if self.catalog.kind != "products" or not history:
            return frozenset()
        own = own_product_words(history)
        plurals = {f"{w}s" for w in own if len(w) >= 3 and not w.endswith("s")}
        return frozenset({*own, *plurals, *self._plain_words, *PROFILE_PHRASING})

    def avoid_words(self, item: Item, anchor: Anchor) -> list[str]:
        """The decoding guard's words for an explanation of ``item`` that names ``anchor``: the
        one-word catalog terms and genre names it must not use (those the checker would flag,
        and genres of the pick the anchor lacks when the two share one), less any word that also
        names an allowed one or says nothing (stopwords, "film", the catalog's noun). Phrases of
        several words are left to the checker: their first word ("based", "bad") is often
        plain English. For a pick with a year, the beginnings of the years it may not name
        (``wrong_year_starts``): "The Fugitive (1993) is a thriller from 199", then "3" or "0"."""
        allowed_text = f" {normalize(item.document(10_000))} {fact_text(item)} "
        genres = set(anchor.genres) or set(item.genres)
        words = self._avoid(lambda phrase, genre: genre in genres or (
            genre not in item.genres and f" {phrase} " in allowed_text), allowed_text)
        if item.year is None:
            return words
        named = (item, anchor.item)
        return words + wrong_year_starts(named_years(named, item.year),
                                         NUMBER_RE.findall(" ".join(i.title for i in named)))

    @staticmethod
    def quotable_words(anchor: Anchor, own: Fact | None = None) -> frozenset[str]:
        """The words an explanation that names ``anchor`` may put in quotation marks: the name
        words, tags, themes and other specific facts the pick shares with it (“nail”,
        “dystopia”), and the words of the pick's ``own`` fact it is given ("this one with the
        theme “bomb”"); none else: a quoted word reads as a shared name or tag, and "another
        “hand” product" of a toe-nail clipper beside a hand soap says what is not so
        (``QuotationGuard``)."""
        return frozenset({*anchor.words, *(w for t in anchor.tags for w in normalize(t).split()),
                          *(w for f in anchor.facts if f.kind in SPECIFIC_KINDS
                            for w in f.key.split()),
                          *(own.key.split() if own is not None else ())})

    def avoid_profile_words(self, history: Sequence[Item]) -> list[str]:
        """The guard's words for a taste profile of ``history``: the one-word genre names and
        catalog terms no history item holds (``unsupported_profile_claims`` would flag them)."""
        allowed_text = " ".join(["", *(f"{normalize(h.document(10_000))} {fact_text(h)}"
                                       for h in history), ""])
        genres = {g for h in history for g in h.genres}
        return self._avoid(lambda phrase, genre: genre in genres or f" {phrase} " in allowed_text,
                           allowed_text)

    def _avoid(self, genre_allowed: Callable[[str, str], bool], allowed_text: str) -> list[str]:
        avoid, keep = set(), set(self._plain_words)
        for phrase, genre in self.vocabulary.genres.items():
            (keep if genre_allowed(phrase, genre) else avoid).update(phrase.split())
        for phrase in self.vocabulary.terms:
            (keep if in_text(phrase, allowed_text) else avoid).update(phrase.split())
        return sorted((avoid - keep) & self._one_word_claims)


YEAR_SPAN = range(1000, 3000)
"""The numbers an explanation may not start unless the pick is from one of them: every
four-digit number a reader takes for a year ("from 1760", "from 2100" as well as "from 1990")."""


def wrong_year_starts(years: Collection[int], numbers: Collection[str] = ()) -> list[str]:
    """The shortest beginnings, of two digits or more, that start a number of ``YEAR_SPAN`` but
    none of ``years``, their decades or ``numbers`` (written in the titles): blocked after a
    space while an explanation is decoded (digits are single tokens, so " 19" may go on only to
    a year or decade that is allowed). For 1993: "10" ... "18", "190" ... "198", "1991",
    "1992", "1994" ... "1999", "20" ... "29" ("1990" stays for "the 1990s"; written alone,
    the checker still flags it)."""
    allowed = {str(y) for y in years} | {str(y // 10 * 10) for y in years} | set(numbers)
    starts = {a[:n] for a in allowed for n in range(2, len(a) + 1)}
    blocked = {next((s[:n] for n in range(2, 5) if s[:n] not in starts), None)
               for s in map(str, YEAR_SPAN)}
    return sorted(blocked - {None})
