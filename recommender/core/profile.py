"""PALR step 1: the model writes the user's taste profile from their history; catalog facts
stand in when it cannot."""

from __future__ import annotations

from collections.abc import Generator, Sequence

from recommender.catalog import Item
from recommender.core.facts import finish_sentence, short_title
from recommender.core.turn import Event, ProfileDelta
from recommender.models.prompting import PromptConversation
from recommender.models.prompts import render

__all__ = ["PROFILE_TOKENS", "write_profile", "fact_profile"]

PROFILE_TOKENS = 32


def write_profile(chat: PromptConversation, request: str,
                  noun: str) -> Generator[Event, None, str]:
    """Stream the model's profile (``ProfileDelta``s) and return it as one sentence, or ""
    when the model wrote nothing or failed."""
    start = render("profile_opening", noun=noun)
    yield ProfileDelta(start)
    pieces: list[str] = []
    for piece in chat.ask("profile", request, PROFILE_TOKENS, prefix=start, stop=("\n", ". ")):
        pieces.append(piece)
        yield ProfileDelta(piece)
    if chat.model.failed or not "".join(pieces).strip():
        return ""
    return finish_sentence(start + "".join(pieces))


def fact_profile(history: Sequence[Item]) -> str:
    """A profile from catalog facts alone, for when the model cannot write one."""
    genres: dict[str, int] = {}
    for item in history:
        for genre in item.genres:
            genres[genre] = genres.get(genre, 0) + 1
    top = sorted(genres, key=lambda g: -genres[g])[:3]
    names = ", ".join(short_title(h) for h in history[:3])
    return f"You enjoy {', '.join(top)}, such as {names}." if top else f"You enjoy {names}."
