"""The vocabulary guard: while a reply is decoded, each word it writes must be one of a given
set, so a product profile cannot invent a word ("a leaning toward oil, lavender and lollipop"
for three oils, "mascab", "turber") nor write letters that are no word ("nail lp", "sp***").

Words are read as the grounding checker reads them (``vocabulary.normalize``): lower case,
accents and apostrophes dropped, any other character that is not a letter or digit a break.
A number is free ("30"); the checker leaves words of one or two letters alone, the guard does
not. Only ASCII letters and digits and plain punctuation (``PLAIN_MARKS``) may be written: an
apostrophe, which the checker drops, would let "l'e'a'n" pass for "lean", and "bélo" for "below".

:class:`TokenTable` sorts a tokenizer's tokens once by how they touch the word being written;
:class:`VocabularyGuard` turns a word set into the tokens allowed after a reply so far. Both
work on token texts alone, so they are tested without a model; ``llama_cpp`` wires them into
decoding as a logits processor.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from recommender.vocabulary import folded

__all__ = ["CLOSING_QUOTE", "OPENING_QUOTE", "PLAIN_MARKS", "QuotationGuard", "TokenTable",
           "VocabularyGuard", "folded", "is_plain", "trailing_word"]

_WRITTEN_WORD = re.compile(r"[A-Za-z0-9]+$")
_AFTER_A = re.compile(r" [aeio][a-z]*$")
_AFTER_AN = re.compile(r" [b-df-gj-np-tv-xz][a-z]*$")
_DIGITS = re.compile(r" ?[0-9]+$")
_SPACED_DIGITS = re.compile(r" +[0-9]*$")
PLAIN_MARKS = frozenset(" \n,.;:!?&()-/")
"""What a guarded reply may write besides ASCII letters and digits (not "***", "™" or "'")."""
OPENING_QUOTE, CLOSING_QUOTE = "“", "”"
"""The quotation marks an explanation puts around a name word or tag (“nail”, “dystopia”)."""


def trailing_word(text: str) -> tuple[str, bool]:
    """The word ``text`` ends inside (``""`` when it ends on a break), and whether it is
    written in capitals."""
    written = _WRITTEN_WORD.search(text)
    return folded(text).rsplit(" ", 1)[-1], bool(written and written.group().isupper())


def is_plain(char: str) -> bool:
    """May a guarded reply write ``char``?"""
    return (char.isascii() and char.isalnum()) or char in PLAIN_MARKS


@dataclass
class TokenTable:
    """A tokenizer's tokens by kind, from their texts (index = token id; ``None`` for a token
    that is not text on its own: a piece of a multi-byte character). A token with a character
    that is neither an ASCII letter or digit nor one of ``PLAIN_MARKS`` is never allowed while
    the guard is on. Built once per model."""

    neutral: list[int] = field(default_factory=list)
    """Text that folds to nothing: it changes no word (none with ``PLAIN_MARKS`` as they are)."""
    breaking: list[int] = field(default_factory=list)
    """Only breaks (" ", ",", ".\n") or no text at all (the end of the turn): they finish the
    word being written."""
    starting: dict[str, list[int]] = field(default_factory=dict)
    """A break, then one word the token ends inside (" lav" → "lav")."""
    going_on: dict[str, list[int]] = field(default_factory=dict)
    """Letters and digits only: they go on with the word being written ("ender")."""
    mixed: list[tuple[int, str]] = field(default_factory=list)
    """Anything else ("oil," and " & "), with its folded text: checked one by one."""
    capitals: set[int] = field(default_factory=set)
    """``going_on`` tokens with a capital letter: they go on only with a word in capitals
    ("SP" + "F"), not a word in lower case ("moi" + "St")."""
    opening_quotes: list[int] = field(default_factory=list)
    """An opening quotation mark alone, after a space or not (" “")."""
    closing_quotes: list[int] = field(default_factory=list)
    """A closing quotation mark, then only plain marks ("”", "”.", "”),")."""
    other_quotes: list[int] = field(default_factory=list)
    """Any other token with a quotation mark (".”", " (“", "“["): never allowed by the
    quotation guard."""
    articles: dict[int, str] = field(default_factory=dict)
    """The tokens " a" and " an" (any case), by the article they write."""
    not_after: dict[str, list[int]] = field(default_factory=dict)
    """The tokens that may not follow each article: a space, then a lower-case word that starts
    with a vowel after "a" (" oil"), with a consonant after "an" (" drama"); "h", "u" and "y"
    go either way ("an hour", "a unique", "a yellow"), and capitals too ("an FBI", "a European")."""
    digits: set[int] = field(default_factory=set)
    """Digits only, after a space or not (" 19", "7")."""
    spaced_digits: list[int] = field(default_factory=list)
    """Spaces, then digits or nothing (" 0", " "): after a digit they would split a number, as
    in "a drama from 2 017", which no year guard reads as the year it shows."""

    @cached_property
    def not_quoted(self) -> frozenset[int]:
        """Tokens never written inside a quotation: no mark but a space between words, no
        number ("“30”"). Built once per model, not per reply (it held a megabyte each)."""
        return frozenset({*self.neutral, *self.breaking, *(t for t, _ in self.mixed),
                          *(t for runs in (self.starting, self.going_on)
                            for run, ids in runs.items() if run.isdigit() for t in ids)})

    @cached_property
    def spaced(self) -> frozenset[int]:
        """Tokens that start a word after a space: not right after an opening mark
        ("“ nail”")."""
        return frozenset(t for ids in self.starting.values() for t in ids)

    def not_next(self) -> dict[int, list[int]]:
        """For each token, the tokens that may not follow it: ``not_after`` its article, and
        ``spaced_digits`` after a digit."""
        rules = {token: self.not_after.get(article, []) for token, article in self.articles.items()}
        rules.update((token, self.spaced_digits) for token in self.digits)
        return {token: ids for token, ids in rules.items() if ids}

    @classmethod
    def from_texts(cls, texts: Sequence[str | None]) -> TokenTable:
        table = cls()
        for token, text in enumerate(texts):
            if text is not None and (OPENING_QUOTE in text or CLOSING_QUOTE in text):
                if text.lstrip(" ") == OPENING_QUOTE:
                    table.opening_quotes.append(token)
                elif text[0] == CLOSING_QUOTE and all(ch in PLAIN_MARKS for ch in text[1:]):
                    table.closing_quotes.append(token)
                else:
                    table.other_quotes.append(token)
            if text is None or not all(is_plain(ch) for ch in text):
                continue
            if text.lower() in (" a", " an"):
                table.articles[token] = text.lower().strip()
            elif _AFTER_A.match(text):
                table.not_after.setdefault("a", []).append(token)
            elif _AFTER_AN.match(text):
                table.not_after.setdefault("an", []).append(token)
            if _DIGITS.match(text):
                table.digits.add(token)
            if _SPACED_DIGITS.match(text):
                table.spaced_digits.append(token)
            seen = folded(text)
            if text and not seen:
                table.neutral.append(token)
            elif not seen.strip():
                table.breaking.append(token)
            elif " " not in seen:
                table.going_on.setdefault(seen, []).append(token)
                if any(ch.isupper() for ch in text):
                    table.capitals.add(token)
            elif seen[0] == " " and " " not in seen.lstrip(" "):
                table.starting.setdefault(seen.lstrip(" "), []).append(token)
            else:
                table.mixed.append((token, seen))
        return table


class VocabularyGuard:
    """The tokens that keep every word of a reply in ``words`` (numbers aside)."""

    def __init__(self, table: TokenTable, words: Collection[str]) -> None:
        self.table = table
        self.words = frozenset(w for w in (folded(w).strip() for w in words) if w)
        self._prefixes = {w[:i] for w in self.words for i in range(1, len(w) + 1)}
        self._after_break = [*table.neutral, *table.breaking,
                             *(t for run, ids in table.starting.items() if self.may_start(run)
                               for t in ids)]
        self._starting_anew = [t for run, ids in table.going_on.items() if self.may_start(run)
                               for t in ids]  # a word after a break with no space: ",soap"
        self._digit_runs = [run for run in table.going_on if run.isdigit()]

    def is_word(self, word: str) -> bool:
        """May ``word`` be written, whole?"""
        return word.isdigit() or word in self.words

    def may_start(self, word: str) -> bool:
        """May a word begin with ``word``?"""
        return word.isdigit() or word in self._prefixes

    def fits(self, word: str, seen: str) -> bool:
        """Does a token of folded text ``seen``, written inside ``word``, keep the reply's
        words in the set? The reference the fast path of ``allowed`` agrees with."""
        for char in seen:
            if char == " ":
                if word and not self.is_word(word):
                    return False
                word = ""
            else:
                word += char
        return not word or self.may_start(word)

    def allowed(self, word: str, in_capitals: bool = False) -> list[int]:
        """The tokens allowed next when the reply so far ends inside ``word`` (``""``: on a
        break), written in capitals or not ("SP" or "Lav")."""
        table = self.table
        if not word:
            allowed = [*self._after_break, *self._starting_anew]
        else:
            allowed = list(self._after_break if self.is_word(word) else table.neutral)
            runs = {w[len(word):end] for w in self.words if w.startswith(word)
                    for end in range(len(word) + 1, len(w) + 1)}
            runs.update(self._digit_runs if word.isdigit() else ())
            allowed += (t for run in runs for t in table.going_on.get(run, ())
                        if in_capitals or t not in table.capitals)
        allowed += (t for t, seen in table.mixed if self.fits(word, seen))
        return allowed


class QuotationGuard:
    """The tokens that keep what a reply puts inside quotation marks to ``words``: the words an
    explanation may quote (the name words or tags the pick shares with the title it names), so
    it cannot write "another “hand” product" of a toe-nail clipper. Outside a quotation every
    token is allowed but a quotation mark that does not open one cleanly; with no ``words``, no
    quotation may be opened at all. Inside one, each word must be of ``words`` (as
    ``VocabularyGuard`` keeps them) and the closing mark may come only after a whole word."""

    def __init__(self, table: TokenTable, words: Collection[str]) -> None:
        self.table = table
        self.inside = VocabularyGuard(table, words)
        self.blocked_outside = [*table.other_quotes, *table.closing_quotes,
                                *(() if self.inside.words else table.opening_quotes)]
        self._not_quoted, self._spaced = table.not_quoted, table.spaced  # the table's, shared

    @staticmethod
    def quoting(reply: str) -> str | None:
        """What ``reply`` has written inside a quotation it has not closed, or ``None`` when it
        is not inside one."""
        opened = reply.rfind(OPENING_QUOTE)
        if opened < 0 or reply.rfind(CLOSING_QUOTE) > opened:
            return None
        return reply[opened + 1:]

    def allowed(self, quoted: str) -> list[int]:
        """The tokens allowed next inside a quotation that holds ``quoted`` so far."""
        word, in_capitals = trailing_word(quoted)
        allowed = [t for t in self.inside.allowed(word, in_capitals) if t not in self._not_quoted
                   and (quoted or t not in self._spaced)]
        if word in self.inside.words:
            allowed += self.table.closing_quotes
        return allowed
