"""Reading a message with rules alone: the recognizers, run in order, combined into one
``Request``. Text each recognizer reads is set aside, so that what is left names titles."""

from __future__ import annotations

from collections.abc import Sequence

from recommender.conversation.reading import recognizers as find
from recommender.conversation.reading.request import Request
from recommender.core.constraints import ConstraintChange
from recommender.vocabulary import request_genre_words

__all__ = ["parse_rules", "genre_words"]


def genre_words(genres: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The words that name each of these genres in a message (its own name always)."""
    return request_genre_words(genres)


def parse_rules(message: str, genres: Sequence[str], latest_year: int | None = None) -> Request:
    """Read a message with patterns only. ``genres`` are the catalog's."""
    text = " ".join(message.split())
    if find.is_reset(text):
        return Request(reset=True)
    lifted = find.lifts(text, genres)
    read = list(lifted.spans)
    wanted = find.genres(text, genre_words(genres), read, lifted.value.genres)
    read += wanted.spans
    year_range = find.years(text, latest_year)
    read += year_range.spans
    refs = find.references(text)
    read += refs.spans
    change_of_mind = find.different(text)
    read += change_of_mind.spans
    more_like, why = refs.value
    titles = find.titles(text, read, referenced=(more_like, why) != (None, None))
    g = wanted.value
    change = ConstraintChange(g.include, g.exclude, g.lift, *year_range.value,
                              lifted.value.years, lifted.value.all)
    return Request(tuple(titles.liked), tuple(titles.disliked), tuple(titles.liked_positions),
                   tuple(titles.disliked_positions), change, more_like, why,
                   change_of_mind.value)
