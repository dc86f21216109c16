"""The genres' words, one row per genre: the names that claim it, the cues that only ask for it,
the noun an explanation calls a film of it by, the word that qualifies another genre's noun, and
how a profile lists it. Reading a message, checking a claim, writing an explanation and writing
a fine-tuning target all read this one table."""

from __future__ import annotations

from dataclasses import dataclass

from recommender.vocabulary.words import normalize

__all__ = ["GenreWords", "GENRE_WORDS", "GENRE_NOUNS", "PROFILE_GENRES", "genre_synonyms",
           "request_genre_words"]


@dataclass(frozen=True)
class GenreWords:
    """The words for one genre. ``names`` name it: an explanation using one claims the genre
    (the grounding check holds it to the catalog), and a message using one asks for it.
    ``cues`` only ask for it in a message ("funny", "heist"); they claim nothing in an
    explanation. ``noun``: a film of the genre ("a crime film"); ``qualifier``: the genre before
    another genre's noun ("a crime thriller"); ``listed``: the genre in a profile's list
    ("action, crime and thrillers"). A genre without a ``noun`` is not written about."""

    names: tuple[str, ...]
    cues: tuple[str, ...] = ()
    noun: str = ""
    qualifier: str = ""
    listed: str = ""


GENRE_WORDS: dict[str, GenreWords] = {
    "Action": GenreWords(("action",), (), "action film", "action", "action"),
    "Adventure": GenreWords(("adventure",), ("adventures",), "adventure film", "adventure",
                            "adventure"),
    "Animation": GenreWords(("animation", "animated", "cartoon"), ("cartoons", "anime"),
                            "animated film", "animated", "animation"),
    "Children": GenreWords(("children's", "children", "kids", "family"), (),
                           "children's film", "children's", "family films"),
    "Comedy": GenreWords(("comedy", "comedic"),
                         ("comedies", "funny", "humor", "humour", "hilarious", "comic"),
                         "comedy", "comedy", "comedy"),
    "Crime": GenreWords(("crime",), ("gangster", "heist", "mafia"), "crime film", "crime",
                        "crime"),
    "Documentary": GenreWords(("documentary", "documentaries"), (), "documentary",
                              "documentary", "documentaries"),
    "Drama": GenreWords(("drama", "dramatic"), ("dramas",), "drama", "dramatic", "drama"),
    "Fantasy": GenreWords(("fantasy",), (), "fantasy film", "fantasy", "fantasy"),
    "Film-Noir": GenreWords(("film noir", "noir"), ("film-noir",), "film noir", "noir",
                            "film noir"),
    "Horror": GenreWords(("horror", "scary"), ("slasher", "slashers"), "horror film", "horror",
                         "horror"),
    "IMAX": GenreWords(("imax",)),
    "Musical": GenreWords(("musical", "musicals"), (), "musical", "musical", "musicals"),
    "Mystery": GenreWords(("mystery", "mysteries"), ("whodunit",), "mystery", "mystery",
                          "mystery"),
    "Romance": GenreWords(("romance", "romantic"),
                          ("romances", "romcom", "rom-com", "love story", "love stories"),
                          "romance", "romantic", "romance"),
    "Sci-Fi": GenreWords(("sci-fi", "scifi", "science fiction"), ("science-fiction",),
                         "science fiction film", "science fiction", "science fiction"),
    "Thriller": GenreWords(("thriller", "thrillers"), ("suspense",), "thriller", "thriller",
                           "thrillers"),
    "War": GenreWords(("war",), (), "war film", "war", "war"),
    "Western": GenreWords(("western", "westerns"), ("cowboy",), "Western", "Western",
                          "Westerns"),
}
"""MovieLens's genres; other catalogs' genres are named by their own name only."""

GENRE_NOUNS: dict[str, tuple[str, str]] = {
    genre: (words.noun, words.qualifier) for genre, words in GENRE_WORDS.items() if words.noun}
"""Genre → (a noun phrase for it, the word that qualifies another genre's noun)."""

PROFILE_GENRES: dict[str, str] = {
    genre: words.listed for genre, words in GENRE_WORDS.items() if words.listed}
"""Genre → how a profile names it in a list ("action, crime and thrillers")."""


def genre_synonyms() -> dict[str, str]:
    """Normalised genre name → genre, for every name in ``GENRE_WORDS`` (the claims)."""
    return {normalize(name): genre for genre, words in GENRE_WORDS.items()
            for name in words.names}


def request_genre_words(genres: tuple[str, ...] | list[str]) -> dict[str, tuple[str, ...]]:
    """The words that ask for each of these genres in a message (its own name always),
    longest first."""
    out = {}
    for genre in genres:
        known = GENRE_WORDS.get(genre, GenreWords(()))
        words = {genre.lower(), *known.names, *known.cues}
        out[genre] = tuple(sorted(words, key=len, reverse=True))
    return out
