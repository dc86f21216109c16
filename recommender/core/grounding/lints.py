"""Prose lints: what makes a line read false or clumsy whatever the catalog holds: saying a pick
is like a title it shares nothing with, or new to a list it shares something with; naming one
thing twice; the wrong article; a describing word used as a thing ("also a moisturizing")."""

from __future__ import annotations

import re
from collections import Counter

from recommender.catalog import Catalog
from recommender.core.grounding.text import singular
from recommender.vocabulary import STOPWORDS, normalize

SAMENESS = re.compile(r"\b(another|also|too|as well|same|similar|again)\b", re.IGNORECASE)
"""Words that say the pick is like the title named: false when the two share nothing."""
NOVELTY = re.compile(r"\b(new to|your list|something (?:new|different)|for a change|a change|"
                      r"not have|(?:kind|type) (?:you|the|your)|to try)\b", re.IGNORECASE)
"""Words that say the pick is unlike the list (the lines about a pick that shares nothing):
false after "Like <title>," of a title it shares something with."""
NOVELTY_STOPS = (", new to", ", a kind", ", something different", ", something new",
                 " for a change", ", a change", " to try")
"""Where a line that names a title the pick is like stops: the clauses the adapter learnt for a
pick that shares nothing ("a shampoo, new to your list" of a shampoo fan's pick). Blocking
their words instead made it write around them: "a kind you do not have", "a sort my name also
has"; stopped there, the line keeps what it said before ("... is a face wash.")."""
LIST_JOINS = re.compile(r",|;|\band\b|\bor\b|\bwith\b", re.IGNORECASE)
ING_AS_THING = re.compile(r"\b(?:a|an|another)\s+([a-z]+ing)\b(?=\s*(?:$|[.,;:!?]|too\b|as well\b|"
                           r"from\b|by\b|and\b|for\b))", re.IGNORECASE)
WRONG_ARTICLE = re.compile(r"\b(?:[Aa] [aeio]|[Aa]n [b-df-gj-np-tv-xz])[a-z]*\b")
"""An article before the wrong sound, read as the article guard of decoding reads it: "a oil",
"an drama" (a capital or "h", "u", "y" after it go either way: "an FBI", "a unique")."""
ING_NOUNS = frozenset({"thing", "something", "nothing", "anything", "everything", "king", "ring",
                        "string", "wedding", "building", "painting", "clothing", "morning",
                        "evening", "feeling", "meeting", "ending", "beginning", "setting",
                        "coating", "earring", "pudding", "filling", "lining", "frosting",
                        "stocking", "dressing", "spring", "darling", "offering", "sibling"})
"""-ing words that are things in plain English ("a happy ending", "a clear coating")."""
TITLE_TOKENS = re.compile(r"[A-Za-z']+|[^\sA-Za-z']")
LINKING_WORDS = frozenset({"for", "with", "and", "by", "in", "of", "to", "the", "a", "on", "from",
                            "or"})
TITLES_FOLLOW = re.compile(r"\b(?:such as|like|including|for example)\b", re.IGNORECASE)
LIST_TAIL = frozenset({"too", "also", "as", "well", "again", "film", "films", "movie", "movies"})
QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")


def claims_sameness(text: str) -> bool:
    """Does ``text`` say the pick is like the title it names ("another", "also", "too")?"""
    return bool(SAMENESS.search(text))


def claims_novelty(text: str) -> bool:
    """Does ``text`` say the pick is new to the list ("new to your list", "for a change")?"""
    return bool(NOVELTY.search(text))


def repeats_itself(text: str) -> bool:
    """Does ``text`` name one thing twice in a row ("soap, soap and soap", "fantasy and
    fantasy", "moisturizing cream and moisturizing", "the the")? A list item's words are
    looked for among the last words before it (plain words aside); items longer than two
    words are names or clauses, not repeats, and so are titles named after "such as". A
    title word said twice ("Tora! Tora!") is no repeat."""
    words = normalize(text).split()
    if any(a == b and a in STOPWORDS for a, b in zip(words, words[1:])):
        return True
    for quoted in QUOTED.findall(text):  # “star star”
        inside = normalize(quoted).split()
        if any(a == b for a, b in zip(inside, inside[1:])):
            return True
    named = TITLES_FOLLOW.split(text)[0]  # "..., such as Toy Story and Toy Story 2"
    parts = [[singular(w) for w in normalize(p).split()
              if w not in LIST_TAIL and w not in STOPWORDS]
             for p in LIST_JOINS.split(named)]
    return any((0 < len(item) <= 2 and set(item) <= set(before[-len(item) - 1:])) or
               (0 < len(before) <= 2 and item[:len(before)] == before)  # "art, art in the mix"
               for before, item in zip(parts, parts[1:]))


def uses_the_wrong_article(text: str) -> bool:
    """Does ``text`` write "a" before a vowel or "an" before a consonant ("an drama")?"""
    return bool(WRONG_ARTICLE.search(text))


def uses_a_describing_word_as_a_thing(text: str, ing_nouns: frozenset[str]) -> bool:
    """Does ``text`` end a noun phrase on a describing -ing word ("also a moisturizing",
    "another cleansing", "this time a lashing")? An -ing word counts as a thing when plain
    English has it so, or when this catalog's titles often end a phrase on it."""
    return any(m.group(1).lower() not in ing_nouns for m in ING_AS_THING.finditer(text))


def ing_nouns_of(catalog: Catalog) -> frozenset[str]:
    """-ing words that end a phrase in at least a fifth of the titles holding them ("Anti-Aging,
    1 oz", "The Wedding"), unlike "Moisturizing Lotion" or "Cleansing Foam"."""
    ends: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for item in catalog.items:
        tokens = TITLE_TOKENS.findall(item.title)
        for word, after in zip(tokens, [*tokens[1:], ""]):
            word = word.lower()
            if word.endswith("ing"):
                seen[word] += 1
                ends[word] += not after.isalpha() or after.lower() in LINKING_WORDS
    return frozenset(w for w, n in seen.items() if ends[w] >= 0.2 * n)
