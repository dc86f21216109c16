"""From the event log to analysis: one tidy row per rating, a summary per condition and
question with 95% intervals, and a plot of it.

The unit of analysis is the participant: a participant's ratings of one question are averaged
first, and the interval is a percentile bootstrap over those participant means, so a
participant who rated many items does not count as many independent observations."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from recommender.evaluation.metrics import bootstrap_ci

from .config import Study

__all__ = ["RATING_COLUMNS", "rating_rows", "comment_rows", "summarize", "participation",
           "plot_summary", "study_tables", "write_tables", "export_study", "StudyTables",
           "ExportFiles"]

RATING_COLUMNS = ["participant", "condition", "round", "scope", "position", "item_id", "title",
                  "question", "aim", "value", "points", "explanation", "llm_explanation_source",
                  "model", "prompt_version", "time"]


def rating_rows(events: Iterable[dict], study: Study) -> pd.DataFrame:
    """One row per rating (``scope`` ``item``: of one recommendation; ``round``: of the set)."""
    questions = {q.id: q for q in study.questions}
    joined: dict[str, dict] = {}
    shown: dict[tuple[str, int], dict] = {}
    rows = []
    for event in events:
        kind, pid = event.get("event"), event.get("participant")
        if kind == "joined":
            joined[pid] = event
        elif kind == "shown":
            shown[(pid, event["round"])] = event
        elif kind == "rated":
            about = joined.get(pid, {})
            seen = shown.get((pid, event["round"]), {})
            items = {i["item_id"]: i for i in seen.get("items", [])}
            base = {"participant": pid, "condition": event["condition"],
                    "round": event["round"], "model": about.get("model"),
                    "prompt_version": about.get("prompt_version"), "time": event["time"]}
            for rating in event["ratings"]:
                item = items.get(rating["item_id"], {})
                rows.append({**base, "scope": "item", "position": rating["position"],
                             "item_id": rating["item_id"], "title": item.get("title"),
                             "explanation": item.get("explanation"),
                             "llm_explanation_source": item.get("llm_explanation_source"),
                             **_question(rating, questions)})
            for rating in event["round_ratings"]:
                rows.append({**base, "scope": "round", "position": None, "item_id": None,
                             "title": None, "explanation": None,
                             "llm_explanation_source": None, **_question(rating, questions)})
    frame = pd.DataFrame(rows, columns=RATING_COLUMNS)
    return frame.astype({"round": "Int64", "position": "Int64", "value": "Int64",
                         "points": "Int64"})


def _question(rating: dict, questions: dict) -> dict:
    question = questions.get(rating["question"])
    return {"question": rating["question"], "aim": question.aim if question else None,
            "value": rating["value"], "points": question.points if question else None}


def comment_rows(events: Iterable[dict]) -> pd.DataFrame:
    """The free-text comments, one row per non-empty one."""
    rows = [{"participant": e["participant"], "condition": e["condition"], "round": e["round"],
             "comment": e["comment"], "time": e["time"]}
            for e in events if e.get("event") == "rated" and e.get("comment")]
    return pd.DataFrame(rows, columns=["participant", "condition", "round", "comment", "time"])


def participation(events: Iterable[dict], conditions: Sequence[str]) -> pd.DataFrame:
    """Participants per condition (joined, consented, completed), and for the ``llm``
    condition the share of the explanations shown that the model wrote (``model_text_share``;
    the rest were catalog-fact sentences standing in for model text the check refused)."""
    condition_of: dict[str, str] = {}
    counts = {c: {"joined": 0, "consented": 0, "completed": 0} for c in conditions}
    shown = written = 0
    for event in events:
        kind, pid = event.get("event"), event.get("participant")
        if kind == "joined":
            condition_of[pid] = event["condition"]
            counts.setdefault(event["condition"], {"joined": 0, "consented": 0, "completed": 0})
        if kind in ("joined", "consented", "completed") and pid in condition_of:
            counts[condition_of[pid]][kind] += 1
        if kind == "shown" and event.get("condition") == "llm":
            sources = [i.get("llm_explanation_source") for i in event.get("items", ())]
            shown, written = shown + len(sources), written + sources.count("llm")
    frame = pd.DataFrame.from_dict(counts, orient="index")
    frame.index.name = "condition"
    frame["model_text_share"] = [round(written / shown, 3) if c == "llm" and shown else None
                                 for c in frame.index]
    return frame.reset_index()


def summarize(ratings: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """Mean rating per question and condition over participant means, with a 95% interval."""
    rows = []
    if ratings.empty:
        return pd.DataFrame(columns=["question", "aim", "scope", "condition", "participants",
                                     "ratings", "mean", "ci_low", "ci_high"])
    for (question, condition), group in ratings.groupby(["question", "condition"], sort=False):
        per_person = group.groupby("participant")["value"].mean().astype(float).tolist()
        low, high = bootstrap_ci(per_person, seed=seed)
        rows.append({"question": question, "aim": group["aim"].iloc[0],
                     "scope": group["scope"].iloc[0], "condition": condition,
                     "participants": len(per_person), "ratings": len(group),
                     "mean": round(sum(per_person) / len(per_person), 3),
                     "ci_low": round(low, 3), "ci_high": round(high, 3)})
    return pd.DataFrame(rows)


def plot_summary(summary: pd.DataFrame, conditions: Sequence[str], path: Path,
                 title: str, points: int = 7) -> None:
    """Mean rating per question, one bar per condition, with 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    questions = list(dict.fromkeys(summary["question"])) if not summary.empty else []
    fig, ax = plt.subplots(figsize=(max(6.0, 1.6 * len(questions) + 2), 4.2), dpi=120)
    width = 0.8 / max(1, len(conditions))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for n, condition in enumerate(conditions):
        part = summary[summary["condition"] == condition].set_index("question")
        xs, means, errors = [], [], [[], []]
        for x, question in enumerate(questions):
            if question in part.index:
                row = part.loc[question]
                xs.append(x + (n - (len(conditions) - 1) / 2) * width)
                means.append(row["mean"])
                errors[0].append(row["mean"] - row["ci_low"])
                errors[1].append(row["ci_high"] - row["mean"])
        ax.bar(xs, means, width, yerr=errors, capsize=3, label=condition,
               color=colours[n % len(colours)])
    ax.set_xticks(range(len(questions)), questions, rotation=20, ha="right")
    ax.set_ylabel("mean rating, 95% interval")
    ax.set_ylim(1, points)
    ax.set_title(title, pad=24)
    # handles of their own: a condition with no ratings yet draws no bar to take a colour from
    handles = [Patch(color=colours[n % len(colours)], label=condition)
               for n, condition in enumerate(conditions)]
    ax.legend(handles=handles, fontsize=8, frameon=False, ncols=len(conditions),
              loc="lower center", bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@dataclass(frozen=True)
class StudyTables:
    """Everything an analysis starts from, as data frames."""

    ratings: pd.DataFrame
    comments: pd.DataFrame
    summary: pd.DataFrame
    participation: pd.DataFrame


@dataclass(frozen=True)
class ExportFiles:
    ratings: Path
    comments: Path
    summary: Path
    participation: Path
    plot: Path


def study_tables(study: Study, events: list[dict]) -> StudyTables:
    """The ratings, comments, summary and participation of a study's events."""
    ratings = rating_rows(events, study)
    return StudyTables(ratings, comment_rows(events), summarize(ratings, seed=study.seed),
                       participation(events, study.conditions))


def write_tables(tables: StudyTables, study: Study, out: Path) -> ExportFiles:
    """Write the ratings to ``out`` and, beside it, the comments, the summary, participation
    per condition and the plot."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    stem = out.with_suffix("")
    files = ExportFiles(out, Path(f"{stem}-comments.csv"), Path(f"{stem}-summary.csv"),
                        Path(f"{stem}-participation.csv"), Path(f"{stem}-summary.png"))
    tables.ratings.to_csv(files.ratings, index=False)
    tables.comments.to_csv(files.comments, index=False)
    tables.summary.to_csv(files.summary, index=False)
    tables.participation.to_csv(files.participation, index=False)
    plot_summary(tables.summary, study.conditions, files.plot, study.title, study.most_points)
    return files


def export_study(study: Study, events: list[dict], out: Path) -> ExportFiles:
    """``python -m recommender study export``: every table of the events, written at ``out``."""
    return write_tables(study_tables(study, events), study, out)
