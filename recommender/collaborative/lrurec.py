"""LRURec (Yue et al., CIKM 2024, arXiv 2310.02367): linear recurrent units over item sequences,
the retriever LlamaRec ranks with.

Each block is a linear recurrence ``h_t = λ ⊙ h_{t-1} + γ ⊙ B x_t`` with a learned complex
diagonal ``λ`` (stable by construction: ``|λ| = exp(-exp(ν)) < 1``), read out as
``Re(C h_t) + x_t`` and layer-normalised, then a position-wise feed-forward layer. There is no
attention and no position embedding: order lives in the recurrence. Training evaluates the
recurrence for every position at once by a parallel scan over blocks of length 2, 4, 8 ...
(sequences left-padded to a power of two; a padded position passes nothing on), serving runs it
step by step (``lrurec_numpy``). An item's score is ``u · e_i + b_i``: its embedding and a
learned bias, the user's vector the last position's output.

The settings are LlamaRec's (``config.py``): 64 dimensions, two blocks, dropout 0.2 on the
embedding, the recurrence's output and the feed-forward layer, AdamW at 1e-3 with weight decay
0.01, gradients clipped at norm 5, truncated normal initialisation (std 0.02), cross-entropy
over every item at every position.
"""

from __future__ import annotations

import io
import json
import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from recommender.collaborative.artifacts import write_atomically
from recommender.collaborative.lrurec_numpy import CONFIG_FILE, WEIGHTS_FILE
from recommender.collaborative.next_item import EpochCallback, train_next_item

__all__ = ["LRURecConfig", "LRURec", "LRURecEnsemble", "train_lrurec", "save_lrurec", "load_lrurec"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LRURecConfig:
    max_len: int = 50
    """Most recent items the model reads (LlamaRec: 200 for MovieLens, 50 otherwise)."""
    dim: int = 64
    blocks: int = 2
    dropout: float = 0.2
    """On the embedding and in the feed-forward layers."""
    recurrent_dropout: float = 0.2
    """On the recurrence's output (LlamaRec's ``bert_attn_dropout``)."""
    epochs: int = 100
    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    max_grad_norm: float = 5.0
    r_min: float = 0.8
    r_max: float = 0.99
    """Range of the recurrence's initial decay ``|λ|``."""
    seed: int = 0
    members: int = 1
    """Models trained with seeds ``seed``, ``seed + 1``, ...; an item's score is the sum of
    theirs (``LRURecEnsemble``)."""


class LRULayer(nn.Module):
    """One linear recurrent unit over a (batch, length, dim) sequence, with its residual and
    layer norm. The state is complex, twice the model's width."""

    def __init__(self, dim: int, dropout: float, r_min: float, r_max: float) -> None:
        super().__init__()
        state = 2 * dim
        u1, u2 = torch.rand(state), torch.rand(state)
        nu_log = torch.log(-0.5 * torch.log(u1 * (r_max ** 2 - r_min ** 2) + r_min ** 2))
        theta_log = torch.log(u2 * 2 * math.pi)
        decay = torch.exp(torch.complex(-torch.exp(nu_log), torch.exp(theta_log)))
        gamma_log = torch.log(torch.sqrt(1 - decay.abs() ** 2))
        self.params_log = nn.Parameter(torch.vstack((nu_log, theta_log, gamma_log)))
        with warnings.catch_warnings():  # torch calls complex modules a new feature
            warnings.simplefilter("ignore", UserWarning)
            self.in_proj = nn.Linear(dim, state).to(torch.cfloat)
            self.out_proj = nn.Linear(state, dim).to(torch.cfloat)
        self.dropout = nn.Dropout(dropout)
        self.layer_norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        nu, theta, gamma = torch.exp(self.params_log).split((1, 1, 1))
        decay = torch.exp(torch.complex(-nu, theta))                       # (1, S)
        h = self.in_proj(x.to(torch.cfloat)) * gamma                        # (B, L, S)
        batch, length, state = h.shape
        powers = decay
        size = 2
        while size <= length:  # the scan: each block's right half gets its left half's end
            h = h.reshape(batch * length // size, size, state)
            carry = mask.reshape(batch * length // size, size)[:, size // 2 - 1, None, None]
            left, right = h[:, : size // 2], h[:, size // 2:]
            if size > 2:
                powers = torch.cat((powers, powers * powers[-1]), 0)
            right = right + powers * left[:, -1:] * carry
            h = torch.cat((left, right), dim=1)
            size *= 2
        h = h.reshape(batch, length, state)
        return self.layer_norm(self.dropout(self.out_proj(h).real) + x)


class FeedForward(nn.Module):
    def __init__(self, dim: int, dropout: float) -> None:
        super().__init__()
        self.w_1, self.w_2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)
        self.dropout = nn.Dropout(dropout)
        self.layer_norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        inner = self.dropout(nn.functional.gelu(self.w_1(x)))
        return self.layer_norm(self.dropout(self.w_2(inner)) + x)


class LRURec(nn.Module):
    """Item ids 1..n, 0 pads (left)."""

    def __init__(self, items: int, config: LRURecConfig) -> None:
        super().__init__()
        self.config = config
        self.items = nn.Embedding(items + 1, config.dim)
        self.embedding_norm = nn.LayerNorm(config.dim)
        self.embedding_dropout = nn.Dropout(config.dropout)
        self.recurrences = nn.ModuleList(
            LRULayer(config.dim, config.recurrent_dropout, config.r_min, config.r_max)
            for _ in range(config.blocks))
        self.feed_forwards = nn.ModuleList(FeedForward(config.dim, config.dropout)
                                           for _ in range(config.blocks))
        self.bias = nn.Parameter(torch.zeros(items + 1))
        _truncated_normal_init(self)

    def forward(self, sequences: torch.Tensor) -> torch.Tensor:
        """Output at every position: (batch, length, dim)."""
        length = sequences.shape[1]
        padded = 1 << max(0, math.ceil(math.log2(max(length, 1))))
        mask = nn.functional.pad(sequences > 0, (padded - length, 0))
        x = self.embedding_norm(self.embedding_dropout(self.items(sequences)))
        x = nn.functional.pad(x, (0, 0, padded - length, 0))
        for recurrence, feed_forward in zip(self.recurrences, self.feed_forwards):
            x = feed_forward(recurrence(x, mask))
        return x[:, -length:]

    def scores(self, vectors: torch.Tensor) -> torch.Tensor:
        """Every item's score (padding at column 0) for these outputs: ``u · e_i + b_i``."""
        return vectors @ self.items.weight.T + self.bias

    @torch.no_grad()
    def user_vectors(self, sequences: torch.Tensor) -> torch.Tensor:
        """The last position's output for left-padded sequences: (batch, dim)."""
        return self.forward(sequences)[:, -1, :]


class LRURecEnsemble(nn.Module):
    """LRURecs trained alike from different seeds. An item's score is the sum of the members',
    which is one inner product: the members' vectors concatenated against the members' item
    vectors concatenated, so Chroma serves it as it serves one model."""

    def __init__(self, items: int, config: LRURecConfig,
                 members: Sequence[LRURec] | None = None) -> None:
        """``members``: trained ones; otherwise ``config.members`` fresh ones (to load into)."""
        super().__init__()
        self.config = config
        self.members = nn.ModuleList(members if members is not None else
                                     (LRURec(items, replace(config, seed=config.seed + k))
                                      for k in range(config.members)))

    @torch.no_grad()
    def user_vectors(self, sequences: torch.Tensor) -> torch.Tensor:
        """The members' vectors side by side: (batch, members × dim)."""
        return torch.cat([member.user_vectors(sequences) for member in self.members], dim=1)

    def scores(self, vectors: torch.Tensor) -> torch.Tensor:
        """Every item's summed score (padding at column 0) for these side-by-side vectors."""
        parts = vectors.split(self.config.dim, dim=1)
        return sum(member.scores(part) for member, part in zip(self.members, parts))


def _truncated_normal_init(model: nn.Module, std: float = 0.02) -> None:
    """Every weight but the layer norms' and the recurrences' decay drawn from a normal with
    ``std`` cut at two deviations, complex ones in both parts (as LRURec initialises)."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "layer_norm" in name or "embedding_norm" in name or "params_log" in name:
                continue
            parts = (parameter.real, parameter.imag) if parameter.is_complex() else (parameter,)
            for part in parts:
                nn.init.trunc_normal_(part, std=std, a=-2 * std, b=2 * std)


def _optimizer(model: LRURec, config: LRURecConfig) -> torch.optim.AdamW:
    """AdamW as LRURec trains: no weight decay on biases and layer norms, epsilon 1e-9."""
    plain = [p for n, p in model.named_parameters() if "bias" in n or "norm" in n]
    decayed = [p for n, p in model.named_parameters() if not ("bias" in n or "norm" in n)]
    return torch.optim.AdamW([{"params": decayed, "weight_decay": config.weight_decay},
                              {"params": plain, "weight_decay": 0.0}],
                             lr=config.learning_rate, eps=1e-9)


def train_lrurec(sequences: Sequence[Sequence[int]], items: int, config: LRURecConfig,
                 progress: bool = True, on_epoch: EpochCallback | None = None,
                 device: str = "cpu") -> LRURec | LRURecEnsemble:
    """Fit on id sequences (ids 1..items, oldest first); each predicts its next item at every
    position, by cross-entropy over every item. Sequences longer than ``max_len`` are cut into
    windows (``next_item.training_windows``). With ``config.members`` above 1, that many models
    are trained one after another (``on_epoch`` then hears each member's epochs) and returned
    as an ``LRURecEnsemble``."""
    def loss(model: LRURec, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        real = targets > 0
        return nn.functional.cross_entropy(model.scores(model(inputs)[real]), targets[real])

    several = config.members > 1
    trained = []
    for member in range(config.members):
        member_config = replace(config, seed=config.seed + member)
        torch.manual_seed(member_config.seed)
        model = LRURec(items, member_config).to(device)
        trained.append(train_next_item(
            model, sequences, max_len=config.max_len, epochs=config.epochs,
            batch_size=config.batch_size, seed=member_config.seed,
            optimizer=_optimizer(model, member_config), loss=loss,
            name=f"LRURec {member + 1}/{config.members}" if several else "LRURec",
            max_grad_norm=config.max_grad_norm, progress=progress, on_epoch=on_epoch,
            device=device))
    return LRURecEnsemble(items, config, trained).eval() if several else trained[0]


def save_lrurec(model: LRURec | LRURecEnsemble, vocabulary: Sequence[str], folder: Path,
                meta: Mapping) -> None:
    """Weights (torch's and numpy's, which serving reads), config, vocabulary (position =
    model id - 1) and training facts; each file replaced whole."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    write_atomically(folder / "lrurec.pt", buffer.getvalue())
    buffer = io.BytesIO()
    np.savez(buffer, **{name: value.detach().cpu().numpy()
                        for name, value in model.state_dict().items()})
    write_atomically(folder / WEIGHTS_FILE, buffer.getvalue())
    write_atomically(folder / CONFIG_FILE, json.dumps(
        {"architecture": "lrurec", "config": asdict(model.config),
         "vocabulary": list(vocabulary), **meta}, indent=1).encode())


def load_lrurec(folder: Path) -> tuple[LRURec | LRURecEnsemble, list[str], dict]:
    """A saved model, its vocabulary and metadata; ``FileNotFoundError`` when none is saved."""
    meta = json.loads((folder / CONFIG_FILE).read_text())
    meta.pop("architecture", None)
    config = LRURecConfig(**meta.pop("config"))
    vocabulary = meta.pop("vocabulary")
    model = LRURec(len(vocabulary), config) if config.members == 1 else \
        LRURecEnsemble(len(vocabulary), config)
    model.load_state_dict(torch.load(folder / "lrurec.pt", weights_only=True))
    model.eval()
    return model, vocabulary, meta
