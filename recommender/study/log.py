"""The study's append-only event log: one JSON object per line.

``append`` returns only after the line is on disk (``fsync``), so whatever a participant has
been shown as saved survives a crash. Each line is written by one ``write`` call on a file
opened with ``O_APPEND`` while holding an exclusive ``flock``, so concurrent participants, in
threads or in processes, never interleave partial lines. A failed write raises
:class:`StudyLogError` and leaves the lines already there untouched."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import StudyLogError

__all__ = ["EventLog", "LogReadReport"]

log = logging.getLogger(__name__)


@dataclass
class LogReadReport:
    """What reading found besides the events: lines that could not be parsed (only ever the
    last, torn by a crash mid-write, for a log written by this module)."""

    bad_lines: list[int] = field(default_factory=list)


class EventLog:
    """Appends events to, and reads them back from, one JSON-lines file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def check_writable(self) -> None:
        """Create the folder and file if needed; raise :class:`StudyLogError` if it cannot be
        written, so a study never starts that could not keep its records."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.close(fd)
        except OSError as exc:
            raise StudyLogError(f"The study log {self.path} cannot be written "
                                f"({exc.strerror}). Point `log` in the study file at a "
                                "writable place.") from None

    def append(self, event: dict) -> dict:
        """Write one event (a ``time`` in UTC is added) and return it once it is on disk."""
        record = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
                  **event}
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise _write_error(self.path, exc) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                written = os.write(fd, line)
                if written != len(line):
                    # a short write (disk full): cut it off so the log stays whole lines
                    os.ftruncate(fd, os.fstat(fd).st_size - written)
                    raise OSError(28, "No space left on device")
                os.fsync(fd)
            except OSError as exc:
                raise _write_error(self.path, exc) from None
            finally:
                os.close(fd)  # closing releases the lock
        return record

    def events(self, report: LogReadReport | None = None) -> list[dict]:
        """Every complete event, in the order written."""
        return list(self.iter_events(report))

    def iter_events(self, report: LogReadReport | None = None) -> Iterator[dict]:
        try:
            handle = open(self.path, "rb")
        except FileNotFoundError:
            return
        with handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                try:
                    event = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    log.warning("%s line %d is not a complete event; skipped", self.path, number)
                    if report is not None:
                        report.bad_lines.append(number)
                    continue
                if isinstance(event, dict):
                    yield event


def _write_error(path: Path, exc: OSError) -> StudyLogError:
    log.error("writing %s failed: %s", path, exc)
    return StudyLogError(
        f"Your answer could not be saved ({exc.strerror or exc}). Please stay on this page and "
        "try again in a moment; if it keeps failing, tell the researcher running the study.")
