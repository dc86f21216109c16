"""``python -m recommender evaluate``: build the requested systems over one data set, choose
their weights on tuning users, score them on the reported users, and describe the run."""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import random
from collections.abc import Sequence
from dataclasses import replace

from recommender.collaborative.interactions import (
    DATASETS,
    leave_one_out,
    load_sequences,
    popularity,
)
from recommender.collaborative.retriever import CollaborativeRetriever, load_collaborative
from recommender.collaborative.training import (
    find_model_dir,
    load_fusion_weights,
    save_fusion_weights,
    tuning_dir,
)
from recommender.core.retrieval import ContentRetriever, HybridRetriever, Retriever
from recommender.errors import RecommenderError
from recommender.evaluation.llm_ranking import ShuffledSelection, Verbalizer
from recommender.evaluation.offline import (
    ANCHORS,
    CollaborativeRanker,
    ContentRanker,
    HybridRanker,
    LLMScoreRanker,
    PALRRanker,
    PopularityRanker,
    evaluate,
    split_users,
    validation_splits,
)
from recommender.settings import Settings

__all__ = ["run_evaluation", "LLM_SYSTEMS"]

log = logging.getLogger(__name__)

LLM_SYSTEMS = ("palr", "llmrank", "verbalizer")
_PALR_PICKS = 10  # the model orders 10 of the 20 candidates, so HR@10 measures its choice


def run_evaluation(settings: Settings, dataset: str, names: Sequence[str], users: int | None,
                   tune_users: int, seed: int, progress: bool = True,
                   save_weights: bool = False, hybrid_weight: float | None = None,
                   llm_tune_users: int | None = None, tune_on: str = "users") -> dict:
    """The report of one run (see ``cli``). ``hybrid_weight`` fixes hybrid retrieval's
    collaborative share instead of choosing it on the tuning users; LLM systems tune on
    ``llm_tune_users`` of the tuning users (all by default), as they are slow.

    ``tune_on="validation"`` chooses hybrid retrieval's weight on every user's validation
    item instead, with the model ``train --for-tuning`` saved (it never saw them); no user
    is then set apart, so all can be reported."""
    if tune_on not in ("users", "validation"):
        raise RecommenderError("--tune-on must be users or validation.")
    llm = [n for n in LLM_SYSTEMS if n in names]
    if tune_on == "validation" and llm:
        raise RecommenderError(
            "--tune-on validation chooses retrieval weights only; run the LLM systems "
            f"({', '.join(llm)}) with --tune-on users.")
    splits = leave_one_out(load_sequences(dataset, settings.data_dir))
    chosen, tuning = split_users(splits, users, 0 if tune_on == "validation" else tune_users,
                                 seed)
    if tune_on == "validation":
        tuning = validation_splits(splits)
    domain = DATASETS[dataset]
    results: dict[str, dict] = {}
    about: dict[str, object] = {}

    if "popularity" in names:
        results.update(evaluate([PopularityRanker(popularity(splits, include_validation=True))],
                                chosen, tuning, seed, progress))
    if set(names) <= {"popularity"}:
        return _report(dataset, chosen, tuning, splits, seed, results, about, tune_on)

    folder = find_model_dir(settings.index_dir, dataset, settings.collaborative_dir)
    needs_index = bool({"content", "hybrid", *LLM_SYSTEMS} & set(names))
    recommender = None
    if needs_index:
        from recommender.loading import load_recommender

        recommender = load_recommender(replace(settings, domains=(domain,)), progress=progress)
        catalog = recommender.domain(domain).catalog
    else:
        from recommender.catalog import load_catalog

        catalog = load_catalog(domain, settings.data_dir)
    collaborative = _collaborative(recommender, settings, folder, domain, catalog)
    if collaborative is None and {"sasrec", "hybrid"} & set(names):
        raise RecommenderError(
            f"No trained model in {folder}. Train one first: python -m recommender train "
            f"--dataset {dataset}")
    if collaborative is not None:
        about["sasrec"] = {"folder": str(folder), **collaborative.meta}
    if "sasrec" in names:
        results.update(evaluate([CollaborativeRanker(collaborative)], chosen, tuning, seed,
                                progress))
    if recommender is None:
        return _report(dataset, chosen, tuning, splits, seed, results, about, tune_on)

    res = recommender.domain(domain)
    content = ContentRetriever(res.index, profile_weight=0.0)
    if "content" in names:
        results.update(evaluate([ContentRanker(content)], chosen, tuning, seed, progress))
    weights = load_fusion_weights(folder)
    if hybrid_weight is not None:
        weights = replace(weights, collaborative=hybrid_weight)
        about["hybrid_weight_fixed"] = hybrid_weight
    if "hybrid" in names:
        hybrid = HybridRanker(content, collaborative)
        if hybrid_weight is not None:
            hybrid.grid = (hybrid_weight,)
        tuners = {}
        if tune_on == "validation" and hybrid_weight is None:
            twin = _tuning_model(settings, tuning_dir(folder), domain, catalog, dataset)
            about["tuning_model"] = {"folder": str(tuning_dir(folder)), **twin.meta}
            tuners["hybrid"] = HybridRanker(content, twin)
        results.update(evaluate([hybrid], chosen, tuning, seed, progress, tuners))
        weights = replace(weights, collaborative=results["hybrid"]["weight"])

    best: Retriever = content if collaborative is None else \
        HybridRetriever(content, collaborative, weights.collaborative)
    if llm:
        about["model"] = recommender.model.name
        about["retriever"] = best.name + (f" (collaborative weight {weights.collaborative})"
                                          if collaborative is not None else "")
    if "palr" in llm:
        palr = _palr_recommender(recommender, domain, best)
        few = tuning if llm_tune_users is None or llm_tune_users >= len(tuning) else \
            sorted(random.Random(seed).sample(tuning, llm_tune_users), key=tuning.index)
        about["llm_tune_users"] = len(few)
        results.update(evaluate([PALRRanker(palr, domain)], chosen, few, seed, progress))
        weights = replace(weights, llm=results["palr + fusion"]["weight"])
    for name in ("llmrank", "verbalizer"):
        if name in llm:
            scorer = ShuffledSelection(recommender.model, res.catalog, seed=seed) \
                if name == "llmrank" else Verbalizer(recommender.model, res.catalog)
            results.update(evaluate([LLMScoreRanker(name, scorer, best)], chosen, tuning, seed,
                                    progress))
    if save_weights:
        if collaborative is None:
            raise RecommenderError("--save-weights needs a trained model to save beside.")
        chosen_on = (f"the validation items of all {len(tuning)} users, with the model in "
                     f"{tuning_dir(folder).name}" if tune_on == "validation" else
                     f"{len(tuning)} tuning users, seed {seed}")
        save_fusion_weights(folder, weights, {"chosen_on": chosen_on, "date": _today()})
        about["saved_weights"] = {"folder": str(folder), "collaborative": weights.collaborative,
                                  "llm": weights.llm}
    return _report(dataset, chosen, tuning, splits, seed, results, about, tune_on)


def _collaborative(recommender, settings: Settings, folder, domain: str,
                   catalog) -> CollaborativeRetriever | None:
    """The app's collaborative retriever when it loaded one, else one loaded from ``folder``."""
    if recommender is not None:
        retriever = recommender.domain(domain).retriever
        if isinstance(retriever, HybridRetriever):
            return retriever.collaborative  # type: ignore[return-value]
    from recommender.vectors.store import open_client

    return load_collaborative(open_client(settings.index_dir, settings.chroma_url), folder, domain, catalog)


def _tuning_model(settings: Settings, folder, domain: str, catalog,
                  dataset: str) -> CollaborativeRetriever:
    """The validation-held-out twin of the evaluated model, in its own Chroma collection."""
    from recommender.vectors.store import open_client

    twin = load_collaborative(open_client(settings.index_dir, settings.chroma_url), folder, f"{domain}-tuning",
                              catalog)
    if twin is None:
        raise RecommenderError(
            f"No tuning model in {folder}. Train it first: python -m recommender train "
            f"--dataset {dataset} --for-tuning (or choose weights with --tune-on users).")
    return twin


def _palr_recommender(recommender, domain: str, retriever: Retriever):
    """The app's recommender, with the evaluation's retriever and ``_PALR_PICKS`` picks."""
    from recommender.core.pipeline import Recommender

    settings = replace(recommender.settings, candidates=20, recommendations=_PALR_PICKS)
    domains = {domain: replace(recommender.domain(domain), retriever=retriever)}
    return Recommender(settings, recommender.model, domains)


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            model = next((line.split(":", 1)[1].strip() for line in handle
                          if line.startswith("model name")), model)
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} CPUs"


def _today() -> str:
    return dt.date.today().isoformat()


def _report(dataset: str, chosen, tuning, splits, seed: int, results: dict,
            about: dict, tune_on: str = "users") -> dict:
    return {
        "dataset": dataset, "users": len(chosen), "tune_users": len(tuning),
        "of_users": len(splits), "seed": seed, "date": _today(),
        "machine": _machine(), "tune_on": tune_on,
        "protocol": "leave-one-out; full ranking minus the input sequence; " + (
            "hybrid's weight fixed in advance" if "hybrid_weight_fixed" in about and
            tune_on == "validation" else
            "weights chosen on validation items with a model trained without them, never on "
            "a test item" if tune_on == "validation" else
            "weights chosen on tuning users, never on reported users"),
        **about,
        "systems": results,
        "anchors": {k: {"HR@10": v[0], "NDCG@10": v[1]} for k, v in ANCHORS[dataset].items()},
    }

