"""The study's append-only event log: one JSON object per line, shared by every process that
runs the study (the replicas of a deployment write one file).

A line is on disk (``fsync``) before its writer goes on, so whatever a participant has been
shown as saved survives a crash. Each line is written by one ``write`` call on a file opened
with ``O_APPEND`` while holding an exclusive ``flock``, so writers in threads or in processes
never interleave partial lines. A writer that must decide from what the others wrote (which
condition the next participant gets, whether a round was already rated) does so inside
``transaction``: it holds the lock, reads the lines written since it last looked, then appends.
A failed write raises :class:`StudyLogError` and leaves the lines already there untouched."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import StudyLogError

__all__ = ["EventLog", "LogReadReport", "Transaction"]

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
        self._lock = threading.RLock()
        self._offset = 0  # bytes read by ``read_new`` and transactions

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
        with self._locked(fcntl.LOCK_EX) as fd:
            return _write(self.path, fd, event)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the log for writing: ``new`` holds the events other writers appended since this
        reader last looked (``read_new``, earlier transactions), and ``append`` adds events
        that no other writer can come between."""
        with self._locked(fcntl.LOCK_EX) as fd:
            yield Transaction(self, fd, self._read_new(fd))

    def read_new(self) -> list[dict]:
        """The events appended since this reader last looked (all of them the first time)."""
        with self._locked(fcntl.LOCK_SH) as fd:
            return self._read_new(fd)

    @contextmanager
    def _locked(self, kind: int) -> Iterator[int]:
        with self._lock:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise _write_error(self.path, exc) from None
            try:
                fcntl.flock(fd, kind)
                yield fd
            finally:
                os.close(fd)  # closing releases the lock

    def _read_new(self, fd: int) -> list[dict]:
        """Complete lines from this reader's offset to the end (a torn last line stays unread
        until it is finished)."""
        size = os.fstat(fd).st_size
        data = os.pread(fd, max(0, size - self._offset), self._offset) if size > self._offset \
            else b""
        whole = data[:data.rfind(b"\n") + 1]
        events = []
        for raw in whole.splitlines():
            event = _parsed(raw, self.path)
            if event is not None:
                events.append(event)
        self._offset += len(whole)
        return events

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
                event = _parsed(raw, self.path, number)
                if event is None:
                    if report is not None:
                        report.bad_lines.append(number)
                    continue
                yield event


class Transaction:
    """The log held by one writer (``EventLog.transaction``)."""

    def __init__(self, log: EventLog, fd: int, new: list[dict]) -> None:
        self._log, self._fd, self.new = log, fd, new

    def append(self, event: dict) -> dict:
        """Write one event (a ``time`` in UTC is added); return it once it is on disk."""
        record = _write(self._log.path, self._fd, event)
        self._log._offset = os.fstat(self._fd).st_size  # nobody else wrote meanwhile
        return record


def _parsed(raw: bytes, path: Path, number: int | None = None) -> dict | None:
    """One line's event; ``None`` (logged) for a line that is not a complete event."""
    if not raw.strip():
        return None
    try:
        event = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        log.warning("%s%s is not a complete event; skipped", path,
                    f" line {number}" if number else ": a line")
        return None
    return event if isinstance(event, dict) else None


def _write(path: Path, fd: int, event: dict) -> dict:
    """Append ``event`` as one line to the locked ``fd`` and ``fsync``. A line torn by a crash
    before is ended first, so it cannot swallow this one."""
    record = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"),
              **event}
    line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        written = os.write(fd, line)
        if written != len(line):
            # a short write (disk full): cut it off so the log stays whole lines
            os.ftruncate(fd, os.fstat(fd).st_size - written)
            raise OSError(28, "No space left on device")
        os.fsync(fd)
    except OSError as exc:
        raise _write_error(path, exc) from None
    return record


def _write_error(path: Path, exc: OSError) -> StudyLogError:
    log.error("writing %s failed: %s", path, exc)
    return StudyLogError(
        f"Your answer could not be saved ({exc.strerror or exc}). Please stay on this page and "
        "try again in a moment; if it keeps failing, tell the researcher running the study.")
