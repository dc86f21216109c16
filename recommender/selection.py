"""Selection: the JSON schema that keeps the model inside the candidate list, and the parser
that turns its answer into item ids (counting anything it would have had to reject)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Selection", "selection_schema", "parse_selection", "candidate_line"]


@dataclass(frozen=True)
class Selection:
    """Chosen ids (in the model's order, topped up from retrieval order) and what went wrong."""

    item_ids: tuple[str, ...]
    from_model: int
    out_of_candidates: int = 0
    duplicates: int = 0
    error: str | None = None


def selection_schema(candidate_ids: Sequence[str], count: int) -> dict:
    """JSON schema: ``{"ids": [...]}`` with exactly ``count`` ids, each one of the candidates."""
    return {
        "type": "object",
        "properties": {
            "ids": {
                "type": "array",
                "items": {"type": "string", "enum": list(candidate_ids)},
                "minItems": count,
                "maxItems": count,
            }
        },
        "required": ["ids"],
    }


def candidate_line(item_id: str, label: str, facts: str) -> str:
    """One candidate as the selection prompt shows it."""
    return f"[{item_id}] {label}" + (f": {facts}" if facts else "")


def parse_selection(text: str, candidate_ids: Sequence[str], count: int) -> Selection:
    """Read the model's JSON; keep in-list, first-seen ids; fill up in retrieval order."""
    try:
        data = json.loads(text)
        raw = data["ids"]
        if not isinstance(raw, list):
            raise TypeError("'ids' is not a list")
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        return Selection(tuple(candidate_ids[:count]), 0, error=f"unreadable selection: {exc}")
    allowed = set(candidate_ids)
    chosen: list[str] = []
    outside = repeats = 0
    for value in raw:
        item_id = str(value)
        if item_id not in allowed:
            outside += 1
        elif item_id in chosen:
            repeats += 1
        else:
            chosen.append(item_id)
    from_model = len(chosen[:count])
    for item_id in candidate_ids:
        if len(chosen) >= count:
            break
        if item_id not in chosen:
            chosen.append(item_id)
    return Selection(tuple(chosen[:count]), from_model, outside, repeats)
