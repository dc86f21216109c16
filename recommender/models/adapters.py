"""LoRA adapters for the bundled model: which one applies (the shipped one by default), and
whether an adapter file was trained for the model it is loaded on. An adapter records the
identity of its base (architecture, name and shape) in its GGUF metadata when
``python -m recommender finetune`` writes it (``finetune.gguf_adapter``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from recommender.errors import ModelLoadError, RecommenderError
from recommender.settings import PROJECT_ROOT

__all__ = ["SHIPPED_ADAPTER", "BASE_KEY", "base_identity", "gguf_metadata_identity",
           "adapter_base", "resolve_adapter", "check_adapter"]

SHIPPED_ADAPTER = PROJECT_ROOT / "assets" / "models" / "adapter" / "smollm2-135m-instruct.gguf"
"""The adapter ``python -m recommender finetune`` trained for the bundled model."""

BASE_KEY = "recommender.base_model"
"""The adapter's metadata naming the base it was trained on (``base_identity``)."""
_IDENTITY_KEYS = ("general.architecture", "general.name", "llama.block_count",
                  "llama.embedding_length", "llama.vocab_size")


def base_identity(metadata: Mapping[str, object]) -> str:
    """What an adapter must match in its base: architecture, name and shape (from a GGUF's
    metadata, as llama.cpp reports it)."""
    return " | ".join(str(metadata.get(key, "?")) for key in _IDENTITY_KEYS)


def gguf_metadata_identity(path: Path) -> str:
    """``base_identity`` of a model GGUF file, from its header as llama.cpp reads it (the
    vocabulary only: a twentieth of a second, where parsing every field takes seconds)."""
    from llama_cpp import Llama

    try:
        llama = Llama(model_path=str(path), vocab_only=True, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise RecommenderError(f"{path} is not a readable GGUF model ({exc}).") from exc
    return base_identity(llama.metadata)


def adapter_base(path: Path) -> str:
    """The base an adapter file says it was trained on; a clear error when it is not one of
    ours or cannot be read."""
    import gguf

    try:
        fields = gguf.GGUFReader(str(path)).fields
        kind = fields["adapter.type"].contents()
        base = fields[BASE_KEY].contents() if BASE_KEY in fields else None
    except (OSError, ValueError, KeyError, IndexError) as exc:
        raise RecommenderError(f"{path} is not a readable GGUF LoRA adapter ({exc}).") from exc
    if kind != "lora" or base is None:
        raise RecommenderError(f"{path} is not an adapter made by python -m recommender "
                               "finetune (no base model recorded).")
    return str(base)


def resolve_adapter(setting: Path | None, model_path: Path | None) -> Path | None:
    """The adapter to apply: the setting's file; the shipped one for ``shipped``, and by default
    when the model is the bundled one (the adapter was trained for it); none for ``none``, and by
    default for a model the settings name."""
    if setting is None:
        return SHIPPED_ADAPTER if model_path is None else None
    if str(setting).lower() == "none":
        return None
    return SHIPPED_ADAPTER if str(setting).lower() == "shipped" else setting


def check_adapter(adapter: Path, model_path: Path) -> None:
    """Stop with a message naming the setting when ``adapter`` is missing, unreadable, or was
    trained for another base model than ``model_path``."""
    if not adapter.is_file():
        raise ModelLoadError(f"No adapter file at {adapter}. Point RECOMMENDER_ADAPTER_PATH at "
                             "one made by python -m recommender finetune, or set it to none.")
    try:
        trained_on, base = adapter_base(adapter), gguf_metadata_identity(model_path)
    except RecommenderError as exc:
        raise ModelLoadError(f"{exc} Fix RECOMMENDER_ADAPTER_PATH (or set it to none).") from exc
    if trained_on != base:
        raise ModelLoadError(
            f"The adapter {adapter} was trained for another model ({trained_on}), not "
            f"{model_path.name} ({base}). Set RECOMMENDER_ADAPTER_PATH to an adapter made for "
            "this model with python -m recommender finetune, or to none.")
