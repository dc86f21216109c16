"""What a chat message asks for: titles liked or disliked, constraints set or lifted, and
references to the last answer ("more like the second one", "why the third one?").

Rules read every message (``parse_rules``); the LLM may add to them (``parse_with_model``,
under a JSON schema whose genres are the catalog's own), but only what the message itself
supports is kept: a genre the LLM names must be spelled out in the message, a year must appear
in it, a title must be a phrase of it. A small model's guess can add a constraint the rules
missed; it can never invent one.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from recommender.core.constraints import ConstraintChange
from recommender.vocabulary import DECADE_PATTERN, REQUEST_FILLER, request_genre_words

__all__ = ["Request", "parse_rules", "parse_with_model", "request_schema", "genre_words",
           "merge_model_reply"]

log = logging.getLogger(__name__)

_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4, "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7,
             "eighth": 8, "8th": 8, "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "last": -1}
_ORDINAL = (r"(?:(?:the\s+)?(?P<ord>" + "|".join(_ORDINALS) + r")(?:\s+(?:one|pick|title|movie|"
            r"film|product|item|recommendation))?|(?:number|no\.?|#)\s*(?P<num>\d{1,2}))")

_REFERENCE = (r"(?:(?:the\s+)?(?P<ord>" + "|".join(_ORDINALS) + r")\s+(?:one|pick|title|movie|"
              r"film|product|item|recommendation)\b|(?:number|no\.?|#)\s*(?P<num>\d{1,2})\b)")
"""A reference to a shown item outside a question: "the second one", "number 2"."""

_NEGATION = r"(?:no|not|without|nothing|avoid|skip|except|exclude|hate|less|never|don'?t\s+want|" \
            r"do\s+not\s+want|no\s+more|anything\s+but|stop|zero)"
_WANT = r"(?:want|like|love|prefer|only|just|some|more|a|an|in\s+the\s+mood\s+for|" \
        r"something|anything|give\s+me|show\s+me|how\s+about|what\s+about|make\s+it)"
_DISLIKE = re.compile(
    r"\b(?:hated|hate|disliked|dislike|didn'?t\s+(?:like|enjoy)|did\s+not\s+(?:like|enjoy)|"
    r"don'?t\s+(?:like|enjoy)|do\s+not\s+(?:like|enjoy)|not\s+a\s+fan\s+of|"
    r"couldn'?t\s+stand|can'?t\s+stand|boring|terrible|awful|overrated|was\s+bad|were\s+bad|"
    r"not\s+for\s+me|no\s+thanks\s+to)\b", re.I)
_AFTER_TITLE = re.compile(r"boring|terrible|awful|overrated|was\s+bad|were\s+bad|"
                          r"not\s+for\s+me", re.I)
"""Dislike cues that follow the title they are about."""
_LIKE = re.compile(r"\b(?:loved|liked|enjoyed|adored|love|like)\b", re.I)
_BOUNDARY = re.compile(r"[.;!?,\n]+|\b(?:but|and|or|however|though)\b", re.I)
_CLAUSES = re.compile(r"[.;!?\n]+|\bbut\b|\bhowever\b|\bthough\b", re.I)
_ABBREVIATION = re.compile(r"(?:\b(?:mr|mrs|ms|dr|st|jr|sr|vs|vol|pt|mt|ft|prof|capt|sgt|lt|"
                           r"gen|col|rev)|(?<![\w.])[a-z]|\b[a-z](?:\.[a-z])+)$", re.I)
"""What a period ends without ending a clause: "Mr. Holland's Opus", "J. Edgar", "L.A."."""
_DIFFERENT = re.compile(r"\b(?:something\s+(?:completely\s+|totally\s+|else\s+|quite\s+)?"
                        r"different|surprise\s+me|more\s+(?:variety|diverse|diversity)|"
                        r"mix\s+it\s+up|other\s+kinds?|less\s+of\s+the\s+same)\b", re.I)
_RESET = re.compile(r"^\W*(?:start\s+over|reset|clear\s+everything|new\s+conversation|"
                    r"forget\s+everything)\W*$", re.I)
_LIFT_ALL = re.compile(r"\b(?:clear|remove|drop|lift|reset|forget)\s+(?:all\s+)?(?:the\s+)?"
                       r"(?:filters|constraints|restrictions)\b|\bno\s+(?:more\s+)?"
                       r"(?:filters|constraints|restrictions)\b|\bno\s+limits\b", re.I)
_LIFT_YEARS = re.compile(r"\b(?:any|all)\s+(?:years?|decades?|eras?|dates?)\b|\b(?:forget|drop|"
                         r"lift|remove|clear|ignore)\s+(?:the\s+)?(?:years?|decades?|dates?|"
                         r"era)(?:\s+(?:filter|limit|range|constraint))?\b", re.I)
_ANY_GENRE = re.compile(r"\b(?:any|all)\s+genres?\b|\b(?:forget|drop|lift|remove|clear|ignore)"
                        r"\s+(?:the\s+)?genres?(?:\s+(?:filter|limit|constraint)s?)?\b", re.I)


def genre_words(genres: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The words that name each of these genres in a message (its own name always)."""
    return request_genre_words(genres)


@dataclass(frozen=True)
class Request:
    """One message, understood."""

    liked_text: tuple[str, ...] = ()
    """Phrases to link to titles the user liked."""
    disliked_text: tuple[str, ...] = ()
    """Phrases to link to titles the user disliked."""
    liked_positions: tuple[int, ...] = ()
    """1-based positions in the last answer the user liked (-1: the last one)."""
    disliked_positions: tuple[int, ...] = ()
    change: ConstraintChange = field(default_factory=ConstraintChange)
    more_like: int | None = None
    why: int | None = None
    different: bool = False
    reset: bool = False
    parsed_by: str = "rules"

    def summary(self) -> dict:
        """The reading as plain data, empty fields left out (phrases with spaces collapsed):
        what tests and the reading benchmark compare."""
        c = self.change
        fields = {"liked_text": [" ".join(t.split()) for t in self.liked_text],
                  "disliked_text": [" ".join(t.split()) for t in self.disliked_text],
                  "liked_positions": list(self.liked_positions),
                  "disliked_positions": list(self.disliked_positions),
                  "include": list(c.include_genres), "exclude": list(c.exclude_genres),
                  "lift": list(c.lift_genres), "year_min": c.year_min, "year_max": c.year_max,
                  "lift_years": c.lift_years, "lift_all": c.lift_all,
                  "more_like": self.more_like, "why": self.why, "different": self.different,
                  "reset": self.reset}
        return {k: v for k, v in fields.items() if v not in ([], None, False)}


def parse_rules(message: str, genres: Sequence[str], latest_year: int | None = None) -> Request:
    """Read a message with patterns only. ``genres`` are the catalog's."""
    text = " ".join(message.split())
    if _RESET.match(text):
        return Request(reset=True)
    words = genre_words(genres)
    spans: list[tuple[int, int]] = []  # what is consumed and must not be linked as a title

    def take(match: re.Match) -> None:
        spans.append(match.span())

    lift_all = bool(_LIFT_ALL.search(text))
    for m in _LIFT_ALL.finditer(text):
        take(m)
    lift_years = bool(_LIFT_YEARS.search(text))
    for m in _LIFT_YEARS.finditer(text):
        take(m)
    lift_genres: list[str] = list(genres) if _ANY_GENRE.search(text) else []
    for m in _ANY_GENRE.finditer(text):
        take(m)

    include: list[str] = []
    exclude: list[str] = []
    for genre, names in words.items():
        for name in names:
            pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w]|-(?!free))", re.I)
            for m in pattern.finditer(text):
                if any(a <= m.start() < b for a, b in spans):
                    continue
                polarity = _genre_polarity(text, m.start(), m.end())
                if polarity is None:
                    continue
                span_start = polarity[1]
                spans.append((span_start, polarity[2]))
                target = {"include": include, "exclude": exclude, "lift": lift_genres}[polarity[0]]
                if genre not in target:
                    target.append(genre)
    include = [g for g in include if g not in exclude and g not in lift_genres]

    year_min, year_max = _years(text, spans, latest_year)

    more_like = why = None
    liked_positions: list[int] = []
    disliked_positions: list[int] = []
    for m in re.finditer(rf"\b(?:more\s+(?:like|similar\s+to)|similar\s+to|along\s+the\s+lines\s+of)\s+{_ORDINAL}",
                         text, re.I):
        more_like = _position(m)
        take(m)
    for m in re.finditer(rf"\b(?:why|explain|tell\s+me\s+(?:more\s+)?about|what\s+about)\b"
                         rf"[^.?!]*?{_ORDINAL}", text, re.I):
        why = _position(m)
        take(m)
    different = bool(_DIFFERENT.search(text))
    for m in _DIFFERENT.finditer(text):
        take(m)

    liked_text: list[str] = []
    disliked_text: list[str] = []
    for start, end in _clauses(text):
        for clause in _by_polarity(_without(text, spans, start, end)):
            _read_clause(clause, more_like, why, liked_text, disliked_text, liked_positions,
                         disliked_positions)
    change = ConstraintChange(tuple(include), tuple(exclude), tuple(lift_genres), year_min,
                              year_max, lift_years, lift_all)
    return Request(tuple(liked_text), tuple(disliked_text), tuple(liked_positions),
                   tuple(disliked_positions), change, more_like, why, different)


def _clauses(text: str) -> list[tuple[int, int]]:
    """Where each clause of ``text`` starts and ends. A lone period inside a name ("Mr.",
    "E.T.", "2.0") ends nothing."""
    bounds, start = [], 0
    for m in _CLAUSES.finditer(text):
        if m.group(0) == "." and (_ABBREVIATION.search(text, 0, m.start())
                                  or text[m.end():m.end() + 1].strip()):
            continue
        bounds.append((start, m.start()))
        start = m.end()
    bounds.append((start, len(text)))
    return bounds


def _by_polarity(clause: str) -> list[str]:
    """Cut a clause where it turns from disliking to liking or back: "I hated Titanic, loved
    Heat" → "I hated Titanic,", "loved Heat"."""
    dislikes = [m.span() for m in _DISLIKE.finditer(clause)]
    cues = []
    for a, b in dislikes:
        if _AFTER_TITLE.fullmatch(clause[a:b]):  # "Titanic was boring": cut before the title
            separator = max(clause.rfind(",", 0, a), clause.rfind(";", 0, a),
                            clause.lower().rfind(" and ", 0, a))
            a = separator + 1 if separator >= 0 else 0
        cues.append((a, False))
    cues += [(m.start(), True) for m in _LIKE.finditer(clause)
             if not any(a <= m.start() < b for a, b in dislikes)]
    cues.sort()
    cuts, previous = [], None
    for position, liking in cues:
        if previous is not None and liking != previous:
            cuts.append(position)
        previous = liking
    bounds = [0, *cuts, len(clause)]
    return [clause[a:b] for a, b in zip(bounds, bounds[1:])]


def _read_clause(clause: str, more_like: int | None, why: int | None, liked_text: list[str],
                 disliked_text: list[str], liked_positions: list[int],
                 disliked_positions: list[int]) -> None:
    """One clause's titles or references, as liked or disliked."""
    disliking = bool(_DISLIKE.search(clause))
    ordinal = (re.search(_REFERENCE, clause, re.I) if (more_like, why) == (None, None)
               else None)
    if ordinal:
        (disliked_positions if disliking else liked_positions).append(_position(ordinal))
        clause = clause[: ordinal.start()] + " " + clause[ordinal.end():]
    if disliking:
        clause = _DISLIKE.sub(" ", clause)
    if _only_filler(clause):
        return
    (disliked_text if disliking else liked_text).append(clause.strip(" ,"))


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
    negated = re.search(rf"\b{_NEGATION}\s+(?:\w+\s+){{0,2}}$", before, re.I)
    suffix = re.match(r"-free\b", after, re.I)
    if suffix:
        return "exclude", start, end + suffix.end()
    if negated and not re.search(r"\b(?:but|and\s+some|and\s+more)\b", before[negated.start():],
                                 re.I):
        return "exclude", start - len(negated.group(0)), end
    wanted = re.search(rf"\b{_WANT}\s+(?:\w+\s+){{0,2}}$", before, re.I)
    tail = re.match(r"\s*(?:movies?|films?|ones?|stuff|please|instead|for\s+a\s+change|"
                    r"tonight)?\b", after, re.I)
    alone = (_only_filler(_BOUNDARY.split(text[:start])[-1])
             and _only_filler(_BOUNDARY.split(text[end:])[0]))
    if wanted or alone or (tail and tail.group(0).strip()):
        return "include", start, end + (tail.end() if tail else 0)
    return None


_DECADE = re.compile(rf"\b(?:the\s+)?(?:'|’)?{DECADE_PATTERN}", re.I)
_AFTER = re.compile(r"\b(?P<cue>after|newer\s+than|later\s+than|post|since|from)\s+"
                    r"(?P<year>(?:19|20)\d\d)(?P<on>\s+(?:on|onwards?|and\s+later|or\s+later))?\b",
                    re.I)
_BEFORE = re.compile(r"\b(?P<cue>before|older\s+than|earlier\s+than|pre|until|up\s+to)\s+"
                     r"(?P<year>(?:19|20)\d\d)\b", re.I)
_RANGE = re.compile(r"\b(?:between|from)\s+(?P<a>(?:19|20)\d\d)\s*(?:and|to|-|–|until)\s*"
                    r"(?P<b>(?:19|20)\d\d)\b", re.I)
_IN_YEAR = re.compile(r"\b(?:in|from|of)\s+(?P<year>(?:19|20)\d\d)\b", re.I)
_RECENT = re.compile(r"\b(?:recent|newer|new\s+releases|latest)\b", re.I)


def _years(text: str, spans: list[tuple[int, int]], latest: int | None
           ) -> tuple[int | None, int | None]:
    year_min = year_max = None
    m = _RANGE.search(text)
    if m:
        spans.append(m.span())
        a, b = sorted((int(m["a"]), int(m["b"])))
        return a, b
    for m in _DECADE.finditer(text):
        digit = int(m["decade"])
        century = int(m["century"]) * 100 if m["century"] else (2000 if digit <= 2 else 1900)
        start = century + digit * 10
        spans.append(m.span())
        year_min = start if year_min is None else min(year_min, start)
        year_max = start + 9 if year_max is None else max(year_max, start + 9)
    m = _AFTER.search(text)
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
    m = _BEFORE.search(text)
    if m:
        spans.append(m.span())
        year = int(m["year"])
        inclusive = m["cue"].lower() in ("until", "up to")
        if _negated(text, m.start(), spans):  # "nothing before 1990": 1990 or later
            year_min = year + 1 if inclusive else year
        else:
            year_max = year if inclusive else year - 1
    if year_min is None and year_max is None:
        m = _IN_YEAR.search(text)
        if m:
            spans.append(m.span())
            return int(m["year"]), int(m["year"])
        m = _RECENT.search(text)
        if m and latest is not None:
            spans.append(m.span())
            return latest - 9, None
    return year_min, year_max


def _negated(text: str, start: int, spans: list[tuple[int, int]]) -> bool:
    """Whether the phrase at ``start`` is negated ("nothing before", "no films made after");
    the negation is then consumed too."""
    before = text[max(0, start - 40):start]
    m = re.search(r"\b(?:no|not|nothing|none|never|avoid|skip|without)\s+(?:\w+\s+){0,2}$",
                  before, re.I)
    if m:
        spans.append((start - len(before) + m.start(), start))
    return bool(m)


def _position(match: re.Match) -> int:
    if match.group("num"):
        return int(match.group("num"))
    return _ORDINALS[match.group("ord").lower()]


def _without(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    chars = list(text[start:end])
    for a, b in spans:
        for i in range(max(a, start), min(b, end)):
            chars[i - start] = " "
    return " ".join("".join(chars).split())


def _only_filler(text: str) -> bool:
    return all(w in REQUEST_FILLER for w in re.findall(r"[\w'’-]+", text.lower()))


# -- the model's reading ---------------------------------------------------------------------


def request_schema(genres: Sequence[str]) -> dict:
    """JSON schema for the model's reading of a message; genres are the catalog's."""
    genre_list = ({"type": "array", "items": {"type": "string", "enum": list(genres)},
                   "maxItems": 3} if genres else {"type": "array", "maxItems": 0})
    year = {"anyOf": [{"type": "integer", "minimum": 1870, "maximum": 2100}, {"type": "null"}]}
    titles = {"type": "array", "items": {"type": "string", "maxLength": 80}, "maxItems": 6}
    return {"type": "object",
            "properties": {"liked": titles, "disliked": titles, "wanted_genres": genre_list,
                           "excluded_genres": genre_list, "year_min": year, "year_max": year},
            "required": ["liked", "disliked", "wanted_genres", "excluded_genres", "year_min",
                         "year_max"]}


def merge_model_reply(reply: str, message: str, rules: Request, genres: Sequence[str]
                      ) -> Request:
    """Add what the model read and the message supports to the rules' reading. Rules win
    where the two disagree; anything the message does not spell out is dropped."""
    try:
        data = json.loads(reply)
    except ValueError:
        log.info("model reading is not JSON: %r", reply[:200])
        return rules
    if not isinstance(data, dict):
        return rules
    lowered = " ".join(message.lower().split())
    words = genre_words(genres)
    decided = {*rules.change.include_genres, *rules.change.exclude_genres,
               *rules.change.lift_genres}

    def supported(genre: object) -> bool:
        return (isinstance(genre, str) and genre in words and genre not in decided and any(
            re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", lowered) for w in words[genre]))

    include = [g for g in _strings(data.get("wanted_genres")) if supported(g)]
    exclude = [g for g in _strings(data.get("excluded_genres")) if supported(g)
               and g not in include]
    change = rules.change
    if include or exclude:
        change = replace(change, include_genres=(*change.include_genres, *include),
                         exclude_genres=(*change.exclude_genres, *exclude))
    if change.year_min is None and change.year_max is None and not change.lift_years:
        low, high = data.get("year_min"), data.get("year_max")
        low = low if _year_asked(low, lowered) else None
        high = high if _year_asked(high, lowered) else None
        if low is not None or high is not None:
            change = replace(change, year_min=low, year_max=high)
    disliked = [t for t in _strings(data.get("disliked")) if t.strip() and t.lower() in lowered
                and not any(t.lower() in d.lower() for d in rules.disliked_text)]
    by = "rules+model" if (change != rules.change or disliked) else rules.parsed_by
    liked = tuple(t for t in rules.liked_text
                  if not any(d.lower() in t.lower() for d in disliked))
    return replace(rules, change=change, liked_text=liked,
                   disliked_text=(*rules.disliked_text, *disliked), parsed_by=by)


def _year_asked(year: object, message: str) -> bool:
    """Whether ``message`` asks for this year ("after 2000", "in 1999"), as opposed to
    naming a title with its year ("Heat (1995)")."""
    if not isinstance(year, int) or isinstance(year, bool):
        return False
    return bool(re.search(rf"\b(?:in|from|after|before|since|than|until|to|and|between|"
                          rf"around|circa|past|pre|post)\s+(?:the\s+)?{year}\b", message))


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def parse_with_model(message: str, genres: Sequence[str], latest_year: int | None,
                     ask_model) -> Request:
    """Rules, then the model's reading merged in (see ``merge_model_reply``). ``ask_model``
    takes the message and the schema and returns the model's JSON text; it is called only when
    the message has something a constraint could come from, and its failure leaves the rules'
    reading."""
    rules = parse_rules(message, genres, latest_year)
    if rules.reset or not _could_constrain(message, genres):
        return rules
    try:
        reply = ask_model(message, request_schema(genres))
    except Exception:  # the model failing must not lose the message
        log.exception("model reading failed; using the rules' reading")
        return rules
    return merge_model_reply(reply, message, rules, genres)


def _could_constrain(message: str, genres: Sequence[str]) -> bool:
    lowered = message.lower()
    if re.search(r"\b(?:19|20)\d\d\b|\d0'?s\b", lowered) or _DISLIKE.search(lowered):
        return True
    return any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", lowered)
               for names in genre_words(genres).values() for w in names)
