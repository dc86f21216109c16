"""Assigning participants to conditions: balanced random (permuted blocks) or by the link."""

from __future__ import annotations

import random
from collections.abc import Sequence

from ..errors import InputError

__all__ = ["balanced_condition", "condition_from_link"]


def balanced_condition(slot: int, conditions: Sequence[str], seed: int) -> str:
    """The condition of the ``slot``-th participant (0-based) under permuted-block
    randomisation: every block of ``len(conditions)`` participants holds each condition once,
    in an order drawn from ``seed`` and the block's number, so the sequence is reproducible
    and never more than one participant out of balance within a block."""
    if slot < 0:
        raise ValueError("slot must be 0 or more")
    block, place = divmod(slot, len(conditions))
    order = list(conditions)
    random.Random(f"{seed}:{block}").shuffle(order)
    return order[place]


def condition_from_link(value: str | None, conditions: Sequence[str]) -> str:
    """The condition a study link names (``?condition=...``), or an error the participant can
    act on."""
    if not value:
        raise InputError("This study link is missing its condition. Please open the exact link "
                         "you were given.")
    value = value.strip().lower()
    if value not in conditions:
        raise InputError("This study link names a condition the study does not have. Please "
                         "open the exact link you were given.")
    return value
