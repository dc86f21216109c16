"""The evaluation report: a Markdown table (ours with intervals, published anchors beside), a
PNG plot of HR@10 per system with its interval, and the run's JSON."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["write_report", "markdown_table"]

_COLUMNS = ("HR@5", "HR@10", "NDCG@10", "HR@20", "NDCG@20", "MRR@20", "retrieval_recall@20",
            "retrieval_recall@50")
_CHECKS = ("out_of_candidate_rate", "duplicate_rate", "history_repeat_rate",
           "ungrounded_explanation_rate", "explanations_kept_rate")


def write_report(report: dict, path: Path, command: str) -> list[Path]:
    """``path`` (Markdown), and beside it ``.png`` and ``.json``; returns the paths written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plot, data = path.with_suffix(".png"), path.with_suffix(".json")
    data.write_text(json.dumps({**report, "command": command}, indent=1) + "\n")
    _plot(report, plot)
    path.write_text(_markdown(report, command, plot.name), encoding="utf-8")
    return [path, plot, data]


def markdown_table(report: dict) -> str:
    header = "| system | " + " | ".join(c.replace("retrieval_", "") for c in _COLUMNS) + \
             " | weight | s/user |"
    lines = [header, "|" + "---|" * (len(_COLUMNS) + 3)]
    for name, scores in report["systems"].items():
        cells = [_cell(scores.get(c)) for c in _COLUMNS]
        weight = scores.get("weight")
        lines.append(f"| {name} | " + " | ".join(cells) +
                     f" | {'' if weight is None else weight} | {_seconds(scores)} |")
    for name, scores in report["anchors"].items():
        cells = ["" for _ in _COLUMNS]
        cells[1], cells[2] = f"{scores['HR@10']:.4f}", f"{scores['NDCG@10']:.4f}"
        lines.append(f"| {name} (published) | " + " | ".join(cells) + " | | |")
    return "\n".join(lines)


def _checks_table(report: dict) -> str:
    rows = [(name, scores) for name, scores in report["systems"].items()
            if any(c in scores for c in _CHECKS)]
    if not rows:
        return ""
    lines = ["| system | " + " | ".join(c.replace("_", " ") for c in _CHECKS) + " |",
             "|" + "---|" * (len(_CHECKS) + 1)]
    for name, scores in rows:
        lines.append(f"| {name} | " + " | ".join(
            f"{scores[c]['mean']:.3f}" if c in scores else "n/a" for c in _CHECKS) + " |")
    return "\n".join(lines)


def _seconds(scores: dict) -> str:
    """Seconds per user run in this sitting; runs resumed from an earlier one are not timed."""
    seconds, resumed = scores.get("seconds_per_user"), scores.get("runs_resumed")
    if seconds is None:
        return "resumed"
    return f"{seconds} ({resumed} resumed)" if resumed else str(seconds)


def _cell(score: dict | None) -> str:
    if not score:
        return ""
    low, high = score["ci95"]
    return f"{score['mean']:.4f} [{low:.3f}, {high:.3f}]"


def _users_line(report: dict) -> str:
    if report.get("hybrid_weight_fixed") is not None and report.get("tune_on") == "validation":
        return (f"- Users: {report['users']} reported, drawn with seed {report['seed']}; "
                f"hybrid's weight fixed at {report['hybrid_weight_fixed']} (--hybrid-weight), "
                "so nothing was tuned")
    if report.get("tune_on") == "validation":
        return (f"- Users: {report['users']} reported, drawn with seed {report['seed']}; "
                f"fusion weights chosen on the validation items of all {report['tune_users']} "
                "users, with a model trained without them")
    return (f"- Users: {report['users']} reported and {report['tune_users']} more set apart to "
            f"choose fusion weights, drawn with seed {report['seed']}" +
            (f" (the LLM's weight on {report['llm_tune_users']} of them)"
             if "llm_tune_users" in report else ""))


def _markdown(report: dict, command: str, plot_name: str) -> str:
    parts = [
        f"# {report['dataset']}: {report['users']} of {report['of_users']} users",
        "",
        f"- Command: `python -m recommender {command}`",
        f"- Date: {report['date']}; machine: {report['machine']}",
        _users_line(report),
        f"- Protocol: {report['protocol']}",
    ]
    for key in ("retriever", "model"):
        if key in report:
            parts.append(f"- {key.capitalize()}: {report[key]}")
    if "sequence_model" in report:
        meta = report["sequence_model"]
        parts.append(f"- Sequence model ({meta.get('architecture')}): trained on "
                     f"{meta.get('users')} users in {meta.get('train_seconds')} s "
                     f"({meta.get('folder')})")
    if report.get("preparation", "full") != "full":
        parts.append(f"- Preparation: {report['preparation']}")
    parts += ["", markdown_table(report), "", f"![HR@10 per system]({plot_name})", ""]
    checks = _checks_table(report)
    if checks:
        parts += ["Checks of the LLM systems (share of picks or explanations per user):", "",
                  checks, ""]
    return "\n".join(parts)


def _plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(report["systems"])
    means = [report["systems"][n]["HR@10"]["mean"] for n in names]
    lows = [m - report["systems"][n]["HR@10"]["ci95"][0] for n, m in zip(names, means)]
    highs = [report["systems"][n]["HR@10"]["ci95"][1] - m for n, m in zip(names, means)]
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(names) + 1.8), dpi=120)
    ax.barh(names, means, xerr=[lows, highs], color="#4c72b0", capsize=3)
    ax.invert_yaxis()
    styles = ["--", ":", "-."]
    for (anchor, scores), style in zip(report["anchors"].items(), styles):
        ax.axvline(scores["HR@10"], color="#c44e52", linestyle=style, linewidth=1,
                   label=f"{anchor} (published) {scores['HR@10']:.4f}")
    ax.set_xlabel("HR@10 (95% bootstrap interval)")
    ax.set_title(f"{report['dataset']}: {report['users']} users, seed {report['seed']}")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
