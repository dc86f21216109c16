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
from recommender.core.fact_phrases import TYPE_NOUNS, article, genre_phrase, own_clause, \
    shared_clause
from recommender.core.facts import Anchor, choose_anchor, facts_line, own_distinctive
from recommender.vocabulary.fact_kinds import SPECIFIC_KINDS, Fact, FactKind
from recommender.core.explanation import checked, opening, shares_any
from recommender.core.grounding import GroundingChecker
from recommender.core.turn import ExplanationSource
from recommender.core.profile import fact_profile
from recommender.finetune.chats import HISTORY_SIZE, profile_chat
from recommender.finetune.lora import ChatExample
from recommender.finetune.product_titles import type_words
from recommender.finetune.profiles import accepted_profile
from recommender.models.prompts import render
from recommender.vocabulary import GENRE_NOUNS, normalize

__all__ = ["explanation_examples", "movie_sentence", "product_sentence", "shared_phrase"]

def _a(phrase: str) -> str:
    return article(phrase)


PICKS = 5
"""Picks a training turn explains, as the app shows five: each line's phrasing follows its
number (``fact_sentence``)."""

MAX_WORDS = 25
"""Words a target sentence may have, its opening included."""


def fact_sentence(pick: Item, anchor: Anchor, catalog: Catalog, position: int = 1) -> str | None:
    """One continuation of the pick's opening ("Like <anchor>, <pick>") stating what the two
    share that is most worth saying (``facts.worth_saying``: a studio, theme, tag, brand, line
    or attribute few items carry; a genre, type or decade only when nothing more specific is
    shared), the first two such facts when there are two, and the pick's own most distinctive
    fact after "this one" when the two share nothing distinctive (as the prompt lists them).

    The phrasing of each kind (``fact_phrases.SHARED``) follows the line's ``position`` in the
    turn: the app decodes greedily, so a phrasing the prompt does not determine would collapse
    to the likeliest one; tied to the line's number, which the model sees, the five lines of a
    turn say their facts five ways. ``None`` when there is nothing to say."""
    if not shares_any(pick, anchor):
        return None
    said = list(anchor.worth_saying(catalog, 2))
    if not said:
        return None
    turn = position - 1
    clauses = [_shared(said[0], anchor, turn)]
    if len(said) > 1 and said[1].kind in SPECIFIC_KINDS:  # genres are said together
        clauses.append(_shared(said[1], anchor, turn + 1 + (said[0].kind == said[1].kind)))
    clauses = [c for c in clauses if c]
    if not clauses:
        return None
    sentence = " " + " and ".join(clauses)
    if not any(catalog.is_distinctive(f) for f in said):  # as the prompt gives it
        own = own_distinctive(pick, catalog, anchor.facts)
        clause = own_clause(own, turn) if own is not None else None
        if clause:
            sentence += ("; ", ", ")[turn % 2] + clause
    return sentence + "."


def _shared(fact: Fact, anchor: Anchor, turn: int) -> str | None:
    """A shared clause for ``fact`` in phrasing ``turn``; for a brand with a shared product
    type, on every other line the two together ("is another Revlon lipstick")."""
    types = [f for f in anchor.facts if f.kind == FactKind.TYPE]
    if fact.kind == FactKind.BRAND and types and turn % 2:
        kind = TYPE_NOUNS.get(types[0].value, types[0].value)
        return (f"is another {fact.value} {kind}", f"is {_a(fact.value + ' ' + kind)} too",
                f"is also {_a(kind)} by {fact.value}")[turn // 2 % 3]
    return shared_clause(fact, turn, genres=[g for g in anchor.genres if g in GENRE_NOUNS][:2])


def movie_sentence(pick: Item, anchor: Anchor, rng: random.Random,
                   catalog: Catalog | None = None, position: int = 1) -> str | None:
    """A film's target (``fact_sentence``); after "<pick> is" when the two share nothing: its
    own genres and year, and that it is a change (no "too" or "also": nothing is the same)."""
    if not shares_any(pick, anchor):
        return _movie_alone([g for g in pick.genres if g in GENRE_NOUNS][:2], pick.year,
                            position)
    if catalog is None:
        catalog = Catalog("one", (pick, anchor.item), kind="movies")
    return fact_sentence(pick, anchor, catalog, position)


def _movie_alone(genres: Sequence[str], year: int | None, position: int) -> str | None:
    """A line about a film that shares nothing with the history: what it is, and that it is a
    change (no "too" or "also": nothing is the same), phrased by the line's ``position``."""
    phrase = genre_phrase(genres)
    if phrase is None:
        return None
    options = [f" {phrase}, a change from your list.", f" {phrase} to try for something new."]
    if year:
        options += [f" {phrase} from {year}.", f" {phrase} from {year}, something different."]
    return options[(position - 1) % len(options)]


def product_sentence(pick: Item, anchor: Anchor, rng: random.Random,
                     catalog: Catalog | None = None, position: int = 1) -> str | None:
    """A product's target (``fact_sentence``: a shared line, brand or attribute before a shared
    type); after "<pick> is" when the two share nothing: its own kind, and that the list has
    none yet. ``None`` when there is nothing to say."""
    if not shares_any(pick, anchor):
        return _product_alone(pick, type_words(pick.title), position)
    if catalog is None:
        catalog = Catalog("one", (pick, anchor.item), kind="products")
    sentence = fact_sentence(pick, anchor, catalog, position)
    if sentence is None and (phrase := shared_phrase(pick.title, anchor.words)):
        # a name word and no fact ("Body" of a body scrub and a body shampoo)
        sentence = (f" is also named “{phrase}”.", f" is another “{phrase}” product.")[position % 2]
    return sentence


def _product_alone(pick: Item, types: Sequence[str], position: int) -> str | None:
    """A line about a product whose facts the history shares none of: its kind and brand, and
    that the list has none yet (no "too" or "also": nothing is the same), phrased by the
    line's ``position``."""
    if not types:
        return None
    brand = next((f.value for f in pick.facts if f.kind == FactKind.BRAND), None)
    kind = _a(types[0]) + (f" by {brand}" if brand else "")
    options = [f" {kind}, new to your list.", f" {kind}, something different to try.",
               f" {kind}, a kind your list does not have yet.", f" {kind} for a change."]
    return options[(position - 1) % len(options)]


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


def explanation_examples(catalog: Catalog, liked: Mapping[str, Sequence[str]],
                         checker: GroundingChecker, count: int, seed: int = 0,
                         history_size: tuple[int, int] = HISTORY_SIZE,
                         picks: int = PICKS) -> list[ChatExample]:
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
        anchors = [choose_anchor(pick, history, catalog) for pick in chosen]
        messages = _messages(catalog, history, chosen, anchors,
                             _shown_profile(catalog, history, checker, rng))
        for position, (pick, anchor) in enumerate(zip(chosen, anchors), 1):
            start = opening(pick, anchor)
            sentence = write(pick, anchor, rng, catalog, position)
            if sentence is None or len(f"{start}{sentence}".split()) > MAX_WORDS or \
                    not _grounded(checker, start, sentence, pick, anchor, history):
                continue  # only lines a person would be shown
            # each line is its own reply to the request, as the app asks for them all at once
            # (``core.explanation``): its number and opening, not the lines before it
            examples.append(ChatExample(messages, f"{position}. {start}", sentence + "\n"))
            if len(examples) >= count:
                return examples
    return examples


def _messages(catalog: Catalog, history: Sequence[Item], picks: Sequence[Item],
              anchors: Sequence[Anchor], profile: str) -> tuple[dict, ...]:
    """The chat the app has at its explanation step (``pipeline``: no selection call when the
    model's choice weighs nothing), with ``profile`` as the profile shown."""
    noun = catalog.noun
    facts = "\n".join(f"{n}. {facts_line(item, anchor, catalog)}"
                      for n, (item, anchor) in enumerate(zip(picks, anchors), 1))
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
    written = accepted_profile(catalog, history, checker, rng) \
        if rng.random() >= FACT_PROFILE_SHARE else None
    return written or fact_profile(history)


def _grounded(checker: GroundingChecker, opening: str, sentence: str, pick: Item,
              anchor: Anchor, history: Sequence[Item]) -> bool:
    """Would the app show ``sentence`` (``explanation.checked``: no unsupported claim, a fact of
    the pick, a fact it shares with the anchor)?"""
    return checked(pick, anchor, opening, sentence, history, checker).source == \
        ExplanationSource.LLM
