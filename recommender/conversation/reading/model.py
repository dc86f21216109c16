"""The model's reading of a message, under a JSON schema whose genres are the catalog's own,
merged into the rules' reading: only what the message itself supports is kept (a genre the
model names must be spelled out in the message, a year must appear in it, a title must be a
phrase of it). A small model's guess can add a constraint the rules missed; it can never
invent one."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import replace

from recommender.conversation.reading.patterns import DISLIKE
from recommender.conversation.reading.request import Request
from recommender.conversation.reading.rules import genre_words, parse_rules
from recommender.vocabulary import REQUEST_YEAR

__all__ = ["request_schema", "merge_model_reply", "parse_with_model"]

log = logging.getLogger(__name__)


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
    if re.search(rf"\b{REQUEST_YEAR}\b|\d0'?s\b", lowered) or DISLIKE.search(lowered):
        return True
    return any(re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", lowered)
               for names in genre_words(genres).values() for w in names)
