"""The explanation audit: a person's labels on a sample of the model's explanation lines, and how
well the grounding checker agrees with them (issue 16, part 4).

``sample_lines`` draws the lines to label from ``python -m recommender explanations --json``
output (each model, each catalog); a person fills in ``grounded``, ``relevant`` and ``fluent``
(``y`` or ``n``) by reading them; ``checker_agreement`` scores the checker against those labels.
A line is *acceptable* when it is grounded (every claim true of the pick) and relevant (it names
something the pick really shares with the title it names); the checker *keeps* a line when the
app showed it.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

__all__ = ["FIELDS", "READING_FIELDS", "sample_lines", "sample_shown", "write_sample",
           "read_labels", "checker_agreement", "reading_shares"]

FIELDS = ("id", "catalog", "model", "history", "pick", "anchor", "model_text", "checker",
          "replaced_because", "grounded", "relevant", "fluent", "informative")
"""``informative`` (issue 35): the line tells something about the pair beyond a genre, a year
or a product type. Optional in a file labelled before it existed."""

READING_FIELDS = ("id", "catalog", "model", "history", "pick", "anchor", "shown", "source",
                  "informative", "true", "fluent")
"""A person's reading of the lines a turn showed (from the model or from catalog facts):
informative (beyond genre, year or type), true (of the pick and, where said to be shared, of
the title named), fluent."""


def _sampled(report: Mapping, per_group: int, seed: int,
             keep=lambda line: True) -> Iterator[tuple[str, str, Mapping]]:
    """(catalog, model, line) for ``per_group`` of each (catalog, model)'s lines that
    ``keep``, drawn with ``seed``."""
    rng = random.Random(seed)
    for catalog, models in report.items():
        if not isinstance(models, Mapping):
            continue
        for model, measured in models.items():
            lines = [line for line in measured["lines"] if keep(line)]
            for line in rng.sample(lines, min(per_group, len(lines))):
                yield catalog, model, line


def sample_lines(report: Mapping, per_group: int, seed: int = 0) -> list[dict]:
    """``per_group`` lines with model text for each (catalog, model) of ``report``."""
    return [{"id": n, "catalog": catalog, "model": model,
             "history": " | ".join(line["history"]), "pick": line["pick"],
             "anchor": line["anchor"], "model_text": line["model_text"],
             "checker": "replaced" if line["replaced_because"] else "kept",
             "replaced_because": line["replaced_because"] or "",
             "grounded": "", "relevant": "", "fluent": "", "informative": ""}
            for n, (catalog, model, line) in enumerate(
                _sampled(report, per_group, seed, lambda line: bool(line["model_text"])), 1)]


def sample_shown(report: Mapping, per_group: int, seed: int = 0, start: int = 1) -> list[dict]:
    """``per_group`` of the lines each (catalog, model) of ``report`` showed, for a person's
    reading (``READING_FIELDS``); ids from ``start`` on."""
    return [{"id": n, "catalog": catalog, "model": model,
             "history": " | ".join(line["history"]), "pick": line["pick"],
             "anchor": line["anchor"], "shown": line["shown"],
             "source": "catalog facts" if line["replaced_because"] else "model",
             "informative": "", "true": "", "fluent": ""}
            for n, (catalog, model, line) in enumerate(_sampled(report, per_group, seed),
                                                       start)]


def reading_shares(rows: Sequence[Mapping]) -> dict:
    """Per (catalog, model): lines read, and the share labelled informative, true, fluent."""
    out = {}
    for key in dict.fromkeys((r["catalog"], r["model"]) for r in rows):
        group = [r for r in rows if (r["catalog"], r["model"]) == key]
        out[f"{key[0]} {key[1]}"] = {"lines": len(group), **{
            label: round(sum(r[label] == "y" for r in group) / len(group), 3)
            for label in ("informative", "true", "fluent")}}
    return out


def write_sample(rows: Sequence[dict], path: Path, fields: Sequence[str] = FIELDS) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def read_labels(path: Path, labels: Sequence[str] = ("grounded", "relevant", "fluent"),
                optional: Sequence[str] = ("informative",)) -> list[dict]:
    """The labelled rows; a label other than ``y`` or ``n`` is an error naming the row (an
    ``optional`` one may also be missing or empty)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for label in labels:
            if row.get(label) not in ("y", "n"):
                raise ValueError(f"row {row['id']}: {label} is {row.get(label)!r}; write y or n")
        for label in optional:
            if row.get(label) not in (None, "", "y", "n"):
                raise ValueError(f"row {row['id']}: {label} is {row[label]!r}; write y or n")
    return rows


def checker_agreement(rows: Sequence[Mapping]) -> dict:
    """The checker's precision (kept lines that are acceptable) and recall (acceptable lines it
    kept), overall and per catalog, and each label's share per (catalog, model)."""
    def scores(subset: Sequence[Mapping]) -> dict:
        kept = [r for r in subset if r["checker"] == "kept"]
        good = [r for r in subset if _acceptable(r)]
        both = [r for r in kept if _acceptable(r)]
        return {"lines": len(subset), "kept": len(kept), "acceptable": len(good),
                "precision": round(len(both) / len(kept), 3) if kept else None,
                "recall": round(len(both) / len(good), 3) if good else None}

    out = {"all": scores(rows)}
    for catalog in dict.fromkeys(r["catalog"] for r in rows):
        out[catalog] = scores([r for r in rows if r["catalog"] == catalog])
    shares = {}
    for key in dict.fromkeys((r["catalog"], r["model"]) for r in rows):
        group = [r for r in rows if (r["catalog"], r["model"]) == key]
        shares[f"{key[0]} {key[1]}"] = {
            label: round(sum(r[label] == "y" for r in group) / len(group), 3)
            for label in ("grounded", "relevant", "fluent", "informative")
            if label != "informative" or all(r.get(label) for r in group)}
    out["labels"] = shares
    return out


def _acceptable(row: Mapping) -> bool:
    return row["grounded"] == "y" and row["relevant"] == "y"
