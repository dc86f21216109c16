"""SASRec (Kang and McAuley, ICDM 2018): a causal self-attention model of item sequences.

Why SASRec: it is the field's standard sequential baseline, the row every paper we compare with
(LlamaRec, PALR, LRURec) reports, and small enough to train on two CPU cores. It is written here
in PyTorch (already installed for sentence-transformers) rather than taken from RecBole, whose
pinned dependencies conflict with ours.

Training uses cross-entropy at every position: over all items (``negatives=0``, the default
for both data sets, affordable at their 10-12 thousand items because only real positions are
scored), or over a shared set of sampled negatives. Either converges in far fewer epochs than the
original one-negative binary loss (see gSASRec, Petrov and Macdonald, RecSys 2023). The user vector is the last position's hidden
state; an item's score is its dot product with that vector, so item embeddings can live in a
vector index and be queried by embedding.
"""

from __future__ import annotations

import io
import json
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from recommender.collaborative.artifacts import write_atomically
from recommender.collaborative.next_item import (
    EpochCallback,
    pad_left,
    train_next_item,
    training_windows,
)
from recommender.collaborative.sasrec_numpy import WEIGHTS_FILE

__all__ = ["SASRecConfig", "SASRec", "train_sasrec", "training_windows", "save_model", "load_model", "pad_left",
           "write_atomically"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SASRecConfig:
    max_len: int = 50
    """Most recent items the model reads."""
    dim: int = 64
    """Embedding and hidden size."""
    blocks: int = 2
    """Self-attention blocks."""
    heads: int = 1
    dropout: float = 0.2
    epochs: int = 20
    batch_size: int = 128
    negatives: int = 0
    """Sampled negatives shared by a batch; 0: full softmax over every item."""
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    """Decoupled weight decay (AdamW); 0: plain Adam."""
    seed: int = 0


class SASRec(nn.Module):
    """Item ids 1..n (0 pads)."""

    def __init__(self, items: int, config: SASRecConfig) -> None:
        super().__init__()
        self.config = config
        self.items = nn.Embedding(items + 1, config.dim, padding_idx=0)
        self.positions = nn.Embedding(config.max_len, config.dim)
        layer = nn.TransformerEncoderLayer(config.dim, config.heads, config.dim, config.dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, config.blocks, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(config.dim)
        self.dropout = nn.Dropout(config.dropout)
        nn.init.normal_(self.items.weight, std=config.dim ** -0.5)

    def forward(self, sequences: torch.Tensor) -> torch.Tensor:
        """Hidden state at every position: (batch, length, dim).

        Sequences are left-padded and may be shorter than ``max_len``: positions count back
        from the newest item, which is always at position ``max_len - 1``, so a batch trimmed
        to its longest row gives the same result as one padded to ``max_len``."""
        length = sequences.shape[1]
        positions = torch.arange(self.config.max_len - length, self.config.max_len,
                                 device=sequences.device)
        x = self.items(sequences) * math.sqrt(self.config.dim) + self.positions(positions)
        x = self.dropout(x)
        x = self.encoder(x, mask=self._attention_mask(sequences))
        return self.norm(x)

    def _attention_mask(self, sequences: torch.Tensor) -> torch.Tensor:
        """True where a position may not look: later positions and padding, except itself.

        Letting every position see itself keeps a padded position from having nothing to attend
        to. PyTorch's inference path answers such a row with NaN, which then reaches real
        positions through the next layer's values (it did with two heads). Real positions see
        exactly what a causal mask with key padding shows them."""
        length = sequences.shape[1]
        later = torch.triu(torch.ones(length, length, dtype=torch.bool,
                                      device=sequences.device), diagonal=1)
        padding = (sequences == 0)[:, None, :]                            # (B, 1, L)
        itself = torch.eye(length, dtype=torch.bool, device=sequences.device)
        blocked = (later | padding) & ~itself                              # (B, L, L)
        return blocked.repeat_interleave(self.config.heads, dim=0)

    @torch.no_grad()
    def user_vectors(self, sequences: torch.Tensor) -> torch.Tensor:
        """The last position's hidden state for left-padded sequences: (batch, dim)."""
        return self.forward(sequences)[:, -1, :]

    def scores(self, vectors: torch.Tensor) -> torch.Tensor:
        """Every item's score (padding at column 0) for these user vectors."""
        return vectors @ self.items.weight.T


def train_sasrec(sequences: Sequence[Sequence[int]], items: int, config: SASRecConfig,
                 progress: bool = True, on_epoch: EpochCallback | None = None,
                 device: str = "cpu") -> SASRec:
    """Fit on id sequences (ids 1..items, oldest first); each predicts its next item at every
    position. Sequences longer than ``max_len`` are cut into windows (``training_windows``)."""
    torch.manual_seed(config.seed)
    model = SASRec(items, config).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, betas=(0.9, 0.98),
                                  weight_decay=config.weight_decay)

    def loss(model: SASRec, inputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return _loss(model, inputs, targets, items, config.negatives)

    return train_next_item(model, sequences, max_len=config.max_len, epochs=config.epochs,
                           batch_size=config.batch_size, seed=config.seed, optimizer=optimizer,
                           loss=loss, name="SASRec", progress=progress, on_epoch=on_epoch,
                           device=device)


def _loss(model: SASRec, inputs: torch.Tensor, targets: torch.Tensor, items: int,
          negatives: int) -> torch.Tensor:
    hidden = model(inputs)                                  # (B, L, D)
    mask = targets > 0
    hidden, positives = hidden[mask], targets[mask]         # (N, D), (N,)
    if negatives <= 0:  # full softmax over every item
        logits = hidden @ model.items.weight[1:].T
        return nn.functional.cross_entropy(logits, positives - 1)
    sampled = torch.randint(1, items + 1, (negatives,))
    positive = (hidden * model.items(positives)).sum(-1, keepdim=True)      # (N, 1)
    negative = hidden @ model.items(sampled).T                              # (N, K), shared
    negative = negative.masked_fill(sampled.unsqueeze(0) == positives.unsqueeze(1), float("-inf"))
    logits = torch.cat([positive, negative], dim=1)
    return nn.functional.cross_entropy(logits, torch.zeros(len(positives), dtype=torch.long))


def save_model(model: SASRec, vocabulary: Sequence[str], folder: Path, meta: Mapping) -> None:
    """Weights, config, the id vocabulary (position = model id - 1) and training facts. Each
    file is replaced whole, so an interrupted save leaves the previous model readable."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    write_atomically(folder / "sasrec.pt", buffer.getvalue())
    export_numpy(model, folder)
    write_atomically(folder / "sasrec.json", json.dumps(
        {"config": asdict(model.config), "vocabulary": list(vocabulary), **meta},
        indent=1).encode())


def export_numpy(model: SASRec, folder: Path) -> None:
    """The weights as numpy arrays (``sasrec_numpy.WEIGHTS_FILE``), which the app serves from
    without torch (``sasrec_numpy.SASRecNumpy``)."""
    buffer = io.BytesIO()
    np.savez(buffer, **{name: value.detach().cpu().numpy()
                        for name, value in model.state_dict().items()})
    write_atomically(folder / WEIGHTS_FILE, buffer.getvalue())


def load_model(folder: Path) -> tuple[SASRec, list[str], dict]:
    """A saved model, its vocabulary and metadata; ``FileNotFoundError`` when none is saved."""
    meta = json.loads((folder / "sasrec.json").read_text())
    config = SASRecConfig(**meta.pop("config"))
    vocabulary = meta.pop("vocabulary")
    model = SASRec(len(vocabulary), config)
    model.load_state_dict(torch.load(folder / "sasrec.pt", weights_only=True))
    model.eval()
    return model, vocabulary, meta
