"""``python -m recommender explanations``: the explanations the app shows, with the base model
and with an adapter, on the same histories of users kept out of fine-tuning.

For each held-out user (``finetune.run.held_out_users``) a history of three liked training
items is drawn with a seed; the app's whole turn runs on it (``Recommender.recommend``), once
per model, so both see the same candidates. Measured per model and catalog: the share of
shown explanations that are the model's own (kept by the grounding checker), the share of
those naming a fact the pick shares with the history item they name, the variety of the
model's sentences (distinct-2: distinct word pairs over all word pairs), their most frequent
openings after "Like X, Y is", and seconds per turn."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence

from recommender.catalog import Item
from recommender.core.facts import shared_with, short_title
from recommender.core.turn import ExplanationSource
from recommender.vocabulary import genre_synonyms, normalize

__all__ = ["measure_explanations", "names_shared_fact", "distinct_2", "held_out_histories",
           "PARTS"]


def names_shared_fact(text: str, pick: Item, anchor: Item) -> bool:
    """Does ``text`` name a genre, tag or name word that ``pick`` and ``anchor`` share?"""
    shared = shared_with(pick, anchor)
    words = f" {normalize(text)} "
    names = genre_synonyms()
    genres = {names[n] for n in names if f" {n} " in words}
    return bool(genres & set(shared.genres)
                or any(f" {normalize(t)} " in words for t in shared.tags)
                or any(f" {w} " in words for w in shared.words))


def distinct_2(sentences: Sequence[str]) -> float:
    pairs = [tuple(w[i:i + 2]) for w in (s.lower().split() for s in sentences)
             for i in range(len(w) - 1)]
    return round(len(set(pairs)) / len(pairs), 3) if pairs else 0.0


def _opening(text: str, pick: Item) -> str:
    """The three words after "Like X, <pick> is" (or after the comma)."""
    rest = text.split(", ", 1)[-1].removeprefix(short_title(pick)).lstrip()
    return " ".join(rest.removeprefix("is ").split()[:3])


def measure_explanations(recommenders: dict, domain: str, histories: Sequence[Sequence[str]],
                         samples: int = 10) -> dict:
    """``recommenders``: name → a Recommender (same domains, different models)."""
    out = {}
    for name, recommender in recommenders.items():
        catalog = recommender.domain(domain).catalog
        shown, kept, sharing, seconds, model_text, examples = 0, 0, 0, [], [], []
        lines, replaced = [], Counter()
        openings: Counter[str] = Counter()
        for history in histories:
            started = time.perf_counter()
            result = recommender.recommend(domain, history_ids=list(history))
            seconds.append(time.perf_counter() - started)
            for rec in result.recommendations:
                shown += 1
                lines.append({"history": [catalog.get(i).label for i in history],
                              "pick": rec.title, "anchor": catalog.get(rec.anchor_id).label,
                              "model_text": rec.model_text, "shown": rec.explanation,
                              "replaced_because": rec.replaced_because,
                              "unsupported_claims": list(rec.unsupported_claims)})
                if rec.source != ExplanationSource.LLM:
                    replaced[rec.replaced_because] += 1
                    continue
                kept += 1
                pick, anchor = catalog.get(rec.item_id), catalog.get(rec.anchor_id)
                sharing += names_shared_fact(rec.explanation, pick, anchor)
                model_text.append(rec.explanation)
                openings[_opening(rec.explanation, pick)] += 1
                if len(examples) < samples:
                    examples.append({"history": [catalog.get(i).label for i in history],
                                     "pick": pick.label, "explanation": rec.explanation})
        out[name] = {"turns": len(histories), "shown": shown,
                     "kept_from_model": round(kept / shown, 3) if shown else 0.0,
                     "kept_naming_a_shared_fact": round(sharing / kept, 3) if kept else 0.0,
                     "distinct_2": distinct_2(model_text),
                     "openings": openings.most_common(10),
                     "seconds_per_turn": round(sum(seconds) / len(seconds), 2) if seconds else 0,
                     "replaced": dict(replaced.most_common()),
                     "examples": examples, "lines": lines}
    return out


PARTS = ("validation", "test")


def held_out_histories(dataset: str, data_dir, users: int, part: str = "validation",
                       size: int = 3, seed: int = 0) -> list[tuple[str, ...]]:
    """``users`` histories of ``size`` liked training items from users kept out of
    fine-tuning, drawn with ``seed``: from its ``validation`` half (which chooses between
    adapters and settings) or its ``test`` half (only reported)."""
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}")
    from recommender.collaborative.interactions import (
        LIKED_RATING,
        leave_one_out,
        load_ratings,
        load_sequences,
    )
    from recommender.finetune.run import held_out_users

    splits = leave_one_out(load_sequences(dataset, data_dir))
    ratings = load_ratings(dataset, data_dir)
    kept = sorted(held_out_users([s.user for s in splits], dataset, seed))
    kept = set(kept[PARTS.index(part)::2])
    rng = random.Random(f"explanations:{dataset}:{seed}")
    histories = []
    for split in sorted((s for s in splits if s.user in kept), key=lambda s: s.user):
        own = ratings.get(split.user, {}) if ratings is not None else None
        liked = [i for i in dict.fromkeys((*split.history, split.validation))
                 if own is None or own.get(i, 0.0) >= LIKED_RATING]
        if len(liked) >= size:
            histories.append(tuple(rng.sample(liked, size)))
    rng.shuffle(histories)
    return histories[:users]
