"""all-MiniLM-L6-v2 in numpy: the same sentence vectors as sentence-transformers, without torch.

The app needs MiniLM rarely while it serves (a profile the person wrote, an uploaded catalog, an
item changed since the shipped vectors), yet importing torch and sentence-transformers for it
cost about 460 MiB of resident memory and 5 s of every start (docs/benchmarks.md). This is the
model's forward pass as BERT defines it (Devlin et al. 2019; Hugging Face's ``BertModel``): word,
position and type embeddings, six post-norm encoder layers of twelve-head self-attention and a
GELU feed-forward, then sentence-transformers' mean pooling over real tokens and unit length,
reading the package's own ``model.safetensors`` and ``tokenizer.json`` (``tokenizers``, Rust).
``tests/test_minilm.py`` holds it to sentence-transformers' vectors on catalog texts.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings
from safetensors.numpy import load_file
from tokenizers import Tokenizer

__all__ = ["NumpyMiniLM", "MAX_TOKENS"]

MAX_TOKENS = 96
"""Word pieces read per text, as the app's sentence-transformers model was set
(``max_seq_length``): item texts are title, facts and a 40-word overview, and 96 pieces hold
nearly all of them."""
_BATCH = 32


class NumpyMiniLM(Embeddings):
    """MiniLM from its package folder (``model.safetensors``, ``tokenizer.json``,
    ``config.json``) behind LangChain's ``Embeddings``: unit-length float32 vectors."""

    def __init__(self, folder: Path, max_tokens: int = MAX_TOKENS) -> None:
        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.weights = {k: _for_matmul(k, v) for k, v in
                        load_file(str(folder / "model.safetensors")).items()
                        if k != "embeddings.position_ids"}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_tokens)
        self.tokenizer.no_padding()
        self._lock = threading.Lock()  # the Rust tokenizer's settings are shared state

    # -- LangChain's interface ---------------------------------------------------------------

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode([t.replace("\n", " ") for t in texts]).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]

    # -- the model ---------------------------------------------------------------------------

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length sentence vectors, (len(texts), 384); texts of like length batched."""
        with self._lock:
            encodings = self.tokenizer.encode_batch(list(texts))
        ids = [e.ids for e in encodings]
        order = sorted(range(len(ids)), key=lambda n: len(ids[n]))
        out = np.zeros((len(ids), self.weights["embeddings.word_embeddings.weight"].shape[1]),
                       dtype=np.float32)
        for start in range(0, len(order), _BATCH):
            batch = order[start:start + _BATCH]
            out[batch] = self._forward([ids[n] for n in batch])
        return out

    def _forward(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        w = self.weights
        length = max(len(i) for i in ids)
        tokens = np.zeros((len(ids), length), dtype=np.int64)
        real = np.zeros((len(ids), length), dtype=np.float32)
        for n, row in enumerate(ids):
            tokens[n, :len(row)], real[n, :len(row)] = row, 1.0
        x = (w["embeddings.word_embeddings.weight"][tokens]
             + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        blocked = (1.0 - real)[:, None, None, :] * np.float32(-1e9)  # no attention to padding
        for layer in range(self.layers):
            x = self._layer(x, f"encoder.layer.{layer}", blocked)
        pooled = (x * real[:, :, None]).sum(axis=1) / real.sum(axis=1, keepdims=True)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _layer(self, x: np.ndarray, name: str, blocked: np.ndarray) -> np.ndarray:
        batch, length, width = x.shape
        size = width // self.heads

        def heads(part: str) -> np.ndarray:  # (batch, heads, length, size)
            y = self._linear(x, f"{name}.attention.self.{part}")
            return y.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

        scores = heads("query") @ heads("key").transpose(0, 1, 3, 2) / np.float32(math.sqrt(size))
        scores = scores + blocked
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ heads("value")).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = self._norm(x + self._linear(context, f"{name}.attention.output.dense"),
                       f"{name}.attention.output.LayerNorm")
        inner = _gelu(self._linear(x, f"{name}.intermediate.dense"))
        return self._norm(x + self._linear(inner, f"{name}.output.dense"),
                          f"{name}.output.LayerNorm")

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        """x · Wᵀ + b, as one 2-D product: numpy hands a stacked (3-D) one to BLAS matrix by
        matrix, or not at all, about 20 times slower here."""
        flat = x.reshape(-1, x.shape[-1]) @ self.weights[f"{name}.weight"]
        return (flat + self.weights[f"{name}.bias"]).reshape(*x.shape[:-1], flat.shape[-1])

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return ((x - mean) / np.sqrt(var + self.eps) * self.weights[f"{name}.weight"]
                + self.weights[f"{name}.bias"])


def _for_matmul(name: str, value: np.ndarray) -> np.ndarray:
    """A linear layer's weight transposed once, contiguous, for ``x @ W``; the rest as read."""
    if name.endswith(".weight") and value.ndim == 2 and "embeddings" not in name:
        return np.ascontiguousarray(value.T)
    return value


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x · Φ(x). numpy has no erf; Abramowitz and Stegun's 7.1.26 gives it
    to within 1.5e-7, below float32's own rounding of these activations. Computed in place:
    the feed-forward's activations are the largest arrays of the pass."""
    z = np.abs(x)
    z *= np.float32(1.0 / math.sqrt(2.0))
    t = z * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coefficient)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z                      # 1 - erf(|x| / √2)
    np.negative(poly, out=poly)
    poly += 1.0                    # erf(|x| / √2)
    np.copysign(poly, x, out=poly)
    poly += 1.0
    poly *= x
    poly *= np.float32(0.5)
    return poly
