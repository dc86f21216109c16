"""``python -m recommender finetune``: build the explanation (and, asked for, profile and
selection) examples of both catalogs from training users, train one LoRA adapter on them, and
write it as a GGUF adapter the app loads.

Users set apart for measuring (``held_out_users``) never give an example; only training
interactions (history and validation item, never a test item) are read: liked ones for
explanations and profiles, the next one for selection (``finetune.selection``)."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from recommender.catalog import load_catalog
from recommender.collaborative.interactions import (
    DATASETS,
    HELD_OUT,
    LIKED_RATING,
    Split,
    held_out_users,
    leave_one_out,
    load_ratings,
    load_sequences,
)
from recommender.core.grounding import GroundingChecker
from recommender.errors import RecommenderError
from recommender.finetune.lora import LoraConfig, PromptLayout, export_gguf, load_base, train_lora
from recommender.models.adapters import gguf_metadata_identity
from recommender.models.packaged import default_gguf_path
from recommender.settings import Settings

__all__ = ["finetune", "liked_training_items", "training_splits"]

def liked_training_items(dataset: str, data_dir: Path, seed: int = 0,
                         users: int | None = None) -> dict[str, list[str]]:
    """User → their liked training items, for every user not held out (the first ``users``
    users only, in the small-data mode)."""
    ratings = load_ratings(dataset, data_dir)
    liked = {}
    for split in training_splits(dataset, data_dir, seed, users):
        own = ratings.get(split.user, {}) if ratings is not None else None
        liked[split.user] = [i for i in (*split.history, split.validation)
                             if own is None or own.get(i, 0.0) >= LIKED_RATING]
    return liked


def training_splits(dataset: str, data_dir: Path, seed: int = 0,
                    users: int | None = None) -> list[Split]:
    """Every user's leave-one-out split but the held-out users' (the first ``users`` users only,
    in the small-data mode). Callers read the history and validation item, never ``test``."""
    splits = leave_one_out(load_sequences(dataset, data_dir))[:users]
    kept_apart = held_out_users([s.user for s in splits], dataset, seed)
    return [s for s in splits if s.user not in kept_apart]


def _selection_data(settings: Settings, dataset: str, count: int, seed: int, users: int | None,
                    progress: bool) -> list:
    from recommender.evaluation.run import validation_blind_retriever
    from recommender.finetune.selection import CANDIDATES, selection_examples

    catalog, retriever = validation_blind_retriever(settings, dataset, progress)
    splits = training_splits(dataset, settings.data_dir, seed, users)

    def retrieve(history, k):
        return [hit.item_id for hit in retriever.retrieve(history, "", k)]

    return selection_examples(catalog, splits, retrieve, count, seed=seed, candidates=CANDIDATES)


def finetune(settings: Settings, datasets: Sequence[str], examples: int, config: LoraConfig,
             out: Path, device: str = "cpu", users: int | None = None,
             progress: bool = True, profiles: int = 0, selection: int = 0) -> dict:
    """Build ``examples`` explanation examples, ``profiles`` profile examples and ``selection``
    selection examples per data set, train, and write the adapter to
    ``out`` (a ``.gguf`` path); the work folder beside it keeps checkpoints, so an
    interrupted run resumes. Returns what was done."""
    from recommender.finetune.explanations import explanation_examples
    from recommender.finetune.profiles import profile_examples

    if settings.model_path is not None:
        raise RecommenderError("finetune trains the bundled SmolLM2-135M-Instruct; unset "
                               "RECOMMENDER_MODEL_PATH (another GGUF runs without an adapter).")
    base = default_gguf_path()
    data, counts, profile_counts, selection_counts = [], {}, {}, {}
    for dataset in datasets:
        catalog = load_catalog(DATASETS[dataset], settings.data_dir)
        checker = GroundingChecker(catalog)
        liked = liked_training_items(dataset, settings.data_dir, config.seed, users)
        made = explanation_examples(catalog, liked, checker, examples, seed=config.seed)
        written = profile_examples(catalog, liked, checker, profiles, seed=config.seed) \
            if profiles else []
        chosen = _selection_data(settings, dataset, selection, config.seed, users, progress) \
            if selection else []
        counts[dataset], profile_counts[dataset] = len(made), len(written)
        selection_counts[dataset] = len(chosen)
        data += made + written + chosen
    work = out.with_name(out.stem + ".work")
    bar = tqdm(total=None, desc="Fine-tuning", unit="step", disable=not progress)

    def report(step: int, steps: int, loss: float) -> None:
        bar.total = steps
        bar.n = step
        bar.set_postfix(loss=f"{loss:.3f}")
        bar.refresh()

    started = time.perf_counter()
    model = load_base(base, device)
    done = train_lora(PromptLayout(base), model, data, config, work, report, device)
    bar.close()
    tensors = export_gguf(done["model"], out, gguf_metadata_identity(base))
    meta = {"base": base.name, "examples": counts, "profiles": profile_counts,
            "selection": selection_counts,
            "held_out_users": HELD_OUT,
            "config": asdict(config), "steps": done["steps"], "final_loss": done["final_loss"],
            "train_seconds": done["seconds"], "seconds": round(time.perf_counter() - started, 1),
            "tensors": tensors, "bytes": out.stat().st_size, "device": device}
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta
