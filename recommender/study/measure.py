"""``python -m recommender study measure``: what the ``llm`` condition of a study would show,
measured before anyone takes part. Simulated participants, each typing the titles of one
held-out user's liked items (``evaluation.explanations.held_out_histories``: users kept out of
fine-tuning), go through the study's real path (join under ``llm``, consent, name titles) into
a log of their own; the study's export then reads the share of shown explanations that are
the model's text, as it would for real participants."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from recommender.errors import InputError
from recommender.study.config import Study
from recommender.study.export import participation
from recommender.study.log import EventLog
from recommender.study.session import StudyRunner

__all__ = ["measure_llm_condition"]


def measure_llm_condition(study: Study, recommender, typed: Sequence[str], log: Path) -> dict:
    """Run one round per text of ``typed`` under the ``llm`` condition, logging to ``log``
    (a new file), and return the participation row: shown explanations, the model's share."""
    if "llm" not in study.conditions:
        raise InputError(f"{study.source} has no llm condition to measure.")
    if log.exists():
        raise InputError(f"{log} exists; measure into a new log so no study's events are mixed.")
    simulated = replace(study, assignment="url", log=log)
    runner = StudyRunner(simulated, recommender, EventLog(log))
    refused = 0
    for text in typed:
        person = runner.join("llm")
        runner.consent(person.id)
        try:
            runner.submit_history(person.id, text)
        except InputError:
            refused += 1  # fewer titles found than the study asks for: a participant retypes
    events = EventLog(log).events()
    shown = [e for e in events if e.get("event") == "shown"]
    row = participation(events, study.conditions).set_index("condition").loc["llm"]
    lines = [{"typed": e["history_text"],
              "explanations": [i.get("explanation") for i in e.get("items", ())],
              "sources": [i.get("llm_explanation_source") for i in e.get("items", ())]}
             for e in shown]
    return {"participants": len(typed), "rounds_shown": len(shown), "refused": refused,
            "explanations_shown": sum(len(x["sources"]) for x in lines),
            "model_text_share": None if pd.isna(row["model_text_share"])
            else float(row["model_text_share"]), "log": str(log), "rounds": lines}
