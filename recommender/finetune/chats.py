"""The chats a fine-tuning example holds, as the app has them: the profile step's request after
the system text, over a history of ``HISTORY_SIZE`` liked items."""

from __future__ import annotations

from collections.abc import Sequence

from recommender.catalog import Item
from recommender.core.facts import history_line
from recommender.models.prompts import render

__all__ = ["HISTORY_SIZE", "profile_chat"]

HISTORY_SIZE = (2, 8)
"""Liked items in a training history, fewest and most. Run 4 trained on 2-5 and kept 72.0% of
Beauty validation lines at 3 items but 40.0% at 8, and the offline evaluation gives whole
histories."""


def profile_chat(noun: str, history: Sequence[Item]) -> tuple[dict, dict]:
    """The chat the app has at its profile step: the system text and the profile request."""
    request = render("profile", noun=noun, history="\n".join(history_line(h) for h in history))
    return ({"role": "system", "content": render("system", noun=noun)},
            {"role": "user", "content": request})
