"""Grounding: does an explanation claim only what the catalog holds?

Explanations open with "Like <history item>, <pick> is" (or "<pick> is" when the two share
nothing), so what follows describes the pick.
The checker finds three kinds of claim and flags those the catalog does not support:

* a year (``1979``) or decade (``80s``) that is not the pick's (or written in a title);
* a catalog term (a genre, a user tag, or, for products, a common product word) that does not
  occur in the pick's own catalog text (title, genres, tags, description);
* the title of another catalog item, typed with capitals.

It also tells whether an explanation states any fact of the pick at all ("is a favorite of mine"
does not), so that empty praise can be replaced too; and whether it names a fact the pick shares
with the history item it compares it to ("Like Alien, Aliens is an action film too" does not:
Alien is no action film).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from recommender.catalog import Catalog, Item
from recommender.core.fact_phrases import CONTRAST_MARKERS, GENRE_NOUNS, OWN, SHARED
from recommender.core.facts import Anchor, shared_facts, shared_with, short_title
from recommender.fact_kinds import ATTRIBUTE_WORDS, PLAIN_WORDS, SPECIFIC_KINDS, Fact, FactKind
from recommender.core.linking import TitleLinker
from recommender.vocabulary import (
    DECADE_PATTERN,
    PRODUCT_TYPES,
    STOPWORDS,
    genre_synonyms,
    normalize,
    product_types,
)

__all__ = ["GroundingChecker", "NOVELTY_STOPS", "YEAR_SPAN", "wrong_year_starts"]

_YEAR = re.compile(r"\b(18[89]\d|19\d\d|20[0-3]\d)\b")
_ANY_YEAR = re.compile(r"\b[12]\d{3}\b")
"""In a line about a film (it has a year), every four-digit number of ``YEAR_SPAN`` reads as a
year: "an exciting drama from 2100" is no more true than "from 1990"."""
_DECADE = re.compile(rf"\b{DECADE_PATTERN}")
_NUMBER = re.compile(r"\d+")
_SHORT_YEAR = re.compile(r"\bfrom \d{1,3}\b(?![\d,.]\d|s\b)")
"""A film "from 2." (digits cut short of a year): it says no year, and reads as a wrong one."""
_SPLIT_NUMBER = re.compile(r"\b(\d{1,3}) (\d{1,3})\b")
"""A four-digit number the model wrote with a space inside ("from 2 017"), read as the year
it shows a reader."""
_MIN_TERM_ITEMS = 3  # a tag or product word must describe at least this many items to be a "term"
_MIN_PRODUCT_WORD_ITEMS = 25

_SAMENESS = re.compile(r"\b(another|also|too|as well|same|similar|again)\b", re.IGNORECASE)
"""Words that say the pick is like the title named: false when the two share nothing."""
_NOVELTY = re.compile(r"\b(new to|your list|something (?:new|different)|for a change|a change|"
                      r"not have|(?:kind|type) (?:you|the|your)|to try)\b", re.IGNORECASE)
"""Words that say the pick is unlike the list (the lines about a pick that shares nothing):
false after "Like <title>," of a title it shares something with."""
NOVELTY_STOPS = (", new to", ", a kind", ", something different", ", something new",
                 " for a change", ", a change", " to try")
"""Where a line that names a title the pick is like stops: the clauses the adapter learnt for a
pick that shares nothing ("a shampoo, new to your list" of a shampoo fan's pick). Blocking
their words instead made it write around them: "a kind you do not have", "a sort my name also
has"; stopped there, the line keeps what it said before ("... is a face wash.")."""
_LIST_JOINS = re.compile(r",|;|\band\b|\bor\b|\bwith\b", re.IGNORECASE)
_ING_AS_THING = re.compile(r"\b(?:a|an|another)\s+([a-z]+ing)\b(?=\s*(?:$|[.,;:!?]|too\b|as well\b|"
                           r"from\b|by\b|and\b|for\b))", re.IGNORECASE)
_WRONG_ARTICLE = re.compile(r"\b(?:[Aa] [aeio]|[Aa]n [b-df-gj-np-tv-xz])[a-z]*\b")
"""An article before the wrong sound, read as the article guard of decoding reads it: "a oil",
"an drama" (a capital or "h", "u", "y" after it go either way: "an FBI", "a unique")."""
_ING_NOUNS = frozenset({"thing", "something", "nothing", "anything", "everything", "king", "ring",
                        "string", "wedding", "building", "painting", "clothing", "morning",
                        "evening", "feeling", "meeting", "ending", "beginning", "setting",
                        "coating", "earring", "pudding", "filling", "lining", "frosting",
                        "stocking", "dressing", "spring", "darling", "offering", "sibling"})
"""-ing words that are things in plain English ("a happy ending", "a clear coating")."""
_TITLE_TOKENS = re.compile(r"[A-Za-z']+|[^\sA-Za-z']")
_LINKING_WORDS = frozenset({"for", "with", "and", "by", "in", "of", "to", "the", "a", "on", "from",
                            "or"})
_TITLES_FOLLOW = re.compile(r"\b(?:such as|like|including|for example)\b", re.IGNORECASE)
_LIST_TAIL = frozenset({"too", "also", "as", "well", "again", "film", "films", "movie", "movies"})

_ATTRIBUTE_SLOT = re.compile(
    r"\b(?:a|an|another|one more|also a|also an)\s+([A-Za-z][A-Za-z'-]+)\s+"
    r"(?:film|movie|one|product|story|title|pick)s?\b", re.IGNORECASE)
"""An adjective slot: "another <word> film", "a <word> product"."""
_MAKER = re.compile(r"\b(?:by|from|another|one more pick from)\s+((?:[A-Z0-9][\w'.&!+-]*)"
                    r"(?:\s+(?:[A-Z0-9][\w'.&!+-]*|and|&|of|de|la))*)")
"""A maker named in a product line: "by Dr Song", "from Banana Boat", "another Olay ..."."""
_QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")
_KIND_LABEL = re.compile(r"\((?:genre|theme|tag|studio|brand|line|type|attribute|decade|year|"
                         r"language|size)\)", re.IGNORECASE)
"""A prompt's label copied into a sentence: "a lavender (attribute) too"."""


def _kind_labels(text: str) -> list[str]:
    return [m.group(0) for m in _KIND_LABEL.finditer(text)]


def _foreign_makers(text: str, item: Item) -> list[str]:
    """The makers a product line names that are not the pick's brand or line (or the start of
    one: "Mrs. Meyer's" of Mrs. Meyer's Clean Day): "another Mrs. Meyer's hand soap" of an EO
    soap, "a mask by Clear Deep Nourishing Treatment" of a Clear mask."""
    if not item.facts:
        return []  # a catalog that states no brands (an upload): nothing to hold it to
    own = [_no_the(f.key) for f in item.facts if f.kind in (FactKind.BRAND, FactKind.LINE)]
    brands = [_no_the(f.key) for f in item.facts if f.kind == FactKind.BRAND]
    title = f"{_no_the(normalize(item.title))} "
    out = []
    for match in _MAKER.finditer(text):
        named = _no_the(normalize(match.group(1)))
        if not named or named.isdigit():
            continue
        if any(f"{key} ".startswith(f"{named} ") or f"{named} ".startswith(f"{key} ")
               and _made_of_type_words(named[len(key):]) for key in own):
            continue  # the brand or line, or its start ("Mrs. Meyer's"), with a type
        if title.startswith(f"{named} ") and (not brands or any(
                f"{named} ".startswith(f"{b} ") for b in brands)) or f" by {named} " in title:
            continue  # the maker as the title writes it ("Naked Bee", "NYX Cosmetics", "... By
            # Dolce and Gabbana For Women")
        out.append(match.group(1).rstrip(".!,;:"))
    return out


def _no_the(text: str) -> str:
    return text[4:] if text.startswith("the ") else text


def _made_of_type_words(rest: str) -> bool:
    """Is ``rest`` (what follows a brand: "hand soap", "") made only of product-type words?"""
    return all(w in _TYPE_WORDS for w in rest.split())


_TYPE_WORDS = frozenset(w for phrases in PRODUCT_TYPES.values() for p in phrases
                        for w in normalize(p).split()) | {"product", "products"}

_PRODUCT_SLOT = re.compile(
    r"(?:^\s*|\b(?:is|also)\s+)(?:a|an|another|one more)\s+((?:[a-z][a-z-]+\s+)?[a-z][a-z-]+)"
    r"(?=\s+(?:by|from|too|as well)\b|\s*[.,;])")
"""What a product line says the pick is: "is a blotter by Johnson's", "is another body
lotion." Its words must be the pick's own (title, type, facts)."""
_SLOT_PLAIN = frozenset("""more other similar same new different kind sort beauty product
products one""".split())
"""Words an attribute slot may hold that claim nothing."""

_PROFILE_PHRASING = frozenset(
    """you enjoy products product with focus leaning toward towards mix more than once often
    loyalty again plenty taste like such mostly range variety""".split())
"""Words a product profile may use besides the liked titles' own ("a leaning toward X")."""


@dataclass(frozen=True)
class _Vocabulary:
    genres: dict[str, str]  # normalised phrase → catalog genre
    terms: frozenset[str]   # normalised tags / product words


class GroundingChecker:
    """Finds unsupported claims in explanations about items of one catalog."""

    def __init__(self, catalog: Catalog, linker: TitleLinker | None = None) -> None:
        self.catalog = catalog
        self.linker = linker or TitleLinker(catalog)
        self.vocabulary = _build_vocabulary(catalog)
        self._one_word_claims = frozenset(
            p for p in (*self.vocabulary.genres, *self.vocabulary.terms)
            if " " not in p and len(p) >= 3 and not any(c.isdigit() for c in p))
        self._plain_words = STOPWORDS | {catalog.noun, catalog.noun + "s", catalog.kind,
                                          "film", "films", "movie", "movies", "product"}
        self._ing_nouns = _ING_NOUNS | _ing_nouns(catalog)
        self._slot_plain = self._plain_words | _phrasing_words() | _SLOT_PLAIN
        self._max_term_words = max((len(t.split()) for t in (*self.vocabulary.terms,
                                                              *self.vocabulary.genres)), default=1)

    def unsupported_claims(self, explanation: str, item: Item, history: Sequence[Item]) -> list[str]:
        """Every claim in ``explanation`` that ``item`` and ``history`` do not support."""
        allowed = [item, *history]
        claims = self._years(explanation, _named_years(allowed, item.year), film=bool(item.year))
        claims += self._terms(explanation, item)
        claims += self._slot_words(explanation, item)
        claims += _kind_labels(explanation)
        if self.catalog.kind == "products":
            claims += _foreign_makers(explanation, item)
        claims += self._titles(explanation, allowed)
        return list(dict.fromkeys(claims))

    def _slot_words(self, text: str, item: Item) -> list[str]:
        """The words in an attribute slot ("another educational film", "a soothing product")
        that are not the catalog's: no genre name, no word of the pick's title, description
        or facts. What a film or product is *like* must be said in the catalog's words."""
        own = f" {normalize(item.document(10_000))} {_fact_text(item)} "
        out = []
        if self.catalog.kind == "products":
            for match in _PRODUCT_SLOT.finditer(text):  # "is a blotter by Johnson's"
                out += [w for w in normalize(match.group(1)).split()
                        if w not in self._slot_plain and not _in_text(w, own)
                        and not _in_text(_singular(w), own)]
        for match in _ATTRIBUTE_SLOT.finditer(text):
            word = normalize(match.group(1))
            if word and word not in self.vocabulary.genres and word not in self._slot_plain \
                    and not _in_text(word, own) and not _in_text(_singular(word), own):
                out.append(word)
        return out

    def unsupported_profile_claims(self, profile: str, history: Sequence[Item]) -> list[str]:
        """Every claim in a taste profile that no item of ``history`` supports: a genre or
        catalog term none of them holds, a year or decade none is from, another item's title.
        ("You enjoy westerns and horror" for High Noon and Rio Bravo: "horror".)"""
        if not history:
            return []
        years = _named_years(history, *(h.year for h in history))
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
        own = _own_product_words(history)
        return [w for w in normalize(profile).split()
                if len(w) >= 3 and w.isalpha() and w not in self._plain_words
                and w not in _PROFILE_PHRASING and _singular(w) not in own]

    def profile_vocabulary(self, history: Sequence[Item]) -> frozenset[str]:
        """The words a taste profile of ``history`` may use, for the profile's vocabulary
        guard: for products, the words ``_foreign_product_words`` lets through (the liked
        items' own words, their plurals, plain phrasing), and of the words of one or two
        letters, which it does not read, only those ("a", "of", "lip", "3d"). Empty for films, whose
        profiles name genres and titles and are checked claim by claim."""
        if self.catalog.kind != "products" or not history:
            return frozenset()
        own = _own_product_words(history)
        plurals = {f"{w}s" for w in own if len(w) >= 3 and not w.endswith("s")}
        return frozenset({*own, *plurals, *self._plain_words, *_PROFILE_PHRASING})

    @staticmethod
    def claims_sameness(text: str) -> bool:
        """Does ``text`` say the pick is like the title it names ("another", "also", "too")?"""
        return bool(_SAMENESS.search(text))

    @staticmethod
    def claims_novelty(text: str) -> bool:
        """Does ``text`` say the pick is new to the list ("new to your list", "for a change")?"""
        return bool(_NOVELTY.search(text))

    @staticmethod
    def repeats_itself(text: str) -> bool:
        """Does ``text`` name one thing twice in a row ("soap, soap and soap", "fantasy and
        fantasy", "moisturizing cream and moisturizing", "the the")? A list item's words are
        looked for among the last words before it (plain words aside); items longer than two
        words are names or clauses, not repeats, and so are titles named after "such as". A
        title word said twice ("Tora! Tora!") is no repeat."""
        words = normalize(text).split()
        if any(a == b and a in STOPWORDS for a, b in zip(words, words[1:])):
            return True
        for quoted in _QUOTED.findall(text):  # “star star”
            inside = normalize(quoted).split()
            if any(a == b for a, b in zip(inside, inside[1:])):
                return True
        named = _TITLES_FOLLOW.split(text)[0]  # "..., such as Toy Story and Toy Story 2"
        parts = [[_singular(w) for w in normalize(p).split()
                  if w not in _LIST_TAIL and w not in STOPWORDS]
                 for p in _LIST_JOINS.split(named)]
        return any((0 < len(item) <= 2 and set(item) <= set(before[-len(item) - 1:])) or
                   (0 < len(before) <= 2 and item[:len(before)] == before)  # "art, art in the mix"
                   for before, item in zip(parts, parts[1:]))

    def uses_a_describing_word_as_a_thing(self, text: str) -> bool:
        """Does ``text`` end a noun phrase on a describing -ing word ("also a moisturizing",
        "another cleansing", "this time a lashing")? An -ing word counts as a thing when plain
        English has it so, or when this catalog's titles often end a phrase on it."""
        return any(m.group(1).lower() not in self._ing_nouns for m in _ING_AS_THING.finditer(text))

    @staticmethod
    def uses_the_wrong_article(text: str) -> bool:
        """Does ``text`` write "a" before a vowel or "an" before a consonant ("an drama")?"""
        return bool(_WRONG_ARTICLE.search(text))

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
        for phrase in _ngrams(words, max(self._max_term_words, 2)):
            genre = self.vocabulary.genres.get(phrase)
            if (genre and genre.lower() in own) or phrase in tags:
                return True
        padded = f" {' '.join(words)} "
        if any(f" {name} " in padded for f in item.facts for name in f.names):
            return True  # a studio, keyword, language, brand, line, type or attribute
        content = {_singular(w) for w in normalize(f"{item.title} {item.description}").split()
                   if len(w) >= 3 and w not in STOPWORDS}  # 3: "oil", "gel", "lip"
        return bool(content & {_singular(w) for w in words})  # "moisturizers": a Moisturizer

    def avoid_words(self, item: Item, anchor: Anchor) -> list[str]:
        """The decoding guard's words for an explanation of ``item`` that names ``anchor``: the
        one-word catalog terms and genre names it must not use (those the checker would flag,
        and genres of the pick the anchor lacks when the two share one), less any word that also
        names an allowed one or says nothing (stopwords, "film", the catalog's noun). Phrases of
        several words are left to the checker: their first word ("based", "bad") is often
        plain English. For a pick with a year, the beginnings of the years it may not name
        (``wrong_year_starts``): "The Fugitive (1993) is a thriller from 199", then "3" or "0"."""
        allowed_text = f" {normalize(item.document(10_000))} {_fact_text(item)} "
        genres = set(anchor.genres) or set(item.genres)
        words = self._avoid(lambda phrase, genre: genre in genres or (
            genre not in item.genres and f" {phrase} " in allowed_text), allowed_text)
        if item.year is None:
            return words
        named = (item, anchor.item)
        return words + wrong_year_starts(_named_years(named, item.year),
                                         _NUMBER.findall(" ".join(i.title for i in named)))

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
        allowed_text = " ".join(["", *(f"{normalize(h.document(10_000))} {_fact_text(h)}"
                                       for h in history), ""])
        genres = {g for h in history for g in h.genres}
        return self._avoid(lambda phrase, genre: genre in genres or f" {phrase} " in allowed_text,
                           allowed_text)

    def _avoid(self, genre_allowed: Callable[[str, str], bool], allowed_text: str) -> list[str]:
        avoid, keep = set(), set(self._plain_words)
        for phrase, genre in self.vocabulary.genres.items():
            (keep if genre_allowed(phrase, genre) else avoid).update(phrase.split())
        for phrase in self.vocabulary.terms:
            (keep if _in_text(phrase, allowed_text) else avoid).update(phrase.split())
        return sorted((avoid - keep) & self._one_word_claims)

    def names_a_shared_fact(self, text: str, item: Item, other: Item) -> bool:
        """Does ``text`` name a genre, tag or name word that ``item`` and ``other`` both have,
        or the decade both are from?"""
        shared = shared_with(item, other)
        words = normalize(text).split()
        padded = f" {' '.join(words)} "
        for phrase in _ngrams(words, max(self._max_term_words, 2)):
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
                                                  for m in _DECADE.finditer(text))
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
        text = _joined_numbers(text)
        out = [m.group(0) for m in (_ANY_YEAR if film else _YEAR).finditer(text)
               if int(m.group(0)) not in years]
        if film:
            out += [m.group(0) for m in _SHORT_YEAR.finditer(text)]
        for match in _DECADE.finditer(text):
            century, digit = match["century"], int(match["decade"])
            decades = {(y // 10) % 10 for y in years if not century or str(y)[:2] == century}
            if digit not in decades:
                out.append(match.group(0))
        return out

    def _terms(self, text: str, item: Item) -> list[str]:
        words = normalize(text).split()
        allowed_text = f" {normalize(item.document(10_000))} {_fact_text(item)} "
        allowed_genres = set(item.genres)
        out = []
        for phrase in _ngrams(words, self._max_term_words):
            genre = self.vocabulary.genres.get(phrase)
            if genre is not None:
                if genre not in allowed_genres and f" {phrase} " not in allowed_text:
                    out.append(phrase)
            elif phrase in self.vocabulary.terms and not _in_text(phrase, allowed_text) and \
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


def _joined_numbers(text: str) -> str:
    """``text`` with each four-digit number written with a space inside joined up."""
    return _SPLIT_NUMBER.sub(lambda m: m[1] + m[2] if len(m[1] + m[2]) == 4 else m[0], text)


def _named_years(items: Sequence[Item], *own: int | None) -> set[int]:
    """The years a sentence about ``items`` may name: ``own`` (an explanation's pick's year:
    "The Unforgiven (1960) is a drama from the 1950s" is false though High Noon is from 1952;
    a profile's history years), and any year written in one of their names or descriptions."""
    years = {y for y in own if y}
    return years | {int(y) for i in items
                    for y in _ANY_YEAR.findall(f"{i.title} {i.description}")}  # "2046"


def _ing_nouns(catalog: Catalog) -> frozenset[str]:
    """-ing words that end a phrase in at least a fifth of the titles holding them ("Anti-Aging,
    1 oz", "The Wedding"), unlike "Moisturizing Lotion" or "Cleansing Foam"."""
    ends: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for item in catalog.items:
        tokens = _TITLE_TOKENS.findall(item.title)
        for word, after in zip(tokens, [*tokens[1:], ""]):
            word = word.lower()
            if word.endswith("ing"):
                seen[word] += 1
                ends[word] += not after.isalpha() or after.lower() in _LINKING_WORDS
    return frozenset(w for w, n in seen.items() if ends[w] >= 0.2 * n)


def _own_product_words(history: Sequence[Item]) -> set[str]:
    """The liked products' title and description words and product-type words, singular."""
    own = {_singular(w) for h in history for w in normalize(f"{h.title} {h.description}").split()}
    own |= {_singular(w) for h in history for kind in product_types(h.title)
            for w in normalize(kind).split()}  # "perfume" for an Eau de Parfum
    return own


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _ngrams(words: list[str], longest: int) -> list[str]:
    return [" ".join(words[i : i + n]) for n in range(1, longest + 1)
            for i in range(len(words) - n + 1)]


def _build_vocabulary(catalog: Catalog) -> _Vocabulary:
    # Every genre word we know is a claim, in any catalog: calling a thriller "horror" is
    # unsupported whether or not the catalog has a horror genre at all.
    genres = genre_synonyms()
    genres.update({normalize(g): g for g in catalog.genres})
    counts: Counter[str] = Counter()
    if catalog.kind == "movies":
        for item in catalog.items:
            counts.update({normalize(t) for t in item.tags})
        minimum = _MIN_TERM_ITEMS
    else:
        for item in catalog.items:
            counts.update(set(normalize(item.title).split()))
        minimum = _MIN_PRODUCT_WORD_ITEMS
    generic = {catalog.noun, catalog.noun + "s", catalog.kind}  # "product" is no claim
    terms = {
        t for t, n in counts.items()
        if n >= minimum and len(t) >= 4 and t not in STOPWORDS and not t.isdigit()
        and t not in genres and t not in generic
    }
    terms |= _fact_terms(catalog, genres.keys() | generic)
    return _Vocabulary(genres=genres, terms=frozenset(terms))


_MIN_FACT_ITEMS = {FactKind.KEYWORD: _MIN_TERM_ITEMS, FactKind.STUDIO: 1, FactKind.BRAND: 2,
                   FactKind.LINE: 2, FactKind.LANGUAGE: 1, FactKind.ATTRIBUTE: 1}
"""Items that must carry a fact for its names to be claims the checker holds to the pick: a
keyword of a film or two reads as plain English more often than as a claim."""


def _phrasing_words() -> frozenset[str]:
    """The words of the fact clauses (``fact_phrases``) and genre nouns: the phrasing, never a
    claim ("story", "theme", "scent", "line")."""
    text = " ".join([*(p for ps in (*SHARED.values(), *OWN.values()) for p in ps),
                     *(n for pair in GENRE_NOUNS.values() for n in pair)])
    return frozenset(normalize(text.replace("{", " ").replace("}", " ")).split())


def _fact_terms(catalog: Catalog, excluded: Collection[str]) -> set[str]:
    """The names of the catalog's studios, keywords, languages, brands, lines and attribute
    words carried by enough items (``_MIN_FACT_ITEMS``): claims the pick must hold."""
    plain = _phrasing_words() | STOPWORDS | PLAIN_WORDS
    english = _lower_case_words(catalog)
    out: set[str] = set()
    for fact in catalog.distinct_facts():
        least = _MIN_FACT_ITEMS.get(fact.kind)
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


def _in_text(phrase: str, padded: str) -> bool:
    """Is the term ``phrase`` in the normalised, space-padded ``padded``, or, for a describing
    word in "-ing", the word it is made from ("moisturizing" of a Moisturizer, "hydrating" of
    a "Hydrate" cream)?"""
    if f" {phrase} " in padded:
        return True
    return phrase.endswith("ing") and " " not in phrase and len(phrase) > 7 and \
        f" {phrase[:-3]}" in padded


_LOWER_WORD = re.compile(r"(?<![\w'])[a-z]+\b")


def _lower_case_words(catalog: Catalog) -> frozenset[str]:
    """Words the catalog's overviews write in lower case: plain English, so a studio's short
    name that is one ("legendary" of Legendary Pictures, "imagine") is no claim."""
    return frozenset(w for item in catalog.items if item.description
                     for w in _LOWER_WORD.findall(item.description))


def _fact_text(item: Item) -> str:
    """The names of ``item``'s facts and its tagline, normalised: text its claims may use."""
    names = " ".join(n for f in item.facts for n in f.names)
    return f"{names} {normalize(item.tagline)}" if item.tagline else names
