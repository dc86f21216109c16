"""Where the trained collaborative models live and how the app mixes their scores: what serving
reads, without the training stack (torch). ``collaborative.training`` writes them."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from recommender.collaborative.interactions import DATASETS
from recommender.errors import RecommenderError
from recommender.settings import PROJECT_ROOT

__all__ = ["SHIPPED_MODELS", "MODEL_FILES", "model_file", "model_dir", "find_model_dir",
           "served_architecture",
           "FusionWeights", "remove_model",
           "load_fusion_weights", "save_fusion_weights", "dataset_of", "write_atomically"]

SHIPPED_MODELS = PROJECT_ROOT / "assets" / "models"
"""Models trained with `python -m recommender train` and committed, so a fresh checkout
retrieves collaboratively without training first."""


MODEL_FILES = {"sasrec": "sasrec.pt", "lrurec": "lrurec.pt"}
"""Each sequence architecture's weights file; a model folder holds one of them."""


def model_file(folder: Path) -> Path | None:
    """The trained sequence model's weights file in ``folder``, or ``None`` when it holds none."""
    return next((folder / name for name in MODEL_FILES.values() if (folder / name).is_file()),
                None)


def served_architecture(dataset: str) -> str:
    """The sequence architecture the app ships for ``dataset`` (its weights file in
    ``assets/models``); ``sasrec`` when none is shipped."""
    weights = model_file(model_dir(SHIPPED_MODELS, dataset))
    return next((architecture for architecture, name in MODEL_FILES.items()
                 if weights is not None and weights.name == name), "sasrec")


def remove_model(folder: Path) -> None:
    """Delete the sequence model's files from ``folder`` (weights, numpy weights, settings),
    whichever architecture they are; fusion weights and the item-item model stay."""
    for name in MODEL_FILES.values():
        for suffix in (".pt", ".npz", ".json"):
            (folder / name).with_suffix(suffix).unlink(missing_ok=True)


def model_dir(index_dir: Path, dataset: str, preparation: str = "full") -> Path:
    """Where ``train`` saves a data set's model: beside the vector index. A model trained on
    another preparation of the data (``interactions.PREPARATIONS``) has its own folder: it is
    measured, never served."""
    suffix = "" if preparation == "full" else f"-{preparation}"
    return index_dir / f"sasrec-{dataset}{suffix}"


def find_model_dir(index_dir: Path, dataset: str, collaborative_dir: Path | None,
                   preparation: str = "full") -> Path:
    """The folder to load a data set's model from: ``collaborative_dir`` when set; otherwise
    the index folder's when it has one, else the shipped one."""
    if collaborative_dir is not None:
        return model_dir(collaborative_dir, dataset, preparation)
    trained = model_dir(index_dir, dataset, preparation)
    return trained if model_file(trained) else model_dir(SHIPPED_MODELS, dataset, preparation)


@dataclass(frozen=True)
class FusionWeights:
    """How the app mixes its scores, chosen on validation users by ``evaluate --save-weights``.

    The defaults are used until that has run for a data set."""

    collaborative: float = 0.8
    """Collaborative share of hybrid retrieval (the rest is content)."""
    llm: float = 1.0
    """LLM share of the final order (the rest is retrieval order)."""
    typed_history: dict[int, float] | None = None
    """History length → the item-item model's share for a typed history of that many
    titles (``retrieval.TypedReading``); ``None``: every history is fused as above. Chosen on
    validation users and typed lists, saved as ``typed_history``."""
    typed_taste: dict[int, float] | None = None
    """History length → the share of the typed titles' shared taste (``core.taste``) in
    the typed reading's order; ``None`` or a missing length: none. Saved as ``typed_taste``."""


def load_fusion_weights(folder: Path) -> FusionWeights:
    """The weights saved in a model folder, or the defaults."""
    path = folder / "fusion.json"
    if not path.is_file():
        return FusionWeights()
    try:
        data = json.loads(path.read_text())
        return FusionWeights(collaborative=float(data["collaborative"]), llm=float(data["llm"]),
                             typed_history=_per_count(data.get("typed_history")),
                             typed_taste=_per_count(data.get("typed_taste")))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RecommenderError(
            f"{path} cannot be read ({exc}). Delete it to use the default weights, or write it "
            "again with python -m recommender evaluate ... --save-weights.") from exc


def _per_count(weights: dict | None) -> dict[int, float] | None:
    return None if weights is None else {int(count): float(w) for count, w in weights.items()}


def save_fusion_weights(folder: Path, weights: FusionWeights, meta: dict) -> None:
    """Write ``weights`` with ``meta`` (how they were chosen). Notes the file already holds
    that neither replaces (say, how the typed-history shares were chosen) are kept."""
    path = folder / "fusion.json"
    chosen = asdict(weights)
    kept = {key: value for key, value in _saved_notes(path).items() if key not in chosen}
    write_atomically(path, (json.dumps({**kept, **chosen, **meta}, indent=1) + "\n").encode())


def _saved_notes(path: Path) -> dict:
    try:
        saved = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def dataset_of(domain: str) -> str | None:
    """The interaction data set whose ids a catalog domain uses, if any."""
    return next((name for name, d in DATASETS.items() if d == domain), None)




def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush it to disk, then rename it over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.partial")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
