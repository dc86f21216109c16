"""Typed lists with one obvious taste, run through the whole conversational turn as a person
types them (``assets/taste_lists.json``): does the first answer have picks, and do at least
four of the first five carry the taste? The goal: 10 of every 12 lists, and picks for every
product list."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from recommender.catalog import Catalog
from recommender.conversation.state import ConversationState
from recommender.conversation.turn import answer
from recommender.core.pipeline import Recommender
from recommender.evaluation.typed import FIRST, facets
from recommender.settings import PROJECT_ROOT

__all__ = ["TASTE_LISTS", "TasteList", "load_taste_lists", "run_taste_lists", "taste_summary",
           "CARRIED"]

TASTE_LISTS = PROJECT_ROOT / "assets" / "taste_lists.json"
CARRIED = 4
"""Picks of the first five that must carry the taste for a list to count."""


@dataclass(frozen=True)
class TasteList:
    domain: str
    message: str
    taste: str | None
    """A genre or product type; ``None``: the list only has to get picks."""


def load_taste_lists(part: str, path: Path = TASTE_LISTS) -> list[TasteList]:
    """The ``validation`` or ``held_out`` lists."""
    rows = json.loads(path.read_text(encoding="utf-8"))[part]
    return [TasteList(r["domain"], r["message"], r["taste"]) for r in rows]


def run_taste_lists(recommender: Recommender, lists: Sequence[TasteList]) -> dict:
    """Per list: what was linked, asked and picked, and how many picks carry the taste; and
    the summary counts."""
    rows = []
    for case in lists:
        state = ConversationState(domain=case.domain)
        result = answer(recommender, state, case.message, case.domain)
        catalog = recommender.domain(case.domain).catalog
        picks = [r.item_id for r in result.recommendations]
        rows.append({"domain": case.domain, "message": case.message, "taste": case.taste,
                     "linked": [catalog.get(i).label for i in result.state.liked],
                     "questions": len(result.questions),
                     "picks": [catalog.get(i).label for i in picks],
                     "carried": _carried(picks[:FIRST], case.taste, catalog)})
    tasted = [r for r in rows if r["taste"] is not None]
    products = [r for r in rows if r["domain"] != "movies"]
    return {"lists": rows,
            "taste_lists": len(tasted),
            "taste_met": sum(r["carried"] >= CARRIED for r in tasted),
            "product_lists": len(products),
            "product_lists_with_picks": sum(bool(r["picks"]) for r in products)}


def _carried(picks: Sequence[str], taste: str | None, catalog: Catalog) -> int:
    if taste is None:
        return 0
    return sum(taste in facets(catalog.get(i), catalog.kind) for i in picks)


def taste_summary(report: dict) -> str:
    """A short text of the report, one line per list."""
    lines = []
    for row in report["lists"]:
        mark = "" if row["taste"] is None else f"{row['carried']}/{FIRST} {row['taste']}"
        lines.append(f"[{mark or 'picks only'}] {row['message']}\n    linked: "
                     f"{'; '.join(row['linked']) or '-'}" +
                     (f" ({row['questions']} questions)" if row["questions"] else "") +
                     f"\n    picks: {'; '.join(row['picks']) or 'NONE'}")
    lines.append(f"taste in >= {CARRIED} of {FIRST}: {report['taste_met']} of "
                 f"{report['taste_lists']} lists; product lists with picks: "
                 f"{report['product_lists_with_picks']} of {report['product_lists']}")
    return "\n".join(lines)
