"""How well, and how fast, chat messages are read: rules alone, the model alone, and the two
merged (what the app does), against the table in ``assets/request_cases.json``.

``python -m recommender benchmark --reading`` prints the numbers; nothing is asserted.
"""

from __future__ import annotations

import json
import statistics
import time

from recommender.conversation.reading import merge_model_reply, parse_rules, request_schema
from recommender.conversation.turn import request_model_call
from recommender.core.pipeline import Recommender
from recommender.settings import PROJECT_ROOT

__all__ = ["run_reading_benchmark", "load_cases"]

CASES_FILE = PROJECT_ROOT / "assets" / "request_cases.json"


def load_cases() -> dict:
    return json.loads(CASES_FILE.read_text(encoding="utf-8"))


def run_reading_benchmark(recommender: Recommender, domain: str = "movies") -> dict:
    """Exact-match rates (every field right) and seconds per message for each reader."""
    table = load_cases()
    res = recommender.domain(domain)
    genres = res.catalog.genres
    ask = request_model_call(recommender, res)
    exact = {"rules": 0, "model": 0, "merged": 0}
    invented = 0
    rules_s: list[float] = []
    model_s: list[float] = []
    for case in table["cases"]:
        message, expected = case["message"], case["expected"]
        clock = time.perf_counter()
        rules = parse_rules(message, genres, table["latest_year"])
        rules_s.append(time.perf_counter() - clock)
        clock = time.perf_counter()
        reply = ask(message, request_schema(genres))
        model_s.append(time.perf_counter() - clock)
        model_only = _model_reading(reply)
        merged = merge_model_reply(reply, message, rules, genres)
        exact["rules"] += rules.summary() == expected
        exact["model"] += _constraints_of(model_only) == _constraints_of_dict(expected)
        exact["merged"] += merged.summary() == expected
        invented += merged.summary() != rules.summary() and merged.summary() != expected
    n = len(table["cases"])
    return {
        "messages": n,
        "rules_exact": round(exact["rules"] / n, 3),
        "model_constraints_exact": round(exact["model"] / n, 3),
        "merged_exact": round(exact["merged"] / n, 3),
        "merged_wrong_where_rules_right": invented,
        "rules_ms_per_message": round(1000 * statistics.mean(rules_s), 2),
        "model_s_per_message": round(statistics.mean(model_s), 3),
        "model_s_p95": round(sorted(model_s)[int(0.95 * (n - 1))], 3),
    }


def _model_reading(reply: str) -> dict:
    try:
        data = json.loads(reply)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _constraints_of(data: dict) -> dict:
    """The model's own constraint fields, as the expected table names them."""
    out = {"include": data.get("wanted_genres") or [],
           "exclude": data.get("excluded_genres") or [],
           "year_min": data.get("year_min"), "year_max": data.get("year_max")}
    return {k: v for k, v in out.items() if v not in ([], None)}


def _constraints_of_dict(expected: dict) -> dict:
    return {k: v for k, v in expected.items() if k in ("include", "exclude", "year_min",
                                                        "year_max")}
