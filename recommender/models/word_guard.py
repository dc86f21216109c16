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

from recommender.vocabulary import folded

__all__ = ["PLAIN_MARKS", "TokenTable", "VocabularyGuard", "folded", "is_plain", "trailing_word"]

_WRITTEN_WORD = re.compile(r"[A-Za-z0-9]+$")
PLAIN_MARKS = frozenset(" \n,.;:!?&()-/")
"""What a guarded reply may write besides ASCII letters and digits (not "***", "™" or "'")."""


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

    @classmethod
    def from_texts(cls, texts: Sequence[str | None]) -> TokenTable:
        table = cls()
        for token, text in enumerate(texts):
            if text is None or not all(is_plain(ch) for ch in text):
                continue
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
