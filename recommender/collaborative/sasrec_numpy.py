"""A trained SASRec read for serving, in numpy: the user's vector for a history and the item
vectors, without torch (about 220 MiB resident and 1.5 s of every start, docs/benchmarks.md).

The forward pass is ``sasrec.SASRec``'s in inference (``nn.TransformerEncoderLayer`` with
``norm_first=True`` and ReLU, one final LayerNorm, no dropout) for one history: the history is
read unpadded, so the attention mask is the causal one alone, and positions count back from the
newest item as in training. The weights are ``sasrec.npz``, written beside ``sasrec.pt`` by
``sasrec.save_model``; ``tests/test_collaborative.py`` holds this to the torch model's vectors."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["SASRecNumpy", "WEIGHTS_FILE"]

WEIGHTS_FILE = "sasrec.npz"
_EPS = 1e-5  # torch's LayerNorm default, which SASRec keeps


class SASRecNumpy:
    """Item ids 1..n (0 pads), as in ``sasrec.SASRec``; ``items`` row 0 is the padding."""

    architecture = "sasrec"

    def __init__(self, weights: Mapping[str, np.ndarray], max_len: int, heads: int,
                 blocks: int) -> None:
        self.weights = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        self.items = self.weights["items.weight"]
        self.taste = slice(None)
        """The coordinates of a vector that describe taste: all of them."""
        self.max_len, self.heads, self.blocks = max_len, heads, blocks

    @classmethod
    def load(cls, folder: Path) -> tuple[SASRecNumpy, list[str], dict]:
        """The model in ``folder``, its vocabulary (position = model id - 1) and metadata;
        ``FileNotFoundError`` when ``sasrec.json`` or ``sasrec.npz`` is missing."""
        meta = json.loads((folder / "sasrec.json").read_text())
        config, vocabulary = meta.pop("config"), meta.pop("vocabulary")
        with np.load(folder / WEIGHTS_FILE) as saved:
            weights = {name: saved[name] for name in saved.files}
        return cls(weights, int(config["max_len"]), int(config["heads"]),
                   int(config["blocks"])), vocabulary, meta

    def user_vector(self, ids: Sequence[int]) -> np.ndarray:
        """The last position's hidden state for a history of model ids (oldest first; the
        newest ``max_len`` are read)."""
        ids = list(ids)[-self.max_len:]
        w, length = self.weights, len(ids)
        dim = self.items.shape[1]
        x = self.items[ids] * np.float32(math.sqrt(dim)) + \
            w["positions.weight"][self.max_len - length:]
        later = np.triu(np.ones((length, length), dtype=bool), k=1)
        for block in range(self.blocks):
            name = f"encoder.layers.{block}"
            x = x + self._attention(_norm(x, w, f"{name}.norm1"), name, later)
            inner = np.maximum(_linear(_norm(x, w, f"{name}.norm2"), w, f"{name}.linear1"), 0)
            x = x + _linear(inner, w, f"{name}.linear2")
        return _norm(x, w, "norm")[-1]

    def _attention(self, x: np.ndarray, name: str, later: np.ndarray) -> np.ndarray:
        w = self.weights
        length, dim = x.shape
        size = dim // self.heads
        qkv = x @ w[f"{name}.self_attn.in_proj_weight"].T + w[f"{name}.self_attn.in_proj_bias"]
        q, k, v = (qkv[:, n * dim:(n + 1) * dim].reshape(length, self.heads, size)
                   .transpose(1, 0, 2) for n in range(3))
        scores = q @ k.transpose(0, 2, 1) / np.float32(math.sqrt(size))
        scores[:, later] = -np.inf
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(length, dim)
        return _linear(context, w, f"{name}.self_attn.out_proj")


def _linear(x: np.ndarray, w: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]


def _norm(x: np.ndarray, w: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * w[f"{name}.weight"] + w[f"{name}.bias"]
