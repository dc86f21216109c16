"""Resumable evaluation (``evaluate --resume DIR``): each user's expensive run of a tuned
system (the PALR turn, the verbalizer's forward pass) is appended to a JSON-lines file as it
finishes, so an interrupted evaluation picks up where it stopped and one of several hours can
span several sittings.

The folder records what produced its runs (data set, seed, model, retriever, users); a later
evaluation with anything different is refused rather than mixed with them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from recommender.errors import RecommenderError
from recommender.evaluation.rankers import Run

__all__ = ["RunStore"]

_IDENTITY = "identity.json"


class RunStore:
    """Runs by (system, phase, user), read back from and appended to ``folder``. Only
    systems with ``resumable = True`` are stored: their payloads are plain JSON."""

    def __init__(self, folder: Path, identity: Mapping[str, object]) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / _IDENTITY
        wanted = json.loads(json.dumps(dict(identity)))  # as it reads back from the file
        if path.is_file():
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved != wanted:
                changed = sorted(k for k in {*saved, *wanted} if saved.get(k) != wanted.get(k))
                raise RecommenderError(
                    f"{folder} holds runs of another evaluation (it differs in "
                    f"{', '.join(changed)}). Resume with the same options, or pass a new "
                    "--resume folder.")
        else:
            path.write_text(json.dumps(wanted, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        self._runs: dict[tuple[str, str, str], Run] = {}
        for file in sorted(folder.glob("*.jsonl")):
            for line in file.read_text(encoding="utf-8").splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interruption: that user runs again
                self._runs[(file.stem, row["phase"], row["user"])] = Run(row["payload"],
                                                                        row["checks"])

    def get(self, system: str, phase: str, user: str) -> Run | None:
        return self._runs.get((_file_name(system), phase, user))

    def put(self, system: str, phase: str, user: str, run: Run) -> None:
        """Keep ``run`` (its payload and checks must be JSON: lists, dicts, numbers, text)."""
        self._runs[(_file_name(system), phase, user)] = run
        row = {"phase": phase, "user": user, "payload": run.payload, "checks": run.checks}
        with (self.folder / f"{_file_name(system)}.jsonl").open("a", encoding="utf-8") as out:
            out.write(json.dumps(row, default=float) + "\n")  # numpy scalars too

    def __len__(self) -> int:
        return len(self._runs)


def _file_name(system: str) -> str:
    return system.replace(" ", "_").replace("/", "_")
