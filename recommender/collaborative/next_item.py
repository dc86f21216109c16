"""Training a next-item model on id sequences, whatever its architecture (``sasrec``,
``lrurec``): each sequence, oldest first, predicts its next item at every position.

Sequences longer than the model reads are cut into windows (``training_windows``), rows of
similar length are batched together and each batch is trimmed to its longest row
(``length_batches``), so padding costs little on data sets of short sequences (Beauty)."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

import torch
from torch import nn
from tqdm import tqdm

__all__ = ["pad_left", "training_windows", "length_batches", "train_next_item"]


def pad_left(items: Sequence[int], length: int) -> list[int]:
    """The newest ``length`` items, left-padded with 0 to ``length``."""
    items = list(items)[-length:]
    return [0] * (length - len(items)) + items


def training_windows(sequences: Sequence[Sequence[int]], max_len: int) -> list[list[int]]:
    """Every sequence cut into windows of at most ``max_len + 1`` items, newest first, with one
    item of overlap so that every interaction after the first is a target exactly once. A
    MovieLens user with 2,000 ratings then teaches the model about all of them, not only the
    last ``max_len``."""
    windows = []
    for sequence in sequences:
        end = len(sequence)
        while end >= 2:
            windows.append(list(sequence[max(0, end - max_len - 1) : end]))
            end -= max_len
    return windows


def length_batches(lengths: Sequence[int], batch_size: int,
                   rng: random.Random) -> list[list[int]]:
    """Shuffled batches of rows of similar length, so that padding costs little: rows are
    shuffled, sorted by length within pools of 50 batches, cut into batches, and the batches
    shuffled again."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda row: lengths[row])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


Loss = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
"""(model, inputs, targets) → the batch's loss; both (batch, width), 0 where padded."""
EpochCallback = Callable[[nn.Module, int], None]
"""Called after each epoch with the model (in eval mode) and the epoch number (1-based)."""


def train_next_item(model: nn.Module, sequences: Sequence[Sequence[int]], *, max_len: int,
                    epochs: int, batch_size: int, seed: int,
                    optimizer: torch.optim.Optimizer, loss: Loss, name: str,
                    max_grad_norm: float | None = None, progress: bool = True,
                    on_epoch: EpochCallback | None = None, device: str = "cpu") -> nn.Module:
    """Fit ``model`` (already on ``device``) for ``epochs`` passes; returns it on the CPU, in
    eval mode. ``max_grad_norm`` clips the gradients' norm when set."""
    rng = random.Random(seed)
    rows = training_windows(sequences, max_len)
    lengths = [len(r) - 1 for r in rows]
    inputs = torch.tensor([pad_left(s[:-1], max_len) for s in rows], dtype=torch.long)
    targets = torch.tensor([pad_left(s[1:], max_len) for s in rows], dtype=torch.long)
    steps = math.ceil(len(rows) / batch_size) * epochs
    bar = tqdm(total=steps, desc=f"Training {name}", unit="batch", disable=not progress)
    for epoch in range(epochs):
        model.train()
        batches = length_batches(lengths, batch_size, rng)
        total = 0.0
        for rows_in_batch in batches:
            batch = torch.tensor(rows_in_batch)
            width = max(lengths[row] for row in rows_in_batch)
            value = loss(model, inputs[batch, -width:].to(device),
                         targets[batch, -width:].to(device))
            optimizer.zero_grad()
            value.backward()
            if max_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            optimizer.step()
            total += value.item()
            bar.update(1)
        bar.set_postfix(epoch=epoch + 1, loss=f"{total / max(1, len(batches)):.3f}")
        if on_epoch is not None:
            model.eval()
            on_epoch(model, epoch + 1)
    bar.close()
    model.eval()
    return model.cpu()
