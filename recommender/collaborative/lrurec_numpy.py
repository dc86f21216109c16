"""A trained LRURec read for serving, in numpy: the user's vector for a history and the item
vectors, without torch (as ``sasrec_numpy`` serves SASRec).

The forward pass is ``lrurec.LRURec``'s in inference for one unpadded history: the recurrence
``h_t = λ h_{t-1} + γ B x_t`` is run step by step from a zero state, which is what the training
scan computes for the history's positions (padding passes nothing on). The model scores an item
as ``u · e_i + b_i``; for an inner-product index, ``items`` carries each item's bias as a last
column and ``user_vector`` a last coordinate of 1, so the score is one dot product."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["LRURecNumpy", "WEIGHTS_FILE", "CONFIG_FILE"]

WEIGHTS_FILE = "lrurec.npz"
CONFIG_FILE = "lrurec.json"
_EPS = 1e-5  # torch's LayerNorm default


class LRURecNumpy:
    """Item ids 1..n (0 pads); ``items`` row 0 is the padding. A saved ``LRURecEnsemble`` is
    read as its members side by side: their item vectors (each with its bias) concatenated,
    and the user's vector the members' concatenated, so one dot product sums their scores."""

    architecture = "lrurec"

    def __init__(self, weights: Mapping[str, np.ndarray], max_len: int, blocks: int) -> None:
        self.members = _members(weights)
        self.max_len, self.blocks = max_len, blocks
        self.items = np.hstack([np.hstack([np.asarray(m["items.weight"], dtype=np.float32),
                                           np.asarray(m["bias"], dtype=np.float32)[:, None]])
                                for m in self.members])
        """Each member's item vectors with their bias as a last column, side by side:
        (items + 1, members × (dim + 1))."""
        width = self.items.shape[1] // len(self.members)
        self.taste = np.ones(self.items.shape[1], dtype=bool)
        self.taste[width - 1 :: width] = False
        """The coordinates of a vector that describe taste: all but the biases'."""

    @classmethod
    def load(cls, folder: Path) -> tuple[LRURecNumpy, list[str], dict]:
        """The model in ``folder``, its vocabulary (position = model id - 1) and metadata;
        ``FileNotFoundError`` when a file is missing."""
        meta = json.loads((folder / CONFIG_FILE).read_text())
        meta.pop("architecture", None)
        config, vocabulary = meta.pop("config"), meta.pop("vocabulary")
        with np.load(folder / WEIGHTS_FILE) as saved:
            weights = {name: saved[name] for name in saved.files}
        return cls(weights, int(config["max_len"]), int(config["blocks"])), vocabulary, meta

    def user_vector(self, ids: Sequence[int]) -> np.ndarray:
        """Each member's last-position output for a history of model ids (oldest first; the
        newest ``max_len`` are read), each followed by a 1 for the items' bias."""
        ids = list(ids)[-self.max_len:]
        return np.concatenate([np.append(self._output(w, ids), np.float32(1.0))
                               for w in self.members]).astype(np.float32)

    def _output(self, w: Mapping[str, np.ndarray], ids: list[int]) -> np.ndarray:
        x = _norm(w["items.weight"][ids].astype(np.float32), w, "embedding_norm")
        for block in range(self.blocks):
            x = _recurrence(x, w, f"recurrences.{block}")
            x = _feed_forward(x if block + 1 < self.blocks else x[-1:], w,
                              f"feed_forwards.{block}")
        return x[-1]


def _members(weights: Mapping[str, np.ndarray]) -> list[dict[str, np.ndarray]]:
    """One weight dict per member: an ensemble's keys are ``members.<k>.<name>``."""
    if not any(name.startswith("members.") for name in weights):
        return [dict(weights)]
    members: dict[int, dict[str, np.ndarray]] = {}
    for name, value in weights.items():
        _, index, rest = name.split(".", 2)
        members.setdefault(int(index), {})[rest] = value
    return [members[k] for k in sorted(members)]


def _recurrence(x: np.ndarray, w: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    nu, theta, gamma = np.exp(w[f"{name}.params_log"].astype(np.float64))
    decay = np.exp(-nu + 1j * theta)
    driven = (x @ w[f"{name}.in_proj.weight"].T + w[f"{name}.in_proj.bias"]) * gamma
    states = np.empty_like(driven)
    state = np.zeros(driven.shape[1], dtype=driven.dtype)
    for t in range(len(driven)):
        state = decay * state + driven[t]
        states[t] = state
    out = (states @ w[f"{name}.out_proj.weight"].T + w[f"{name}.out_proj.bias"]).real
    return _norm((out + x).astype(np.float32), w, f"{name}.layer_norm")


def _feed_forward(x: np.ndarray, w: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    inner = _gelu(x @ w[f"{name}.w_1.weight"].T + w[f"{name}.w_1.bias"])
    out = inner @ w[f"{name}.w_2.weight"].T + w[f"{name}.w_2.bias"]
    return _norm((out + x).astype(np.float32), w, f"{name}.layer_norm")


def _gelu(x: np.ndarray) -> np.ndarray:
    """torch's exact GELU, x Φ(x)."""
    return x * 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to within 1.5e-7 (Abramowitz and Stegun 7.1.26), vectorised: float32 needs no more,
    and ``math.erf`` element by element cost a third of a 200-item history's 30 ms (three
    members)."""
    a = np.abs(x.astype(np.float64))
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t
            + 0.254829592) * t
    return (np.sign(x) * (1.0 - poly * np.exp(-a * a))).astype(x.dtype)


def _norm(x: np.ndarray, w: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + _EPS) * w[f"{name}.weight"] + w[f"{name}.bias"]
