"""Grounding: does an explanation claim only what the catalog holds?

Explanations open with "Like <history item>, <pick> is" (or "<pick> is" when the two share
nothing), so what follows describes the pick.
The checker finds three kinds of claim and flags those the catalog does not support:

* a year (``1979``) or decade (``80s``) that is not the pick's (or written in a title);
* a catalog term (a genre, a user tag, or, for products, a common product word) that does not
  occur in the pick's own catalog text (title, genres, tags, description);
* the title of another catalog item, typed with capitals.

``claims`` holds what counts as a claim, ``lints`` the prose lints, ``guard_words`` the decoding
guards' word lists built from the same claims, ``text`` the helpers they share.

It also tells whether an explanation states any fact of the pick at all ("is a favorite of mine"
does not), so that empty praise can be replaced too; and whether it names a fact the pick shares
with the history item it compares it to ("Like Alien, Aliens is an action film too" does not:
Alien is no action film).
"""

from __future__ import annotations

from collections.abc import Sequence

from recommender.catalog import Catalog, Item
from recommender.core.fact_phrases import CONTRAST_MARKERS
from recommender.core.facts import shared_facts, shared_with, short_title
from recommender.core.grounding.claims import (
    ATTRIBUTE_SLOT,
    PRODUCT_SLOT,
    PROFILE_PHRASING,
    SLOT_PLAIN,
    build_vocabulary,
    foreign_makers,
    kind_labels,
    phrasing_words,
)
from recommender.core.grounding.guard_words import GuardWords
from recommender.core.grounding.lints import (
    ING_NOUNS,
    claims_novelty,
    claims_sameness,
    ing_nouns_of,
    repeats_itself,
    uses_a_describing_word_as_a_thing,
    uses_the_wrong_article,
)
from recommender.core.grounding.text import (
    ANY_YEAR_RE,
    DECADE_RE,
    SHORT_YEAR_RE,
    YEAR_RE,
    fact_text,
    in_text,
    joined_numbers,
    named_years,
    ngrams,
    own_product_words,
    singular,
)
from recommender.core.linking import TitleLinker
from recommender.vocabulary import STOPWORDS, normalize
from recommender.vocabulary.fact_kinds import SPECIFIC_KINDS, Fact, FactKind

__all__ = ["GroundingChecker"]


class GroundingChecker(GuardWords):
    """Finds unsupported claims in explanations about items of one catalog."""

    def __init__(self, catalog: Catalog, linker: TitleLinker | None = None) -> None:
        self.catalog = catalog
        self.linker = linker or TitleLinker(catalog)
        self.vocabulary = build_vocabulary(catalog)
        self._one_word_claims = frozenset(
            p for p in (*self.vocabulary.genres, *self.vocabulary.terms)
            if " " not in p and len(p) >= 3 and not any(c.isdigit() for c in p))
        self._plain_words = STOPWORDS | {catalog.noun, catalog.noun + "s", catalog.kind,
                                          "film", "films", "movie", "movies", "product"}
        self._ing_nouns = ING_NOUNS | ing_nouns_of(catalog)
        self._slot_plain = self._plain_words | phrasing_words() | SLOT_PLAIN
        self._max_term_words = max((len(t.split()) for t in (*self.vocabulary.terms,
                                                              *self.vocabulary.genres)), default=1)

    def unsupported_claims(self, explanation: str, item: Item, history: Sequence[Item]) -> list[str]:
        """Every claim in ``explanation`` that ``item`` and ``history`` do not support."""
        allowed = [item, *history]
        claims = self._years(explanation, named_years(allowed, item.year), film=bool(item.year))
        claims += self._terms(explanation, item)
        claims += self._slot_words(explanation, item)
        claims += kind_labels(explanation)
        if self.catalog.kind == "products":
            claims += foreign_makers(explanation, item)
        claims += self._titles(explanation, allowed)
        return list(dict.fromkeys(claims))

    def _slot_words(self, text: str, item: Item) -> list[str]:
        """The words in an attribute slot ("another educational film", "a soothing product")
        that are not the catalog's: no genre name, no word of the pick's title, description
        or facts. What a film or product is *like* must be said in the catalog's words."""
        own = f" {normalize(item.document(10_000))} {fact_text(item)} "
        out = []
        if self.catalog.kind == "products":
            for match in PRODUCT_SLOT.finditer(text):  # "is a blotter by Johnson's"
                out += [w for w in normalize(match.group(1)).split()
                        if w not in self._slot_plain and not in_text(w, own)
                        and not in_text(singular(w), own)]
        for match in ATTRIBUTE_SLOT.finditer(text):
            word = normalize(match.group(1))
            if word and word not in self.vocabulary.genres and word not in self._slot_plain \
                    and not in_text(word, own) and not in_text(singular(word), own):
                out.append(word)
        return out

    def unsupported_profile_claims(self, profile: str, history: Sequence[Item]) -> list[str]:
        """Every claim in a taste profile that no item of ``history`` supports: a genre or
        catalog term none of them holds, a year or decade none is from, another item's title.
        ("You enjoy westerns and horror" for High Noon and Rio Bravo: "horror".)"""
        if not history:
            return []
        years = named_years(history, *(h.year for h in history))
        claims = self._years(profile, years)
        first, *others = [self._terms(profile, h) for h in history]
        claims += [t for t in first if all(t in other for other in others)]
        claims += self._titles(profile, history)
        if self.catalog.kind == "products":
            claims += self._foreign_product_words(profile, history)
        return list(dict.fromkeys(claims))

    def _foreign_product_words(self, profile: str, history: Sequence[Item]) -> list[str]:
        """A product's facts are its title's and description's words, so a product profile
        may name only those of the liked items (and plain phrasing): "a leaning toward oil,
        lavender and lollipop" for lavender oils claims "lollipop"."""
        own = own_product_words(history)
        return [w for w in normalize(profile).split()
                if len(w) >= 3 and w.isalpha() and w not in self._plain_words
                and w not in PROFILE_PHRASING and singular(w) not in own]

    @staticmethod
    def claims_sameness(text: str) -> bool:
        """Does ``text`` say the pick is like the title it names (``lints``)?"""
        return claims_sameness(text)

    @staticmethod
    def claims_novelty(text: str) -> bool:
        """Does ``text`` say the pick is new to the list (``lints``)?"""
        return claims_novelty(text)

    @staticmethod
    def repeats_itself(text: str) -> bool:
        """Does ``text`` name one thing twice in a row (``lints``)?"""
        return repeats_itself(text)

    def uses_a_describing_word_as_a_thing(self, text: str) -> bool:
        """Does ``text`` end a noun phrase on a describing -ing word (``lints``)?"""
        return uses_a_describing_word_as_a_thing(text, self._ing_nouns)

    @staticmethod
    def uses_the_wrong_article(text: str) -> bool:
        """Does ``text`` write "a" before a vowel or "an" before a consonant (``lints``)?"""
        return uses_the_wrong_article(text)

    def profile_states_a_fact(self, profile: str, history: Sequence[Item]) -> bool:
        """Does the profile name a genre, tag, year or name word of some history item?"""
        return any(self.states_a_fact(profile, h) for h in history)

    def states_a_fact(self, text: str, item: Item) -> bool:
        """Does ``text`` mention a genre, tag, year, or a description or title word of ``item``?"""
        words = normalize(text).split()
        if item.year and str(item.year) in words:
            return True
        own = {g.lower() for g in item.genres}
        tags = {normalize(t) for t in item.tags}
        for phrase in ngrams(words, max(self._max_term_words, 2)):
            genre = self.vocabulary.genres.get(phrase)
            if (genre and genre.lower() in own) or phrase in tags:
                return True
        padded = f" {' '.join(words)} "
        if any(f" {name} " in padded for f in item.facts for name in f.names):
            return True  # a studio, keyword, language, brand, line, type or attribute
        content = {singular(w) for w in normalize(f"{item.title} {item.description}").split()
                   if len(w) >= 3 and w not in STOPWORDS}  # 3: "oil", "gel", "lip"
        return bool(content & {singular(w) for w in words})  # "moisturizers": a Moisturizer

    def names_a_shared_fact(self, text: str, item: Item, other: Item) -> bool:
        """Does ``text`` name a genre, tag or name word that ``item`` and ``other`` both have,
        or the decade both are from?"""
        shared = shared_with(item, other)
        words = normalize(text).split()
        padded = f" {' '.join(words)} "
        for phrase in ngrams(words, max(self._max_term_words, 2)):
            if self.vocabulary.genres.get(phrase) in shared.genres:
                return True
        if any(f" {normalize(t)} " in padded for t in shared.tags):
            return True
        if any(f" {w} " in padded for w in shared.words):
            return True
        if any(f" {name} " in padded for f in shared.facts if f.kind in SPECIFIC_KINDS
               or f.kind in (FactKind.TYPE, FactKind.LANGUAGE) for name in f.names):
            return True
        if item.year and other.year and item.year // 10 == other.year // 10:
            decade = item.year // 10 % 10
            return str(item.year) in words or any(int(m["decade"]) == decade
                                                  for m in DECADE_RE.finditer(text))
        return False

    def unshared_claims(self, text: str, item: Item, other: Item) -> list[str]:
        """The studios, themes, tags, brands, lines and attributes of ``item`` that ``text``
        says before any contrast ("this one", "while", ``CONTRAST_MARKERS``) though ``other``,
        the item it is compared with, lacks them: "Like Vertigo, North by Northwest is another
        Cary Grant film" when only the pick is tagged so. After a contrast a fact is the
        pick's alone ("...; this one about time travel")."""
        words = normalize(text).split()
        cut = min((i for i, w in enumerate(words)
                   for marker in CONTRAST_MARKERS
                   if words[i:i + len(marker.split())] == marker.split()), default=len(words))
        before = f" {' '.join(words[:cut])} "
        shared = {(f.kind, f.key) for f in shared_facts(item, other)}
        shared_names = {n for f in shared_facts(item, other) for n in f.names}
        out = []
        for fact in item.facts + tuple(Fact(FactKind.TAG, t) for t in item.tags):
            if fact.kind not in SPECIFIC_KINDS or (fact.kind, fact.key) in shared:
                continue
            out += [name for name in fact.names if f" {name} " in before
                    and name not in shared_names and name not in self._plain_words
                    and not any(f" {name} " in f" {s} " for s in shared_names)]
        return list(dict.fromkeys(out))

    # -- kinds of claim -----------------------------------------------------------------------

    def _years(self, text: str, years: set[int], film: bool = False) -> list[str]:
        """The years and decades ``text`` names that are not of ``years``; about a ``film``,
        every four-digit number counts, and so does a year cut short ("from 2.")."""
        text = joined_numbers(text)
        out = [m.group(0) for m in (ANY_YEAR_RE if film else YEAR_RE).finditer(text)
               if int(m.group(0)) not in years]
        if film:
            out += [m.group(0) for m in SHORT_YEAR_RE.finditer(text)]
        for match in DECADE_RE.finditer(text):
            century, digit = match["century"], int(match["decade"])
            decades = {(y // 10) % 10 for y in years if not century or str(y)[:2] == century}
            if digit not in decades:
                out.append(match.group(0))
        return out

    def _terms(self, text: str, item: Item) -> list[str]:
        words = normalize(text).split()
        allowed_text = f" {normalize(item.document(10_000))} {fact_text(item)} "
        allowed_genres = set(item.genres)
        out = []
        for phrase in ngrams(words, self._max_term_words):
            genre = self.vocabulary.genres.get(phrase)
            if genre is not None:
                if genre not in allowed_genres and f" {phrase} " not in allowed_text:
                    out.append(phrase)
            elif phrase in self.vocabulary.terms and not in_text(phrase, allowed_text) and \
                    not self._genres_of(phrase, allowed_genres):
                out.append(phrase)
        return out

    def _genres_of(self, phrase: str, genres: set[str]) -> bool:
        """Is ``phrase`` made of names of ``genres`` only ("romantic drama" of a film that is a
        drama and a romance, though "romantic drama" is also a keyword)?"""
        words = phrase.split()
        return len(words) > 1 and all(self.vocabulary.genres.get(w) in genres for w in words)

    def _titles(self, text: str, allowed: Sequence[Item]) -> list[str]:
        allowed_ids = {i.item_id for i in allowed}
        fact_names = {n for i in allowed for f in i.facts for n in f.names}
        written = f" {normalize(text)} "
        allowed_titles = [f" {t} " for i in allowed for t in {normalize(i.title),
                                                             normalize(short_title(i))}]
        out = []
        for mention in self.linker.link_message(text).linked:
            words = mention.text.split()
            if mention.item_id in allowed_ids or not words or not words[0][:1].isupper():
                continue
            named = f" {normalize(mention.text)} "
            if any(named in title and title in written for title in allowed_titles):
                continue  # "Toy Story" inside "Toy Story 2", written whole
            if len(words) == 1 and (text.startswith(mention.text) or
                                    normalize(mention.text) in self.vocabulary.terms):
                continue  # a capital at the start of the sentence, or a plain catalog word
            if normalize(mention.text) in fact_names:
                continue  # a brand, line or studio of the pick or a title liked ("OPI")
            out.append(mention.text)
        return out
