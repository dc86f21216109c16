"""PALR step 3, selection: the model picks from the candidates under a JSON schema that keeps it
inside the list (``select``), and the parser that keeps the model inside the candidate list, and the parser
that turns its answer into item ids (counting anything it would have had to reject).

The prompt numbers the candidates 1..N and the schema's ``picks`` items are an enum of exactly
those numbers, each standing for one candidate id. Numbers cost the model one or two tokens
where a catalog id costs up to six, and on two CPU cores the candidate list is most of the
prompt, so this keeps a turn within its time budget without loosening the guarantee.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from recommender.catalog import Catalog
from recommender.core.facts import short_title
from recommender.models.prompting import PromptConversation
from recommender.models.prompts import render

__all__ = ["Selection", "select", "selection_schema", "parse_selection", "candidate_line",
           "fuse_ranking"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Selection:
    """Chosen ids (in the model's order, topped up from retrieval order) and what went wrong."""

    item_ids: tuple[str, ...]
    from_model: int
    out_of_candidates: int = 0
    duplicates: int = 0
    error: str | None = None


def selection_schema(candidates: int, count: int) -> dict:
    """JSON schema: ``{"picks": [...]}``, exactly ``count`` numbers from 1 to ``candidates``."""
    return {
        "type": "object",
        "properties": {
            "picks": {
                "type": "array",
                "items": {"type": "integer", "enum": list(range(1, candidates + 1))},
                "minItems": count,
                "maxItems": count,
            }
        },
        "required": ["picks"],
    }


def candidate_line(number: int, label: str, facts: str) -> str:
    """One numbered candidate as the selection prompt shows it."""
    return f"{number}. {label}" + (f": {facts}" if facts else "")


def parse_selection(text: str, candidate_ids: Sequence[str], count: int) -> Selection:
    """Read the model's JSON; keep in-list, first-seen picks; fill up in retrieval order."""
    try:
        raw = json.loads(text)["picks"]
        if not isinstance(raw, list):
            raise TypeError("'picks' is not a list")
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        return Selection(tuple(candidate_ids[:count]), 0, error=f"unreadable selection: {exc}")
    chosen: list[str] = []
    outside = repeats = 0
    for value in raw:
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if number is None or not 1 <= number <= len(candidate_ids):
            outside += 1
            continue
        item_id = candidate_ids[number - 1]
        if item_id in chosen:
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


def fuse_ranking(candidates: Sequence[str], llm_order: Sequence[str],
                 llm_weight: float) -> list[str]:
    """Every candidate, ordered by ``llm_weight`` · LLM score + (1 - ``llm_weight``) · retrieval
    score. The retrieval score of the candidate at rank r (from 0) of n is (n - r) / n; the LLM
    score of its pick at position p (from 0) of m is (m - p) / m, and 0 when not picked. Weight 1
    is the LLM's order followed by retrieval order; weight 0 is retrieval order."""
    n, m = len(candidates), len(llm_order)
    llm = {item_id: (m - p) / m for p, item_id in enumerate(llm_order)}
    scores = {item_id: llm_weight * llm.get(item_id, 0.0) + (1 - llm_weight) * (n - r) / n
              for r, item_id in enumerate(candidates)}
    return sorted(candidates, key=lambda item_id: -scores[item_id])


def select(chat: PromptConversation, catalog: Catalog, candidates: Sequence[str],
           count: int) -> Selection:
    """The model's ``count`` picks from ``candidates``, in its order; retrieval order when the
    model has failed this turn or fails now. The exchange is kept in ``chat``."""
    if chat.model.failed:
        return Selection(tuple(candidates[:count]), 0, error="model unavailable")
    # Titles only: llama.cpp's tokenizer spends a token per digit, so a year costs six tokens
    # and 20 of them most of a second on two cores; the facts come with the explanations.
    lines = [candidate_line(number, short_title(catalog.get(item_id)), "")
             for number, item_id in enumerate(candidates, 1)]
    request = render("select", candidates="\n".join(lines), count=count)
    text = "".join(chat.ask("selection", request, 16 + 4 * count,
                            json_schema=selection_schema(len(candidates), count)))
    if chat.model.failed:
        return Selection(tuple(candidates[:count]), 0, error=f"model error: {chat.model.error}")
    selection = parse_selection(text, candidates, count)
    if selection.error:
        log.warning("%s; model said %r", selection.error, text[:200])
    chat.extend(request, text)
    return selection
