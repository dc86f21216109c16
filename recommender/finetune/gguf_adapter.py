"""A PEFT LoRA adapter of a LLaMA-family model written as a GGUF adapter that llama.cpp applies
at run time on the quantized base (``Llama(lora_path=...)``, llama.cpp's ``--lora``).

It does what llama.cpp's ``convert_lora_to_gguf.py`` does for this one architecture, with the
``gguf`` package alone, so ``finetune`` needs no llama.cpp source tree: Hugging Face module
names become GGUF tensor names, and the rows of the query and key projections' B matrices are
permuted as the base conversion permutes those weights for rotary embedding (llama.cpp's
``LlamaModel.permute``). The output is checked against that script's own (docs/finetune.md)
and, in the tests, against the PEFT model's logits through llama.cpp."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from recommender.errors import RecommenderError
from recommender.models.adapters import BASE_KEY

__all__ = ["write_gguf_adapter", "GGUF_NAMES"]

GGUF_NAMES = {
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k", "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output", "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
"""PEFT module (under ``model.layers.N.``) → llama.cpp tensor (under ``blk.N.``)."""

_NAME = re.compile(r"(?:base_model\.model\.)?model\.layers\.(\d+)\.(.+)\.lora_([AB])\.weight$")


def rope_permute(rows: np.ndarray, heads: int) -> np.ndarray:
    """The row order llama.cpp's converter gives a query or key projection (``heads`` heads)."""
    return (rows.reshape(heads, 2, rows.shape[0] // heads // 2, *rows.shape[1:])
            .swapaxes(1, 2).reshape(rows.shape))


def write_gguf_adapter(tensors: Mapping[str, np.ndarray], alpha: float, heads: int,
                       kv_heads: int, path: Path, base: str,
                       name: str = "recommender adapter") -> int:
    """Write ``tensors`` (a PEFT state dict: ``...layers.N.<module>.lora_A/B.weight``) to
    ``path`` as an f16 GGUF LoRA adapter with scale ``alpha``, recording ``base``
    (``base_identity`` of the model it was trained on); returns the tensor count."""
    import gguf

    pairs: dict[tuple[int, str], dict[str, np.ndarray]] = {}
    for key, value in tensors.items():
        match = _NAME.match(key)
        if match is None or match[2] not in GGUF_NAMES:
            raise RecommenderError(f"The adapter holds {key!r}, which llama.cpp cannot apply: "
                                   f"adapt only {', '.join(GGUF_NAMES)}.")
        pairs.setdefault((int(match[1]), match[2]), {})[match[3]] = np.asarray(value)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    writer = gguf.GGUFWriter(str(temporary), "llama")
    writer.add_string("general.type", "adapter")
    writer.add_string("adapter.type", "lora")
    writer.add_float32("adapter.lora.alpha", float(alpha))
    writer.add_string(BASE_KEY, base)
    writer.add_name(name)
    count = 0
    for (layer, module), ab in sorted(pairs.items()):
        if set(ab) != {"A", "B"}:
            raise RecommenderError(f"Layer {layer} {module} has only lora_{''.join(ab)}.")
        b = ab["B"]
        if module == "self_attn.q_proj":
            b = rope_permute(b, heads)
        elif module == "self_attn.k_proj":
            b = rope_permute(b, kv_heads)
        target = f"blk.{layer}.{GGUF_NAMES[module]}.weight"
        writer.add_tensor(f"{target}.lora_a", ab["A"].astype(np.float16))
        writer.add_tensor(f"{target}.lora_b", b.astype(np.float16))
        count += 2
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    temporary.replace(path)  # whole or absent
    return count
