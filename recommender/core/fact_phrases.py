"""Facts in plain English: how a prompt lists a fact, and the clauses that state one of a pick
("comes from Pixar Animation Studios too", "is also about time travel").

A clause is a verb phrase that follows "Like <history item>, <pick>", so it reads as a sentence
whichever fact it states. ``SHARED`` clauses say the named item has the fact too; ``OWN``
clauses say a fact of the pick alone, after a contrast ("; this one ..."). The catalog-facts
explanation takes the first phrasing of each kind; the fine-tuning targets draw from all of
them, so the tuned model learns many ways of saying each kind."""

from __future__ import annotations

import random
from collections.abc import Sequence

from recommender.vocabulary import GENRE_NOUNS
from recommender.vocabulary.fact_kinds import KIND_NOUNS, Fact, FactKind, attribute_group

__all__ = ["SHARED", "OWN", "shared_clause", "own_clause", "prompt_label", "genre_phrase",
           "TYPE_NOUNS", "article", "CONTRAST_MARKERS", "TASTE", "taste_phrase"]


SHARED: dict[str, tuple[str, ...]] = {
    "studio": ("comes from {v} too", "is another film from {v}", "was also made by {v}",
               "is one more {s} production", "has {v} as its studio too",
               "was produced by {v} as well"),
    "keyword": ("shares the theme “{v}”", "also has “{v}” among its themes",
                "is another film with “{v}” as a theme", "also touches on “{v}”",
                "turns on “{v}” as well", "is also about {v}", "also deals with {v}"),
    "tag": ("is also tagged “{v}”", "is another film viewers tag “{v}”",
            "gets the tag “{v}” from viewers too", "is one more that viewers call “{v}”",
            "earns the viewers' tag “{v}” as well"),
    "language": ("is another {v}-language film", "is also in {v}",
                 "was made in {v} as well", "is one more film in {v}", "is in {v} too"),
    "genre": ("is {g} too", "is also {g}", "is {g} as well", "is one more {n}",
              "is another {n}"),
    "decade": ("is from the {v} too", "also comes from the {v}", "was made in the {v} as well",
               "is another film of the {v}", "dates from the {v} too"),
    "year": ("is from {v} too", "also came out in {v}", "was released in {v} as well",
             "is another film of {v}", "dates from {v} too"),
    "brand": ("is also by {v}", "comes from {v} too", "is another {v} product",
              "is made by {v} as well", "is one more pick from {v}"),
    "line": ("is also from the {v} line", "belongs to the {v} line too",
             "is another product of the {v} line", "is one more from the {v} range",
             "is part of the {v} line as well"),
    "type": ("is {a} too", "is another {v}", "is also {a}", "is one more {v}",
             "is {a} as well"),
    "scent": ("also has a {v} scent", "is scented with {v} too", "also smells of {v}",
              "carries a {v} scent as well", "has the same {v} scent"),
    "finish": ("is {v} too", "also has a {v} finish", "gives a {v} finish as well",
               "is another {v} product", "has the same {v} finish"),
    "concern": ("is also made for {v}", "also targets {v}", "is meant for {v} too",
                "is another product for {v}", "works on {v} as well"),
    "quality": ("is {v} too", "is also {v}", "is another {v} product", "is {v} as well",
                "is one more {v} product"),
    "ingredient": ("also has {v} in it", "is made with {v} too", "also contains {v}",
                   "is another product with {v}", "uses {v} as well"),
}
"""Clauses stating a fact the pick shares with the item named before it, by kind (attributes
by their group), ``{v}`` the fact, ``{s}`` its short name, ``{a}`` it with its article,
``{g}`` the genres as one phrase."""

OWN: dict[str, tuple[str, ...]] = {
    "studio": ("this one from {v}", "this one made by {v}"),
    "keyword": ("this one with the theme “{v}”", "this one touching on “{v}”",
                "this one about {v}"),
    "tag": ("this one tagged “{v}” by viewers", "one viewers tag “{v}”"),
    "language": ("this one in {v}",),
    "brand": ("this one by {v}",),
    "line": ("this one from the {v} line",),
    "scent": ("this one with a {v} scent",),
    "finish": ("this one with a {v} finish",),
    "concern": ("this one made for {v}",),
    "quality": ("this one {v}",),
    "ingredient": ("this one made with {v}",),
}
"""Clauses stating a fact of the pick alone, after a comma or semicolon: "this one" marks the
contrast, so the checker does not read it as shared (``CONTRAST_MARKERS``)."""

TASTE: dict[str, str] = {
    "studio": "films from {v}", "keyword": "stories with the theme “{v}”",
    "tag": "films viewers tag “{v}”", "language": "{v}-language films", "brand": "{v} products",
    "line": "the {v} line", "scent": "{v} scents", "finish": "{v} finishes",
    "concern": "products for {v}", "quality": "{v} products", "ingredient": "products with {v}",
}
"""How a profile names a fact several liked titles share ("films from Studio Ghibli")."""


def taste_phrase(fact: Fact) -> str | None:
    """A fact shared by several liked titles as a profile says it, or ``None``."""
    template = TASTE.get(_slot(fact))
    return template.format(v=_value(fact)) if template else None


CONTRAST_MARKERS = ("this one", "this time", "while", "but", "though", "unlike", "here")
"""Words after which a fact is the pick's alone, not said to be shared."""


def article(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def genre_phrase(genres: Sequence[str]) -> str | None:
    """"a Western", "an action and science fiction film", "a romantic comedy"; ``None`` when
    no genre has a noun."""
    known = [g for g in genres if g in GENRE_NOUNS]
    if not known:
        return None
    if len(known) == 1:
        return article(GENRE_NOUNS[known[0]][0])
    first, second = known[0], known[1]
    if {first, second} == {"Comedy", "Romance"}:
        return "a romantic comedy"
    noun = GENRE_NOUNS[second][0]
    qualifier = GENRE_NOUNS[first][1]
    return article(f"{qualifier} and {noun}" if " " in noun else f"{qualifier} {noun}")


def _slot(fact: Fact) -> str:
    return attribute_group(fact.value) if fact.kind == FactKind.ATTRIBUTE else str(fact.kind)


TYPE_NOUNS = {"nail care": "nail care product", "hair styling": "hair styling product",
              "shaving": "shaving product", "bath": "bath product", "hair color": "hair color",
              "blush": "blush"}
"""Product types whose name is no noun a sentence can use alone ("another nail care")."""


def _value(fact: Fact) -> str:
    if fact.kind == FactKind.TYPE:
        return TYPE_NOUNS.get(fact.value, fact.value)
    if fact.kind in (FactKind.KEYWORD, FactKind.ATTRIBUTE):
        return fact.value.lower() if fact.value.isascii() else fact.value
    return fact.value


_ABSTRACT_ENDINGS = ("ence", "ance", "ion", "ism", "ity", "ship", "ness", "ing", "ery", "ics",
                     "hood", "ment", "dom", "age", "cy")
"""Endings of nouns that read bare after "about" ("about violence", "about friendship"); a
theme without one is quoted ("the theme “bomb”"), never "about bomb"."""


def _reads_bare(value: str) -> bool:
    words = value.split()
    return len(words) >= 2 and words[-1].endswith(("ship", "ing", "ion", "ence", "ance", "s")) \
        or (len(words) == 1 and value.endswith(_ABSTRACT_ENDINGS))


def _fill(template: str, fact: Fact, genres: Sequence[str]) -> str | None:
    value = _value(fact)
    if fact.kind == FactKind.KEYWORD and "“{v}”" not in template and not _reads_bare(value):
        return None
    short = value
    if fact.kind == FactKind.STUDIO and len(fact.names) > 1:
        words = fact.value.split()
        short = " ".join(words[:len(fact.names[-1].split())])
    if "{g}" in template or "{n}" in template:
        phrase = genre_phrase(genres or [fact.value])
        if phrase is None:
            return None
        return template.format(g=phrase, n=phrase.split(" ", 1)[1])
    return template.format(v=value, s=short, a=article(value))


def _phrasings(options: Sequence[str], choice: int | random.Random | None) -> list[str]:
    """``options`` from the one ``choice`` names on (an index, taken modulo their number; a
    random one for a ``Random``; the first for ``None``)."""
    if not options:
        return []
    if isinstance(choice, random.Random):
        start = choice.randrange(len(options))
    else:
        start = (choice or 0) % len(options)
    return [*options[start:], *options[:start]]


def shared_clause(fact: Fact, choice: int | random.Random | None = None,
                  genres: Sequence[str] = ()) -> str | None:
    """A clause stating ``fact`` as shared, in the phrasing ``choice`` names (the first by
    default; the next that fits when that one does not); for a genre, ``genres`` are the
    shared genres said together. ``None`` when it cannot be said."""
    options = _phrasings(SHARED.get(_slot(fact), ()), choice)
    return next((c for t in options if (c := _fill(t, fact, genres)) is not None), None)


def own_clause(fact: Fact, choice: int | random.Random | None = None) -> str | None:
    """A clause stating ``fact`` as the pick's alone, or ``None`` for a kind said only as
    shared."""
    options = _phrasings(OWN.get(_slot(fact), ()), choice)
    return next((c for t in options if (c := _fill(t, fact, ())) is not None), None)


def prompt_label(fact: Fact) -> str:
    """How a prompt lists a fact: ``Pixar Animation Studios (studio)``, ``mafia (theme)``."""
    return f"{_value(fact)} ({KIND_NOUNS[fact.kind]})"
