"""``python -m recommender explanations``: the explanations the app shows, with the base model
and with an adapter, on the same histories of users kept out of fine-tuning.

For each held-out user (``collaborative.interactions.held_out_users``) a history of three liked training
items is drawn with a seed; the app's whole turn runs on it (``Recommender.recommend``), once
per model, so both see the same candidates. Measured per model and catalog: the share of
shown explanations that are the model's own (kept by the grounding checker), the share of
those naming a fact the pick shares with the history item they name, the variety of the
model's sentences (distinct-2: distinct word pairs over all word pairs), their most frequent
openings after "Like X, Y is" (or "Y is"), the share of taste profiles the model wrote that were kept, and
seconds per turn."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Sequence

from recommender.catalog import Item
from recommender.collaborative.interactions import (
    LIKED_RATING,
    held_out_users,
    leave_one_out,
    load_ratings,
    load_sequences,
)
from recommender.core.explanation import opening, shares_any
from recommender.core.facts import shared_with
from recommender.core.turn import ExplanationSource
from recommender.evaluation.explanation_quality import distinct_2, quality

__all__ = ["measure_explanations", "distinct_2", "held_out_histories",
           "PARTS"]


def _models_words(text: str, pick: Item, anchor: Item) -> str:
    """What the model wrote after the app's opening ("Like <anchor>, <pick> is", or "<pick> is"
    when the two share nothing)."""
    start = opening(pick, shared_with(pick, anchor))
    return text[len(start):].strip() if text.startswith(start) else text


def measure_explanations(recommenders: dict, domain: str, histories: Sequence[Sequence[str]],
                         samples: int = 10) -> dict:
    """``recommenders``: name → a Recommender (same domains, different models); per name, its
    lines over ``histories`` measured (``_measured``)."""
    return {name: _measured(recommender, domain, histories, samples)
            for name, recommender in recommenders.items()}


def _measured(recommender, domain: str, histories: Sequence[Sequence[str]], samples: int) -> dict:
    res = recommender.domain(domain)
    catalog, checker = res.catalog, res.checker
    shown, kept, sharing, comparing, seconds, model_text, examples = 0, 0, 0, 0, [], [], []
    lines, replaced, profiles, profile_lines = [], Counter(), Counter(), []
    openings: Counter[str] = Counter()
    alone = 0  # kept lines about a pick that shares nothing with the history
    for history in histories:
        started = time.perf_counter()
        result = recommender.recommend(domain, history_ids=list(history))
        seconds.append(time.perf_counter() - started)
        labels = [catalog.get(i).label for i in history]
        profiles[result.profile_replaced_because or str(result.profile_source)] += 1
        profile_lines.append({"history": labels, "model_text": result.profile_model_text,
                              "shown": result.profile,
                              "replaced_because": result.profile_replaced_because})
        for rec in result.recommendations:
            shown += 1
            lines.append(_line(rec, labels, list(history), catalog))
            if rec.source != ExplanationSource.LLM:
                replaced[rec.replaced_because] += 1
                continue
            kept += 1
            pick, anchor = catalog.get(rec.item_id), catalog.get(rec.anchor_id)
            said = _models_words(rec.explanation, pick, anchor)
            if shares_any(pick, shared_with(pick, anchor)):  # else there is none to name
                comparing += 1
                sharing += checker.names_a_shared_fact(said, pick, anchor)
            else:
                alone += 1
            model_text.append(rec.explanation)
            openings[" ".join(said.split()[:3])] += 1
            if len(examples) < samples:
                examples.append({"history": labels, "pick": pick.label,
                                 "explanation": rec.explanation})
    return {"turns": len(histories), "shown": shown,
            "kept_from_model": round(kept / shown, 3) if shown else 0.0,
            "kept_naming_a_shared_fact": round(sharing / comparing, 3) if comparing else 0.0,
            "kept_sharing_nothing": alone,
            "distinct_2": distinct_2(model_text),
            "profiles_from_model": round(profiles[str(ExplanationSource.LLM)]
                                         / len(histories), 3) if histories else 0.0,
            "profiles": dict(profiles.most_common()), "profile_lines": profile_lines,
            "openings": openings.most_common(10),
            "seconds_per_turn": round(sum(seconds) / len(seconds), 2) if seconds else 0,
            "replaced": dict(replaced.most_common()),
            "quality": quality(lines, catalog, checker),
            "examples": examples, "lines": lines}


def _line(rec, labels: list[str], ids: list[str], catalog) -> dict:
    """One shown line, as the reports and the reading sample keep it."""
    return {"history": labels, "history_ids": ids, "pick_id": rec.item_id,
            "anchor_id": rec.anchor_id, "pick": rec.title,
            "anchor": catalog.get(rec.anchor_id).label, "model_text": rec.model_text,
            "shown": rec.explanation, "replaced_because": rec.replaced_because,
            "unsupported_claims": list(rec.unsupported_claims)}


PARTS = ("validation", "test")


def held_out_histories(dataset: str, data_dir, users: int, part: str = "validation",
                       size: int | tuple[int, int] = 3,
                       seed: int = 0) -> list[tuple[str, ...]]:
    """``users`` histories of ``size`` liked training items (or a size drawn from the range
    ``size`` for each user) from users kept out of fine-tuning, drawn with ``seed``: from its
    ``validation`` half (which chooses between adapters and settings) or its ``test`` half
    (only reported)."""
    low, high = (size, size) if isinstance(size, int) else size
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}")
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
        drawn = rng.randint(low, high) if high > low else low
        if len(liked) >= drawn:
            histories.append(tuple(rng.sample(liked, drawn)))
    rng.shuffle(histories)
    return histories[:users]
