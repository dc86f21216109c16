"""Training examples for PALR's explanation task, built from training interactions only.

Each example is the app's own explanation step for one person: the system text, the profile
request and a profile, the explanation request with the picks' facts, and the reply so far
("1. Like Rio Bravo, Rio Grande is"). The target is one continuation that states what the pick
really shares with the named history item (the anchor ``facts.choose_anchor`` names): shared
genres and tags for films, with the pick's year; product type words and brand for products.
It is written from those facts in one of many phrasings (``movie_sentence``,
``product_sentence``), and kept only when the app's own grounding checker accepts it and it
names a shared fact, so no target teaches a claim the catalog does not hold.

Histories are drawn from the training users' liked training items (MovieLens rating ≥ 4,
Beauty any), never a test item; users set apart for measuring never appear."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

from recommender.catalog import Catalog, Item
from recommender.core.facts import Anchor, choose_anchor, facts_line, history_line
from recommender.core.explanation import checked, opening, shares_any
from recommender.core.grounding import GroundingChecker
from recommender.core.turn import ExplanationSource
from recommender.core.profile import fact_profile
from recommender.finetune.lora import ChatExample
from recommender.models.prompts import render
from recommender.vocabulary import PACKAGING_WORDS, PRODUCT_TYPES, STOPWORDS, normalize

__all__ = ["explanation_examples", "movie_sentence", "product_sentence", "GENRE_NOUNS",
           "type_words", "shared_brand", "shared_phrase", "profile_chat", "HISTORY_SIZE"]

GENRE_NOUNS = {
    "Action": ("action film", "action"), "Adventure": ("adventure film", "adventure"),
    "Animation": ("animated film", "animated"), "Children": ("children's film", "children's"),
    "Comedy": ("comedy", "comedy"), "Crime": ("crime film", "crime"),
    "Documentary": ("documentary", "documentary"), "Drama": ("drama", "dramatic"),
    "Fantasy": ("fantasy film", "fantasy"), "Film-Noir": ("film noir", "noir"),
    "Horror": ("horror film", "horror"), "Musical": ("musical", "musical"),
    "Mystery": ("mystery", "mystery"), "Romance": ("romance", "romantic"),
    "Sci-Fi": ("science fiction film", "science fiction"), "Thriller": ("thriller", "thriller"),
    "War": ("war film", "war"), "Western": ("Western", "Western"),
}
"""Genre → (a noun phrase for it, the word that qualifies another genre's noun)."""


HISTORY_SIZE = (2, 8)
"""Liked items in a training history, fewest and most. Run 4 trained on 2-5 and kept 72.0% of
Beauty validation lines at 3 items but 40.0% at 8, and the offline evaluation gives whole
histories."""


def _a(phrase: str) -> str:
    return ("an " if phrase[:1].lower() in "aeiou" else "a ") + phrase


def _genres_phrase(genres: Sequence[str]) -> str:
    """"a Western", "an action and science fiction film", "a romantic comedy"."""
    known = [g for g in genres if g in GENRE_NOUNS]
    if len(known) == 1:
        return _a(GENRE_NOUNS[known[0]][0])
    first, second = known[0], known[1]
    if {first, second} == {"Comedy", "Romance"}:
        return "a romantic comedy"
    noun = GENRE_NOUNS[second][0]
    qualifier = GENRE_NOUNS[first][1]
    return _a(f"{qualifier} and {noun}" if " " in noun else f"{qualifier} {noun}")


def movie_sentence(pick: Item, anchor: Anchor, rng: random.Random) -> str | None:
    """One continuation of the pick's opening (``explanation.opening``) from what the two
    share: genres, tags or decade after "Like <anchor>, <pick> is"; the pick's own genres and
    year after "<pick> is" when they share nothing. ``None`` when there is nothing to say."""
    genres = [g for g in anchor.genres if g in GENRE_NOUNS]
    tags = list(anchor.tags)
    year = pick.year
    own = [g for g in pick.genres if g in GENRE_NOUNS][:2]
    if not shares_any(pick, anchor):
        return _movie_alone(own, year, rng)
    options = []
    if not genres and not tags and year and own:  # the decade alone
        decade = year // 10 * 10
        options += [f" another film from the {decade}s, {_genres_phrase(own)}.",
                    f" {_genres_phrase(own)} from the {decade}s too."]
    if genres:
        phrase = _genres_phrase(genres[:2])
        one = _a(GENRE_NOUNS[genres[0]][0])
        options += [f" {phrase} too.", f" {one} as well.", f" also {phrase}."]
        if year:
            options += [f" {phrase} too, this one from {year}.",
                        f" another {GENRE_NOUNS[genres[0]][0]}, made in {year}.",
                        f" {one} from {year}.", f" {one} from the {year // 10 * 10}s.",
                        f" {phrase} of {year}."]
        if len(genres) >= 2:
            options.append(f" {_a(GENRE_NOUNS[genres[0]][0])} and "
                           f"{_a(GENRE_NOUNS[genres[1]][0])} at once.")
    if tags:
        tag = tags[0]
        options += [f" tagged “{tag}” too.", f" also tagged “{tag}” by viewers.",
                    f" one more that viewers call “{tag}”."]
        if genres:
            options += [f" {_a(GENRE_NOUNS[genres[0]][0])} that viewers also tag “{tag}”.",
                        f" another {GENRE_NOUNS[genres[0]][0]}, and both are tagged “{tag}”."]
    return rng.choice(options) if options else None


def _movie_alone(genres: Sequence[str], year: int | None, rng: random.Random) -> str | None:
    """A line about a film that shares nothing with the history: what it is, and that it is a
    change (no "too" or "also": nothing is the same)."""
    if not genres:
        return None
    phrase = _genres_phrase(genres)
    options = [f" {phrase}, a change from your list.", f" {phrase} to try for something new."]
    if year:
        options += [f" {phrase} from {year}.", f" {phrase} from {year}, something different."]
    return rng.choice(options)


_FREE_OF = re.compile(r"\b[a-z]+ free\b")


def type_words(title: str) -> list[str]:
    """The product-type phrases a title itself uses ("shampoo", "eau de toilette"); not one it
    says the product is free of ("Fragrance-Free Hand Cream" is no fragrance)."""
    text = f" {_FREE_OF.sub(' ', normalize(title))} "
    found = []
    for phrases in PRODUCT_TYPES.values():
        for phrase in sorted(phrases, key=len, reverse=True):
            if f" {normalize(phrase)} " in text or f" {normalize(phrase)}s " in text:
                found.append(phrase)
                break
    return found


_NOT_BRAND = frozenset({w for phrases in PRODUCT_TYPES.values() for p in phrases
                        for w in normalize(p).split()} | PACKAGING_WORDS | STOPWORDS |
                       {"nail", "hair", "eye", "lip", "face", "body", "skin", "false", "men",
                        "women", "natural", "organic", "pure", "new", "professional", "pro"})
"""Words a name may start with that are not a brand ("10 Pair", "Nail Soakers")."""


def product_sentence(pick: Item, anchor: Anchor, rng: random.Random) -> str | None:
    """One continuation of the pick's opening (``explanation.opening``) from the words the two
    names share (a product type, a brand, another name word); the pick's own kind after
    "<pick> is" when they share none. ``None`` when there is nothing to say."""
    own_types = type_words(pick.title)
    anchor_types = {normalize(t) for t in type_words(anchor.item.title)}
    shared_types = [t for t in own_types if normalize(t) in anchor_types]
    brand = shared_brand(pick.title, anchor.item.title, own_types)
    if not shares_any(pick, anchor):
        return _product_alone(own_types, rng)
    options = []
    if shared_types:
        kind = shared_types[0]
        options += [f" {_a(kind)} too.", f" another {kind}.", f" also {_a(kind)}."]
        if brand:
            options += [f" another {kind} from {brand}.", f" {_a(kind)} by {brand} too.",
                        f" also {_a(brand + ' ' + kind)}."]
    elif brand:
        if own_types:
            options += [f" from {brand} too, here {_a(own_types[0])}.",
                        f" another {brand} product, this time {_a(own_types[0])}."]
        options += [f" by {brand} as well.", f" also made by {brand}."]
    elif phrase := shared_phrase(pick.title, anchor.words):
        # a name word and no type or brand ("Body" of a body scrub and a body shampoo)
        options += [f" also named “{phrase}”.", f" another “{phrase}” product."]
        if own_types:
            kind = own_types[0]
            options += [f" {_a(kind)}, with “{phrase}” in its name too.",
                        f" another “{phrase}” product, this time {_a(kind)}.",
                        f" {_a(kind)}, and its name says “{phrase}” as well."]
    return rng.choice(options) if options else None


def _product_alone(types: Sequence[str], rng: random.Random) -> str | None:
    """A line about a product whose name shares no word with the history's: its kind, and
    that the list has none yet (no "too" or "also": nothing is the same)."""
    if not types:
        return None
    kind = _a(types[0])
    return rng.choice([f" {kind}, new to your list.", f" {kind}, something different to try.",
                       f" {kind}, a kind your list does not have yet.",
                       f" {kind} for a change."])


def shared_phrase(title: str, words: Sequence[str]) -> str | None:
    """The first run of ``title``'s words that are among the shared name ``words``, as the
    title writes it (one word lower-cased: "body"; a longer run kept: "Dead Sea")."""
    run: list[str] = []
    for token in re.split(r"[\s,;:/()\-]+", title):
        token = token.strip(".!?\"'*")
        if normalize(token) in words and normalize(token).isalpha():
            run.append(token)
        elif run:
            break
    if not run:
        return None
    return run[0].lower() if len(run) == 1 else " ".join(run)


def shared_brand(title: str, other: str, types: Sequence[str]) -> str | None:
    """The words both product names start with (up to three, no type or packaging word):
    their brand or line, as the catalog names it."""
    ours, theirs = title.replace(",", " ").split(), other.replace(",", " ").split()
    common = []
    for a, b in zip(ours[:3], theirs[:3]):
        word = normalize(a)
        if word != normalize(b) or not word.isalpha() or word in _NOT_BRAND:
            break
        common.append(a)
    return " ".join(common) if common and len(normalize(" ".join(common))) >= 3 else None


def explanation_examples(catalog: Catalog, liked: Mapping[str, Sequence[str]],
                         checker: GroundingChecker, count: int, seed: int = 0,
                         history_size: tuple[int, int] = HISTORY_SIZE,
                         picks: int = 3) -> list[ChatExample]:
    """Up to ``count`` examples, one per (user, pick line), from ``liked`` (user → their liked
    training items, in any order): a history of ``history_size`` of them, the next ``picks`` of them as the
    picks. Targets the checker would replace are dropped."""
    rng = random.Random(seed)
    noun = catalog.noun
    write = movie_sentence if catalog.kind == "movies" else product_sentence
    users = sorted(u for u in liked if len(liked[u]) > history_size[0])
    examples: list[ChatExample] = []
    rounds = 0
    while users and len(examples) < count and rounds < 50:  # a user gives a new draw a round
        rounds += 1
        rng.shuffle(users)
        examples += _round(users, catalog, liked, checker, count - len(examples), rng, noun,
                           write, history_size, picks)
    return examples


def _round(users, catalog, liked, checker, count, rng, noun, write, history_size,
           picks) -> list[ChatExample]:
    examples: list[ChatExample] = []
    for user in users:
        items = [catalog.get(i) for i in dict.fromkeys(liked[user]) if i in catalog]
        size = rng.randint(*history_size)
        if len(items) < size + 1:
            continue
        rng.shuffle(items)
        history, chosen = items[:size], items[size:size + picks]
        messages = _messages(noun, history, chosen, _shown_profile(catalog, history, checker, rng))
        for position, pick in enumerate(chosen, 1):
            anchor = choose_anchor(pick, history)
            start = opening(pick, anchor)
            sentence = write(pick, anchor, rng)
            if sentence is None or not _grounded(checker, start, sentence, pick, anchor,
                                                 history):
                continue  # only lines a person would be shown
            # each line is its own reply to the request, as the app asks for them all at once
            # (``core.explanation``): its number and opening, not the lines before it
            examples.append(ChatExample(messages, f"{position}. {start}", sentence + "\n"))
            if len(examples) >= count:
                return examples
    return examples


def _messages(noun: str, history: Sequence[Item], picks: Sequence[Item],
              profile: str) -> tuple[dict, ...]:
    """The chat the app has at its explanation step (``pipeline``: no selection call when the
    model's choice weighs nothing), with ``profile`` as the profile shown."""
    facts = "\n".join(f"{n}. {facts_line(item)}" for n, item in enumerate(picks, 1))
    return (*profile_chat(noun, history),
            {"role": "assistant", "content": profile},
            {"role": "user", "content": render("explain", noun=noun, facts=facts)})


FACT_PROFILE_SHARE = 0.15
"""Of explanation examples, the share whose conversation holds the catalog-facts profile (what
the app shows when the model's is replaced) rather than a profile in the model's words. With the
catalog-facts profile always there, the adapter kept fewer lines after the vocabulary guard let
the model's own profiles through (Beauty validation, 8 items: 40.0% → 37.3%)."""


def _shown_profile(catalog: Catalog, history: Sequence[Item], checker: GroundingChecker,
                   rng: random.Random) -> str:
    """A profile as the app would show it for ``history``: mostly one in the model's words that
    the profile check accepts (``profiles``), else the catalog-facts one."""
    from recommender.finetune.profiles import accepted_profile  # profiles builds on this module

    written = accepted_profile(catalog, history, checker, rng) \
        if rng.random() >= FACT_PROFILE_SHARE else None
    return written or fact_profile(history)


def profile_chat(noun: str, history: Sequence[Item]) -> tuple[dict, dict]:
    """The chat the app has at its profile step: the system text and the profile request."""
    request = render("profile", noun=noun, history="\n".join(history_line(h) for h in history))
    return ({"role": "system", "content": render("system", noun=noun)},
            {"role": "user", "content": request})


def _grounded(checker: GroundingChecker, opening: str, sentence: str, pick: Item,
              anchor: Anchor, history: Sequence[Item]) -> bool:
    """Would the app show ``sentence`` (``explanation.checked``: no unsupported claim, a fact of
    the pick, a fact it shares with the anchor)?"""
    return checked(pick, anchor, opening, sentence, history, checker).source == \
        ExplanationSource.LLM
