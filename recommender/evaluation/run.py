"""``python -m recommender evaluate``: build the requested systems over one data set, choose
their weights on tuning users, score them on the reported users, and describe the run."""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from recommender.collaborative.interactions import (
    DATASETS,
    leave_one_out,
    load_sequences,
    popularity,
)
from recommender.collaborative.retriever import CollaborativeRetriever, load_collaborative
from recommender.collaborative.training import (
    FusionWeights,
    find_model_dir,
    load_fusion_weights,
    save_fusion_weights,
    tuning_dir,
)
from recommender.core.retrieval import ContentRetriever, HybridRetriever, Retriever
from recommender.errors import RecommenderError
from recommender.evaluation.llm_ranking import ShuffledSelection, Verbalizer
from recommender.evaluation.protocol import ANCHORS, evaluate, split_users, validation_splits
from recommender.evaluation.run_store import RunStore
from recommender.evaluation.rankers import (
    CollaborativeRanker,
    ContentRanker,
    HybridRanker,
    LLMScoreRanker,
    PALRRanker,
    PopularityRanker,
    SEQUENCE_SYSTEMS,
    check_sequence_systems,
)
from recommender.files import file_sha256
from recommender.settings import Settings

__all__ = ["run_evaluation", "LLM_SYSTEMS", "validation_blind_retriever"]

log = logging.getLogger(__name__)

LLM_SYSTEMS = ("palr", "llmrank", "verbalizer")
_PALR_PICKS = 10  # the model orders 10 of the 20 candidates, so HR@10 measures its choice


def run_evaluation(settings: Settings, dataset: str, names: Sequence[str], users: int | None,
                   tune_users: int, seed: int, progress: bool = True,
                   save_weights: bool = False, hybrid_weight: float | None = None,
                   llm_tune_users: int | None = None, tune_on: str = "users",
                   resume: Path | None = None, preparation: str = "full") -> dict:
    """The report of one run (see ``cli``). ``hybrid_weight`` fixes hybrid retrieval's
    collaborative share instead of choosing it on the tuning users; LLM systems tune on
    ``llm_tune_users`` of the tuning users (all by default), as they are slow.

    ``tune_on="validation"`` chooses hybrid retrieval's weight on every user's validation
    item instead, with the model ``train --for-tuning`` saved (it never saw them); no user
    is then set apart, so all can be reported.

    ``resume`` names a folder that keeps each user's run of the LLM systems, so that an
    interrupted evaluation goes on where it stopped (``run_store``).

    ``preparation`` reads the data as ``interactions.PREPARATIONS`` names it (``llamarec``:
    LlamaRec's 5-core MovieLens) and takes the model trained on it (``train --prep``)."""
    _check_options(names, tune_on)
    run = _Run.start(settings, dataset, names, users, tune_users, seed, progress, tune_on,
                     preparation)
    run.resume = resume
    if "popularity" in names:
        run.evaluate([PopularityRanker(popularity(run.splits, include_validation=True))])
    if set(names) <= {"popularity"}:
        return run.report()
    recommender, catalog = _load(settings, run.domain, names, progress)
    collaborative = run.collaborative(recommender, catalog)
    if recommender is None:
        return run.report()
    content = ContentRetriever(recommender.domain(run.domain).index, profile_weight=0.0)
    if "content" in names:
        run.evaluate([ContentRanker(content)])
    weights = run.retrieval_weights(content, collaborative, catalog, hybrid_weight)
    best: Retriever = content if collaborative is None else \
        HybridRetriever(content, collaborative, weights.collaborative)
    weights = run.llm_systems(recommender, best, collaborative, weights, llm_tune_users)
    if save_weights:
        run.save(weights, collaborative)
    return run.report()


def _check_options(names: Sequence[str], tune_on: str) -> None:
    if tune_on not in ("users", "validation"):
        raise RecommenderError("--tune-on must be users or validation.")
    llm = [n for n in LLM_SYSTEMS if n in names]
    if tune_on == "validation" and llm:
        raise RecommenderError(
            "--tune-on validation chooses retrieval weights only; run the LLM systems "
            f"({', '.join(llm)}) with --tune-on users.")


def _load(settings: Settings, domain: str, names: Sequence[str], progress: bool):
    """(the recommender, when a system needs the index, else ``None``; the catalog)."""
    if not {"content", "hybrid", *LLM_SYSTEMS} & set(names):
        from recommender.catalog import load_catalog

        return None, load_catalog(domain, settings.data_dir)
    from recommender.loading import load_recommender

    recommender = load_recommender(replace(settings, domains=(domain,)), progress=progress)
    return recommender, recommender.domain(domain).catalog


@dataclass
class _Run:
    """One evaluation run: its users, the results so far, and what the report says of it."""

    settings: Settings
    dataset: str
    names: Sequence[str]
    splits: list
    chosen: list
    tuning: list
    seed: int
    progress: bool
    tune_on: str
    folder: Path
    results: dict[str, dict] = field(default_factory=dict)
    about: dict[str, object] = field(default_factory=dict)
    resume: Path | None = None
    store: RunStore | None = None
    preparation: str = "full"

    @classmethod
    def start(cls, settings: Settings, dataset: str, names: Sequence[str], users: int | None,
              tune_users: int, seed: int, progress: bool, tune_on: str,
              preparation: str = "full") -> _Run:
        splits = leave_one_out(load_sequences(dataset, settings.data_dir, preparation))
        chosen, tuning = split_users(splits, users,
                                     0 if tune_on == "validation" else tune_users, seed)
        if tune_on == "validation":
            tuning = validation_splits(splits)
        folder = find_model_dir(settings.index_dir, dataset, settings.collaborative_dir,
                                preparation)
        run = cls(settings, dataset, names, splits, chosen, tuning, seed, progress, tune_on,
                  folder, preparation=preparation)
        run.about["preparation"] = preparation
        return run

    @property
    def domain(self) -> str:
        return DATASETS[self.dataset]

    def evaluate(self, systems: list, tuning: Sequence | None = None,
                 tuners: dict | None = None) -> None:
        self.results.update(evaluate(systems, self.chosen,
                                     self.tuning if tuning is None else tuning, self.seed,
                                     self.progress, tuners, self.store))

    def collaborative(self, recommender, catalog) -> CollaborativeRetriever | None:
        """The trained sequence model, evaluated under its architecture's name (``sasrec``,
        ``lrurec``) when that is asked for."""
        prep = self.preparation
        collaborative = _collaborative(None if prep != "full" else recommender, self.settings,
                                       self.folder, self.domain if prep == "full" else
                                       f"{self.domain}-{prep}", catalog)
        asked = [n for n in SEQUENCE_SYSTEMS if n in self.names]
        train = f"python -m recommender train --dataset {self.dataset}" + \
            (f" --prep {prep}" if prep != "full" else "")
        if collaborative is None and (asked or "hybrid" in self.names):
            raise RecommenderError(f"No trained model in {self.folder}. Train one first: {train}")
        if collaborative is not None:
            self.about["sequence_model"] = {"folder": str(self.folder),
                                            "architecture": collaborative.architecture,
                                            **collaborative.meta}
        if asked:
            check_sequence_systems(asked, collaborative.architecture, self.folder, train)
            self.evaluate([CollaborativeRanker(collaborative)])
        return collaborative

    def retrieval_weights(self, content: ContentRetriever,
                          collaborative: CollaborativeRetriever | None, catalog,
                          hybrid_weight: float | None) -> FusionWeights:
        """The saved weights, with hybrid retrieval's chosen here when it is evaluated."""
        weights = load_fusion_weights(self.folder)
        if hybrid_weight is not None:
            weights = replace(weights, collaborative=hybrid_weight)
            self.about["hybrid_weight_fixed"] = hybrid_weight
        if "hybrid" not in self.names:
            return weights
        hybrid = HybridRanker(content, collaborative)
        if hybrid_weight is not None:
            hybrid.grid = (hybrid_weight,)
        tuners = {}
        if self.tune_on == "validation" and hybrid_weight is None:
            twin = _tuning_model(self.settings, tuning_dir(self.folder), self.domain, catalog,
                                 self.dataset)
            self.about["tuning_model"] = {"folder": str(tuning_dir(self.folder)), **twin.meta}
            tuners["hybrid"] = HybridRanker(content, twin)
        self.evaluate([hybrid], tuners=tuners)
        return replace(weights, collaborative=self.results["hybrid"]["weight"])

    def llm_systems(self, recommender, best: Retriever,
                    collaborative: CollaborativeRetriever | None,
                    weights: FusionWeights, llm_tune_users: int | None) -> FusionWeights:
        """PALR (its fusion weight chosen here), LLMRank and the verbalizer, over ``best``."""
        llm = [n for n in LLM_SYSTEMS if n in self.names]
        if not llm:
            return weights
        self.about["model"] = recommender.model.name
        self.about["retriever"] = best.name + (
            f" (collaborative weight {weights.collaborative})" if collaborative is not None else "")
        if self.resume is not None:
            self.store = RunStore(self.resume,
                                  self._identity(recommender, llm_tune_users, collaborative))
            self.about["resumed_from"] = {"folder": str(self.resume), "runs": len(self.store)}
        if "palr" in llm:
            palr = _palr_recommender(recommender, self.domain, best)
            few = self.tuning if llm_tune_users is None or llm_tune_users >= len(self.tuning) \
                else sorted(random.Random(self.seed).sample(self.tuning, llm_tune_users),
                            key=self.tuning.index)
            self.about["llm_tune_users"] = len(few)
            self.evaluate([PALRRanker(palr, self.domain)], tuning=few)
            weights = replace(weights, llm=self.results["palr + fusion"]["weight"])
        catalog = recommender.domain(self.domain).catalog
        for name in ("llmrank", "verbalizer"):
            if name in llm:
                scorer = ShuffledSelection(recommender.model, catalog, seed=self.seed) \
                    if name == "llmrank" else Verbalizer(recommender.model, catalog)
                self.evaluate([LLMScoreRanker(name, scorer, best)])
        return weights

    def _identity(self, recommender, llm_tune_users: int | None,
                  collaborative: CollaborativeRetriever | None) -> dict[str, object]:
        """What a stored run depends on: users, seed, model (and adapter bytes), retriever and
        the sequence model's bytes (its candidates), and the LLM weight the app's turn fuses
        its picks with (which picks are explained)."""
        model = recommender.model
        adapter = getattr(model, "adapter_path", None)
        return {"sequence_model": {"file": collaborative.weights_file.name,
                                   "sha256": collaborative.sha256}
                if collaborative is not None else None,
                "dataset": self.dataset, "seed": self.seed, "model": model.name,
                "adapter_sha256": file_sha256(adapter) if adapter else None,
                "retriever": self.about["retriever"], "llm_tune_users": llm_tune_users,
                "users": [s.user for s in self.chosen], "tuning": [s.user for s in self.tuning],
                "candidates": self.settings.candidates,
                "llm_weight": recommender.domain(self.domain).llm_weight}

    def save(self, weights: FusionWeights, collaborative) -> None:
        if collaborative is None:
            raise RecommenderError("--save-weights needs a trained model to save beside.")
        chosen_on = (f"the validation items of all {len(self.tuning)} users, with the model in "
                     f"{tuning_dir(self.folder).name}" if self.tune_on == "validation" else
                     f"{len(self.tuning)} tuning users, seed {self.seed}")
        save_fusion_weights(self.folder, weights, {"chosen_on": chosen_on, "date": _today()})
        self.about["saved_weights"] = {"folder": str(self.folder),
                                       "collaborative": weights.collaborative,
                                       "llm": weights.llm}

    def report(self) -> dict:
        return _report(self.dataset, self.chosen, self.tuning, self.splits, self.seed,
                       self.results, self.about, self.tune_on)


def _collaborative(recommender, settings: Settings, folder, name: str,
                   catalog) -> CollaborativeRetriever | None:
    """The app's collaborative retriever when it loaded one, else one loaded from ``folder``
    into the Chroma collection ``collab-<name>`` (a preparation's model has its own)."""
    if recommender is not None:
        retriever = recommender.domain(name).retriever
        if isinstance(retriever, HybridRetriever):
            return retriever.collaborative  # type: ignore[return-value]
    from recommender.vectors.store import open_client

    return load_collaborative(open_client(settings.index_dir, settings.chroma_url), folder, name,
                              catalog)


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


def validation_blind_retriever(settings: Settings, dataset: str, progress: bool = True):
    """(catalog, the evaluation's hybrid retriever over the ``train --for-tuning`` twin, which
    never saw a validation item), at the shipped collaborative weight: candidates for a
    training user's history in which their next item is not already memorised."""
    from recommender.loading import load_recommender

    domain = DATASETS[dataset]
    recommender = load_recommender(replace(settings, domains=(domain,)), progress=progress)
    res = recommender.domain(domain)
    folder = find_model_dir(settings.index_dir, dataset, settings.collaborative_dir)
    twin = _tuning_model(settings, tuning_dir(folder), domain, res.catalog, dataset)
    weight = load_fusion_weights(folder).collaborative
    content = ContentRetriever(res.index, profile_weight=0.0)
    return res.catalog, HybridRetriever(content, twin, weight)


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
            "weights chosen on tuning users, never on reported users" if tuning else
            "no tuning users: every system at its fixed weight"),
        **about,
        "systems": results,
        "anchors": {k: {"HR@10": v[0], "NDCG@10": v[1]} for k, v in ANCHORS[dataset].items()},
    }

