"""The recognizers that read a message, each for one kind of thing it may ask for: a reset,
lifted filters, genres wanted or not, a year range, references to the last answer, "something
different", and the titles liked or disliked in what is left.

Each recognizer returns what it found and the spans of text it read (``Found``); the combiner
(``rules.parse_rules``) collects the spans, so text read as a filter or a reference is never
read again as a title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from recommender.conversation.reading.patterns import (
    ABBREVIATION,
    AFTER,
    AFTER_TITLE,
    ANY_GENRE,
    BEFORE,
    BOUNDARY,
    CLAUSES,
    DECADE,
    DIFFERENT,
    DISLIKE,
    IN_YEAR,
    LIFT_ALL,
    LIFT_YEARS,
    LIKE,
    NEGATION,
    ORDINAL,
    RANGE,
    RECENT,
    REFERENCE,
    RESET,
    WANT,
    only_filler,
    position,
)

__all__ = ["Span", "Found", "Lifts", "Genres", "Titles", "is_reset", "lifts", "genres",
           "years", "references", "different", "titles", "blank"]

Span = tuple[int, int]
T = TypeVar("T")


@dataclass(frozen=True)
class Found(Generic[T]):
    """What a recognizer found, and the spans of the message it read to find it."""

    value: T
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Lifts:
    """Filters the message lifts: all of them, the years, or these genres."""

    all: bool = False
    years: bool = False
    genres: tuple[str, ...] = ()


@dataclass(frozen=True)
class Genres:
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    lift: tuple[str, ...] = ()


@dataclass
class Titles:
    """Phrases naming titles, and references to shown items, as liked or disliked."""

    liked: list[str] = field(default_factory=list)
    disliked: list[str] = field(default_factory=list)
    liked_positions: list[int] = field(default_factory=list)
    disliked_positions: list[int] = field(default_factory=list)


def is_reset(text: str) -> bool:
    """The whole message asks to start over."""
    return bool(RESET.match(text))


def lifts(text: str, catalog_genres: Sequence[str]) -> Found[Lifts]:
    """"clear all filters", "any year", "any genre"."""
    spans = [m.span() for pattern in (LIFT_ALL, LIFT_YEARS, ANY_GENRE)
             for m in pattern.finditer(text)]
    return Found(Lifts(bool(LIFT_ALL.search(text)), bool(LIFT_YEARS.search(text)),
                       tuple(catalog_genres) if ANY_GENRE.search(text) else ()), tuple(spans))


def genres(text: str, words: dict[str, tuple[str, ...]], read: Sequence[Span],
           lifted: Sequence[str]) -> Found[Genres]:
    """Genres wanted, excluded or lifted ("no horror", "comedy please", "horror is fine
    again"); a genre word inside text already ``read`` is skipped. ``lifted`` are the genres
    already lifted (they are not wanted)."""
    found: dict[str, list[str]] = {"include": [], "exclude": [], "lift": list(lifted)}
    taken, spans = list(read), []
    for genre, names in words.items():
        for name in names:
            pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w]|-(?!free))", re.I)
            for m in pattern.finditer(text):
                if any(a <= m.start() < b for a, b in taken):
                    continue
                polarity = _genre_polarity(text, m.start(), m.end())
                if polarity is None:
                    continue
                taken.append((polarity[1], polarity[2]))
                spans.append((polarity[1], polarity[2]))
                if genre not in found[polarity[0]]:
                    found[polarity[0]].append(genre)
    include = [g for g in found["include"] if g not in found["exclude"]
               and g not in found["lift"]]
    return Found(Genres(tuple(include), tuple(found["exclude"]), tuple(found["lift"])),
                 tuple(spans))


def years(text: str, latest: int | None) -> Found[tuple[int | None, int | None]]:
    """The year range asked for ("from the 90s", "nothing before 1990", "recent")."""
    spans: list[Span] = []
    found = _year_range(text, spans, latest)
    return Found(found, tuple(spans))


def references(text: str) -> Found[tuple[int | None, int | None]]:
    """(more like, why): positions in the last answer ("more like the second one", "why the
    third one?")."""
    more_like = why = None
    spans = []
    for m in re.finditer(rf"\b(?:more\s+(?:like|similar\s+to)|similar\s+to|along\s+the\s+lines"
                         rf"\s+of)\s+{ORDINAL}", text, re.I):
        more_like = position(m)
        spans.append(m.span())
    for m in re.finditer(rf"\b(?:why|explain|tell\s+me\s+(?:more\s+)?about|what\s+about)\b"
                         rf"[^.?!]*?{ORDINAL}", text, re.I):
        why = position(m)
        spans.append(m.span())
    return Found((more_like, why), tuple(spans))


def different(text: str) -> Found[bool]:
    """"something different", "surprise me"."""
    spans = tuple(m.span() for m in DIFFERENT.finditer(text))
    return Found(bool(spans), spans)


def titles(text: str, read: Sequence[Span], referenced: bool) -> Titles:
    """The titles and positions liked or disliked in what is left of the message once the
    ``read`` spans are blanked; ``referenced``: the message already referred to a shown item
    (so an ordinal is not read again as a like)."""
    found = Titles()
    for start, end in _clauses(text):
        for clause in _by_polarity(blank(text, read, start, end)):
            _read_clause(clause, referenced, found)
    return found


def blank(text: str, spans: Sequence[Span], start: int, end: int) -> str:
    """``text[start:end]`` with every span blanked out, spaces collapsed."""
    chars = list(text[start:end])
    for a, b in spans:
        for i in range(max(a, start), min(b, end)):
            chars[i - start] = " "
    return " ".join("".join(chars).split())


def _read_clause(clause: str, referenced: bool, found: Titles) -> None:
    """One clause's titles or references, as liked or disliked, added to ``found``."""
    disliking = bool(DISLIKE.search(clause))
    ordinal = re.search(REFERENCE, clause, re.I) if not referenced else None
    if ordinal and ordinal.group("num") and not only_filler(clause[:ordinal.start()]):
        ordinal = None  # "Chanel No 5", "Mambo #5": a number right after a name is part of it
    if ordinal:
        (found.disliked_positions if disliking else found.liked_positions).append(
            position(ordinal))
        clause = clause[: ordinal.start()] + " " + clause[ordinal.end():]
    if disliking:
        clause = DISLIKE.sub(" ", clause)
    if only_filler(clause):
        return
    (found.disliked if disliking else found.liked).append(clause.strip(" ,"))


def _clauses(text: str) -> list[tuple[int, int]]:
    """Where each clause of ``text`` starts and ends. A lone period inside a name ("Mr.",
    "E.T.", "2.0") ends nothing."""
    bounds, start = [], 0
    for m in CLAUSES.finditer(text):
        if m.group(0) == "." and (ABBREVIATION.search(text, 0, m.start())
                                  or text[m.end():m.end() + 1].strip()):
            continue
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(text)))
    return bounds


def _by_polarity(clause: str) -> list[str]:
    """Cut a clause where it turns from disliking to liking or back: "I hated Titanic, loved
    Heat" → "I hated Titanic,", "loved Heat"."""
    dislikes = [m.span() for m in DISLIKE.finditer(clause)]
    cues = []
    for a, b in dislikes:
        if AFTER_TITLE.fullmatch(clause[a:b]):  # "Titanic was boring": cut before the title
            separator = max(clause.rfind(",", 0, a), clause.rfind(";", 0, a),
                            clause.lower().rfind(" and ", 0, a))
            a = separator + 1 if separator >= 0 else 0
        cues.append((a, False))
    cues += [(m.start(), True) for m in LIKE.finditer(clause)
             if not any(a <= m.start() < b for a, b in dislikes)]
    cues.sort()
    cuts, previous = [], None
    for at, liking in cues:
        if previous is not None and liking != previous:
            cuts.append(at)
        previous = liking
    bounds = [0, *cuts, len(clause)]
    return [clause[a:b] for a, b in zip(bounds, bounds[1:])]


def _genre_polarity(text: str, start: int, end: int) -> tuple[str, int, int] | None:
    """Whether a genre word at ``text[start:end]`` is wanted, excluded or lifted, with the span
    of the whole phrase; ``None`` when it is only part of other words (a title, say)."""
    before = text[max(0, start - 40):start]
    after = text[end:end + 40]
    lifted = re.match(r"\s*(?:movies?|films?|stuff)?\s*(?:is|are)\s+(?:fine|ok|okay|allowed|"
                      r"back)(?:\s+again)?\b|\s*again\b", after, re.I)
    lifting = re.search(r"(?:allow|bring\s+back|include|forget(?:\s+about)?|drop|lift|remove|"
                        r"never\s+mind|ok\s+with|fine\s+with)\s+(?:the\s+)?(?:no\s+)?$",
                        before, re.I)
    if lifted or lifting:
        if lifted:
            return "lift", start - (len(lifting.group(0)) if lifting else 0), end + lifted.end()
        return "lift", start - len(lifting.group(0)), end
    negated = re.search(rf"\b{NEGATION}\s+(?:\w+\s+){{0,2}}$", before, re.I)
    suffix = re.match(r"-free\b", after, re.I)
    if suffix:
        return "exclude", start, end + suffix.end()
    if negated and not re.search(r"\b(?:but|and\s+some|and\s+more)\b", before[negated.start():],
                                 re.I):
        return "exclude", start - len(negated.group(0)), end
    wanted = re.search(rf"\b{WANT}\s+(?:\w+\s+){{0,2}}$", before, re.I)
    tail = re.match(r"\s*(?:movies?|films?|ones?|stuff|please|instead|for\s+a\s+change|"
                    r"tonight)?\b", after, re.I)
    alone = (only_filler(BOUNDARY.split(text[:start])[-1])
             and only_filler(BOUNDARY.split(text[end:])[0]))
    if wanted or alone or (tail and tail.group(0).strip()):
        return "include", start, end + (tail.end() if tail else 0)
    return None


def _year_range(text: str, spans: list[Span], latest: int | None
                ) -> tuple[int | None, int | None]:
    """The year range a message asks for; what it read goes into ``spans`` (its own list)."""
    year_min = year_max = None
    m = RANGE.search(text)
    if m:
        spans.append(m.span())
        a, b = sorted((int(m["a"]), int(m["b"])))
        return a, b
    for m in DECADE.finditer(text):
        digit = int(m["decade"])
        century = int(m["century"]) * 100 if m["century"] else (2000 if digit <= 2 else 1900)
        start = century + digit * 10
        spans.append(m.span())
        year_min = start if year_min is None else min(year_min, start)
        year_max = start + 9 if year_max is None else max(year_max, start + 9)
    m = AFTER.search(text)
    if m:
        spans.append(m.span())
        year = int(m["year"])
        cue = m["cue"].lower()
        if _negated(text, m.start(), spans):  # "nothing after 2010": 2010 or earlier
            year_max = year - 1 if cue in ("since", "from") else year
        elif cue == "from" and not m["on"]:
            return year, year
        else:
            year_min = year if cue in ("since", "from") else year + 1
    m = BEFORE.search(text)
    if m:
        spans.append(m.span())
        year = int(m["year"])
        inclusive = m["cue"].lower() in ("until", "up to")
        if _negated(text, m.start(), spans):  # "nothing before 1990": 1990 or later
            year_min = year + 1 if inclusive else year
        else:
            year_max = year if inclusive else year - 1
    if year_min is None and year_max is None:
        m = IN_YEAR.search(text)
        if m:
            spans.append(m.span())
            return int(m["year"]), int(m["year"])
        m = RECENT.search(text)
        if m and latest is not None:
            spans.append(m.span())
            return latest - 9, None
    return year_min, year_max


def _negated(text: str, start: int, spans: list[Span]) -> bool:
    """Whether the phrase at ``start`` is negated ("nothing before", "no films made after");
    the negation is then consumed too."""
    before = text[max(0, start - 40):start]
    m = re.search(r"\b(?:no|not|nothing|none|never|avoid|skip|without)\s+(?:\w+\s+){0,2}$",
                  before, re.I)
    if m:
        spans.append((start - len(before) + m.start(), start))
    return bool(m)
