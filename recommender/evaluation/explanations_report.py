"""The ``explanations`` measurement as Markdown (``--report FILE.md``): per catalog a table of
base against tuned, each model's most frequent openings, the profiles, and a number of the
same picks side by side (what each model's turn showed for the same history and pick)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

__all__ = ["explanations_markdown", "side_by_side", "write_explanations_report"]

_META = ("adapter", "part", "history", "other")


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ").strip()


def _shown(line: Mapping) -> str:
    """What the user saw, with the mark the chat puts on a replaced line."""
    note = " *(from catalog facts)*" if line.get("replaced_because") else ""
    return _cell(line["shown"]) + note


def side_by_side(rows: Mapping[str, Mapping], count: int,
                 before: str = "base", after: str = "tuned") -> list[dict]:
    """Up to ``count`` pairs of the two models' lines for the same history and pick, in the
    order measured. Picks come from retrieval, so both models' turns show the same ones."""
    theirs = {(tuple(line["history"]), line["pick"]): line for line in rows[after]["lines"]}
    pairs = []
    for line in rows[before]["lines"]:
        if len(pairs) >= count:
            break
        other = theirs.get((tuple(line["history"]), line["pick"]))
        if other is not None:
            pairs.append({"history": line["history"], "pick": line["pick"],
                          before: line, after: other})
    return pairs


def _summary(rows: Mapping[str, Mapping]) -> list[str]:
    out = ["| model | explanations shown | kept from the model | kept naming a shared fact | "
           "distinct-2 | profiles kept from the model | seconds a turn |",
           "|---|---|---|---|---|---|---|"]
    for name, row in rows.items():
        out.append(f"| {name} | {row['shown']} | {row['kept_from_model']:.1%} | "
                   f"{row['kept_naming_a_shared_fact']:.1%} | {row['distinct_2']} | "
                   f"{row['profiles_from_model']:.1%} of {row['turns']} | "
                   f"{row['seconds_per_turn']} |")
    return out


def _sizes(history) -> str:
    """"3" or "2 to 5" from a report's ``history`` setting (a number or a [low, high] pair)."""
    if isinstance(history, (list, tuple)) and len(history) == 2 and history[0] != history[1]:
        return f"{history[0]} to {history[1]}"
    if isinstance(history, (list, tuple)) and history:
        return str(history[0])
    return str(history) if history else "3"


def _quality(rows: Mapping[str, Mapping]) -> list[str]:
    """Issue 35's measures of the lines shown (``explanation_quality``)."""
    out = ["| model | only genre, year or type | a distinctive shared fact | distinct-2, "
           "titles out | most common opening | from the model | ungrounded shown |",
           "|---|---|---|---|---|---|---|"]
    for name, row in rows.items():
        q = row.get("quality") or {}
        if not q.get("lines"):
            continue
        out.append(f"| {name} | {q['only_broad']:.1%} | {q['distinctive_shared']:.1%} | "
                   f"{q['distinct_2_untitled']} | “{_cell(q['top_opening'])}” "
                   f"{q['top_opening_share']:.1%} | {q['kept_from_model']:.1%} | "
                   f"{q['ungrounded_shown']} |")
    return out


def _openings(rows: Mapping[str, Mapping]) -> list[str]:
    out = []
    for name, row in rows.items():
        shown = ", ".join(f"“{_cell(o)}” {n}" for o, n in row["openings"]) or "none kept"
        reasons = ", ".join(f"{r} {n}" for r, n in row["replaced"].items()) or "none"
        out += [f"- **{name}**, the 10 most frequent openings of its kept lines after “Like X, "
                f"Y”: {shown}.",
                f"  Replaced: {reasons}."]
    return out


def explanations_markdown(report: Mapping, side: int = 20, profiles: int = 5,
                          command: str = "") -> str:
    lines = [f"# Explanations shown, base model against the adapter ({report['part']} half)",
             "", f"Adapter: `{report['adapter']}`." + (f" Command: `{command}`." if command else ""),
             f"The same histories ({_sizes(report.get('history'))} liked training items of users "
             "kept out of fine-tuning) "
             "and the same retrieved picks for both models. *(from catalog facts)* marks a line "
             "the grounding checker replaced, as the chat does."]
    for domain, rows in report.items():
        if domain in _META:
            continue
        names = list(rows)
        lines += ["", f"## {domain}", "", *_summary(rows), "", *_quality(rows), "",
                  *_openings(rows)]
        if len(names) >= 2:
            before, after = names[:2]
            lines += ["", f"### {side} picks side by side", "",
                      f"| history | pick | {before} | {after} |", "|---|---|---|---|"]
            for pair in side_by_side(rows, side, before, after):
                lines.append(f"| {_cell('; '.join(pair['history']))} | {_cell(pair['pick'])} | "
                             f"{_shown(pair[before])} | {_shown(pair[after])} |")
            lines += ["", f"### {profiles} profiles side by side", "",
                      f"| history | {before} | {after} |", "|---|---|---|"]
            for one, two in list(zip(rows[before]["profile_lines"],
                                     rows[after]["profile_lines"]))[:profiles]:
                lines.append(f"| {_cell('; '.join(one['history']))} | {_shown(one)} | "
                             f"{_shown(two)} |")
    return "\n".join(lines) + "\n"


def write_explanations_report(report: Mapping, path: Path, command: str = "",
                              side: int = 20) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(explanations_markdown(report, side=side, command=command), encoding="utf-8")
    return path

