"""The patterns reading uses: ordinals and references, negation and wanting, likes and
dislikes, clause boundaries, lifts, years. Words themselves come from ``vocabulary``."""

from __future__ import annotations

import re

from recommender.vocabulary import DECADE_PATTERN, REQUEST_FILLER, REQUEST_YEAR

ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4, "fifth": 5, "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7,
             "eighth": 8, "8th": 8, "ninth": 9, "9th": 9, "tenth": 10, "10th": 10, "last": -1}
ORDINAL = (r"(?:(?:the\s+)?(?P<ord>" + "|".join(ORDINALS) + r")(?:\s+(?:one|pick|title|movie|"
            r"film|product|item|recommendation))?|(?:number|no\.?|#)\s*(?P<num>\d{1,2}))")

REFERENCE = (r"(?:(?:the\s+)?(?P<ord>" + "|".join(ORDINALS) + r")\s+(?:one|pick|title|movie|"
              r"film|product|item|recommendation)\b|(?:number|no\.?|#)\s*(?P<num>\d{1,2})\b)")
"""A reference to a shown item outside a question: "the second one", "number 2"."""

NEGATION = r"(?:no|not|without|nothing|avoid|skip|except|exclude|hate|less|never|don'?t\s+want|" \
            r"do\s+not\s+want|no\s+more|anything\s+but|stop|zero)"
WANT = r"(?:want|like|love|prefer|only|just|some|more|a|an|in\s+the\s+mood\s+for|" \
        r"something|anything|give\s+me|show\s+me|how\s+about|what\s+about|make\s+it)"
DISLIKE = re.compile(
    r"\b(?:hated|hate|disliked|dislike|didn'?t\s+(?:like|enjoy)|did\s+not\s+(?:like|enjoy)|"
    r"don'?t\s+(?:like|enjoy)|do\s+not\s+(?:like|enjoy)|not\s+a\s+fan\s+of|"
    r"couldn'?t\s+stand|can'?t\s+stand|boring|terrible|awful|overrated|was\s+bad|were\s+bad|"
    r"not\s+for\s+me|no\s+thanks\s+to)\b", re.I)
AFTER_TITLE = re.compile(r"boring|terrible|awful|overrated|was\s+bad|were\s+bad|"
                          r"not\s+for\s+me", re.I)
"""Dislike cues that follow the title they are about."""
LIKE = re.compile(r"\b(?:loved|liked|enjoyed|adored|love|like)\b", re.I)
BOUNDARY = re.compile(r"[.;!?,\n]+|\b(?:but|and|or|however|though)\b", re.I)
CLAUSES = re.compile(r"[.;!?\n]+|\bbut\b|\bhowever\b|\bthough\b", re.I)
ABBREVIATION = re.compile(r"(?:\b(?:mr|mrs|ms|dr|st|jr|sr|vs|vol|pt|mt|ft|prof|capt|sgt|lt|"
                           r"gen|col|rev)|(?<![\w.])[a-z]|\b[a-z](?:\.[a-z])+)$", re.I)
"""What a period ends without ending a clause: "Mr. Holland's Opus", "J. Edgar", "L.A."."""
DIFFERENT = re.compile(r"\b(?:something\s+(?:completely\s+|totally\s+|else\s+|quite\s+)?"
                        r"different|surprise\s+me|more\s+(?:variety|diverse|diversity)|"
                        r"mix\s+it\s+up|other\s+kinds?|less\s+of\s+the\s+same)\b", re.I)
RESET = re.compile(r"^\W*(?:start\s+over|reset|clear\s+everything|new\s+conversation|"
                    r"forget\s+everything)\W*$", re.I)
LIFT_ALL = re.compile(r"\b(?:clear|remove|drop|lift|reset|forget)\s+(?:all\s+)?(?:the\s+)?"
                       r"(?:filters|constraints|restrictions)\b|\bno\s+(?:more\s+)?"
                       r"(?:filters|constraints|restrictions)\b|\bno\s+limits\b", re.I)
LIFT_YEARS = re.compile(r"\b(?:any|all)\s+(?:years?|decades?|eras?|dates?)\b|\b(?:forget|drop|"
                         r"lift|remove|clear|ignore)\s+(?:the\s+)?(?:years?|decades?|dates?|"
                         r"era)(?:\s+(?:filter|limit|range|constraint))?\b", re.I)
ANY_GENRE = re.compile(r"\b(?:any|all)\s+genres?\b|\b(?:forget|drop|lift|remove|clear|ignore)"
                        r"\s+(?:the\s+)?genres?(?:\s+(?:filter|limit|constraint)s?)?\b", re.I)

DECADE = re.compile(rf"\b(?:the\s+)?(?:'|’)?{DECADE_PATTERN}", re.I)
AFTER = re.compile(r"\b(?P<cue>after|newer\s+than|later\s+than|post|since|from)\s+"
                    rf"(?P<year>{REQUEST_YEAR})(?P<on>\s+(?:on|onwards?|and\s+later|or\s+later))?\b",
                    re.I)
BEFORE = re.compile(r"\b(?P<cue>before|older\s+than|earlier\s+than|pre|until|up\s+to)\s+"
                     rf"(?P<year>{REQUEST_YEAR})\b", re.I)
RANGE = re.compile(rf"\b(?:between|from)\s+(?P<a>{REQUEST_YEAR})\s*(?:and|to|-|–|until)\s*"
                    rf"(?P<b>{REQUEST_YEAR})\b", re.I)
IN_YEAR = re.compile(rf"\b(?:in|from|of)\s+(?P<year>{REQUEST_YEAR})\b", re.I)
RECENT = re.compile(r"\b(?:recent|newer|new\s+releases|latest)\b", re.I)


def position(match: re.Match) -> int:
    if match.group("num"):
        return int(match.group("num"))
    return ORDINALS[match.group("ord").lower()]


def only_filler(text: str) -> bool:
    return all(w in REQUEST_FILLER for w in re.findall(r"[\w'’-]+", text.lower()))
