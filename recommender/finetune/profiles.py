"""Training examples for PALR's profile task, from training interactions only.

Each example is the app's profile step for one person (the system text and the profile request
over a history of their liked training items) with the app's opening "You enjoy movies with".
The target continues it with what the history really holds, in one of many phrasings: for
films, the genres two or more of the titles have (else the commonest), a tag or decade two of
them share, and titles of the first genre named; for products, the product types their names use and a brand two of them share. A
target is kept only when the app's profile check (``profile.checked_profile``) would show it.

Without this task the explanation adapter leaked its "too" into profiles ("a mix of hair and
hair too")."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence

from recommender.catalog import Catalog, Item
from recommender.core.facts import short_title
from recommender.core.grounding import GroundingChecker
from recommender.core.profile import checked_profile
from recommender.core.turn import ExplanationSource
from recommender.finetune.chats import HISTORY_SIZE, profile_chat
from recommender.finetune.lora import ChatExample
from recommender.finetune.product_titles import shared_brand, type_words
from recommender.models.prompts import render
from recommender.vocabulary import PROFILE_GENRES

__all__ = ["profile_examples", "accepted_profile", "movie_profile", "product_profile"]



def _listed(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def movie_profile(history: Sequence[Item], rng: random.Random) -> str | None:
    """One continuation of "You enjoy movies with" from the history's genres, shared tags and
    decade; ``None`` when its titles have no genre we can name."""
    counts = Counter(g for h in history for g in h.genres if g in PROFILE_GENRES)
    if not counts:
        return None
    shared = [g for g, n in counts.most_common() if n >= 2]  # a taste, not one title's genre
    top = (shared or [g for g, _ in counts.most_common()])[:rng.choice((2, 3))]
    genres = _listed([PROFILE_GENRES[g] for g in top])
    # the titles named are ones of the first genre: "science fiction, like Alien"
    titles = [short_title(h) for h in history if top[0] in h.genres]
    rng.shuffle(titles)
    options = [f" {genres}, such as {titles[0]}.", f" {genres} at their heart.",
               f" plenty of {genres}.", f" a taste for {genres}, like {titles[0]}."]
    if len(titles) >= 2:
        options += [f" {genres}, from {titles[0]} to {titles[1]}.",
                    f" {genres}, such as {titles[0]} and {titles[1]}."]
    tags = Counter(t for h in history for t in set(h.tags))
    shared_tags = [t for t, n in tags.most_common() if n >= 2]
    if shared_tags:
        options += [f" {genres}, often tagged “{shared_tags[0]}”.",
                    f" {genres} and a streak of “{shared_tags[0]}”."]
    decades = Counter(h.year // 10 * 10 for h in history if h.year)
    decade, seen = decades.most_common(1)[0] if decades else (0, 0)
    if seen >= 2:
        options += [f" {genres}, mostly from the {decade}s.",
                    f" {genres}, above all from the {decade}s."]
    return rng.choice(options)


def product_profile(history: Sequence[Item], rng: random.Random) -> str | None:
    """One continuation of "You enjoy products with" from the product types the history's
    names use and a brand two of them share; ``None`` when they show neither."""
    types = list(dict.fromkeys(t for h in history for t in type_words(h.title)))
    brand = next((b for i, a in enumerate(history) for other in history[i + 1:]
                  if (b := shared_brand(a.title, other.title, type_words(a.title)))), None)
    options = []
    if types:
        kinds = _listed(types[:3])
        options += [f" a focus on {kinds}.", f" {kinds} in the mix.",
                    f" a leaning toward {kinds}."]
        if brand:
            options += [f" {kinds}, and {brand} more than once.",
                        f" a focus on {kinds}, often from {brand}."]
    elif brand:
        options += [f" a loyalty to {brand}.", f" {brand} again and again."]
    return rng.choice(options) if options else None


def accepted_profile(catalog: Catalog, history: Sequence[Item], checker: GroundingChecker,
                     rng: random.Random) -> str | None:
    """A whole profile of ``history`` ("You enjoy products with a focus on serum.") that the
    app's profile check would show, or ``None`` when none can be written."""
    write = movie_profile if catalog.kind == "movies" else product_profile
    opening = render("profile_opening", noun=catalog.noun)
    sentence = write(history, rng)
    if sentence is None or checked_profile(opening, sentence, history, checker).source != \
            ExplanationSource.LLM:
        return None
    return opening + sentence


def profile_examples(catalog: Catalog, liked: Mapping[str, Sequence[str]],
                     checker: GroundingChecker, count: int, seed: int = 0,
                     history_size: tuple[int, int] = HISTORY_SIZE) -> list[ChatExample]:
    """Up to ``count`` examples, one per user and draw, from ``liked`` (user → their liked
    training items): a history of ``history_size`` of them and a profile the check accepts."""
    rng = random.Random(f"profile:{seed}")
    opening = render("profile_opening", noun=catalog.noun)
    users = sorted(u for u in liked if len(liked[u]) >= history_size[0])
    examples: list[ChatExample] = []
    for _ in range(20):  # a user gives a new draw a round
        rng.shuffle(users)
        for user in users:
            items = [catalog.get(i) for i in dict.fromkeys(liked[user]) if i in catalog]
            size = min(rng.randint(*history_size), len(items))
            if size < history_size[0]:
                continue
            history = rng.sample(items, size)
            written = accepted_profile(catalog, history, checker, rng)
            if written is None:
                continue
            examples.append(ChatExample(profile_chat(catalog.noun, history), opening,
                                        written[len(opening):] + "\n"))
            if len(examples) >= count:
                return examples
    return examples
