"""The typed-history report: a Markdown table per K (HR@10 and NDCG@10 with intervals, taste
coherence and popularity of the first five, the weight chosen on validation users), a PNG of
HR@10 against K per system, and the run's JSON."""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["write_typed_report", "typed_table"]

_COLUMNS = ("HR@10", "NDCG@10", "coherence@5", "popularity@5")


def write_typed_report(report: dict, path: Path, command: str) -> list[Path]:
    """``path`` (Markdown), and beside it ``.png`` and ``.json``; returns the paths written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    plot, data = path.with_suffix(".png"), path.with_suffix(".json")
    data.write_text(json.dumps({**report, "command": command}, indent=1) + "\n")
    _plot(report, plot)
    lines = [f"# {report['dataset']}: typed histories", "",
             f"- Command: `python -m recommender {command}`",
             f"- Seed {report['seed']}; users per K (test / validation): " + ", ".join(
                 f"K={k}: {report['test_users'][k]} / {report['validation_users'][k]}"
                 for k in report["test_users"]),
             f"- The shipped collaborative weight: {report['shipped_weight']}", "",
             typed_table(report), "", f"![HR@10 against K]({plot.name})", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return [path, plot, data]


def typed_table(report: dict) -> str:
    """One Markdown table: a row per system and K."""
    lines = ["| system | K | " + " | ".join(_COLUMNS) + " | weight |",
             "|" + "---|" * (len(_COLUMNS) + 3)]
    for name, by_k in report["systems"].items():
        for k, row in by_k.items():
            cells = [_cell(row[c], c) for c in _COLUMNS]
            weight = row.get("weight")
            lines.append(f"| {name} | {k} | " + " | ".join(cells) +
                         f" | {'' if weight is None else weight} |")
    return "\n".join(lines)


def _cell(score: dict, column: str) -> str:
    low, high = score["ci95"]
    if column == "popularity@5":
        return f"{score['mean']:.1f} [{low:.1f}, {high:.1f}]"
    return f"{score['mean']:.4f} [{low:.3f}, {high:.3f}]"


def _plot(report: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for name, by_k in report["systems"].items():
        ks = [int(k) for k in by_k]
        means = [by_k[k]["HR@10"]["mean"] for k in by_k]
        ax.plot(ks, means, marker="o", label=name)
    ax.set_xlabel("titles typed (K)")
    ax.set_ylabel("HR@10")
    ax.set_xticks(report["ks"])
    ax.set_title(f"{report['dataset']}: typed histories, seed {report['seed']}")
    ax.legend(fontsize=8, frameon=False)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
