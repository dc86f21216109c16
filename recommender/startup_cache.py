"""What the app builds the same way at every start (a catalog with its derived facts, its title
linker and grounding checker), kept as a pickle beside the index so that the next start reads
it instead of building it again.

A kept object is used only while everything it was built from is unchanged: the input files
(size and modification time) and the package's source code, so any edit of the code or the
data builds it again. Writing is atomic (a draft renamed into place), so processes starting
together (a deployment's replicas) never read half a file; one that cannot be read or written
is built as if there were none, and said so in the log.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

__all__ = ["built_once", "fingerprint", "PACKAGE_DIR"]

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
T = TypeVar("T")


def fingerprint(inputs: Iterable[Path], package_dir: Path = PACKAGE_DIR) -> str:
    """A digest of the package's source and of each input file's path, size and time."""
    digest = hashlib.sha256(f"{sys.version_info[:2]}|{pickle.HIGHEST_PROTOCOL}".encode())
    for path in sorted(package_dir.rglob("*.py")):
        digest.update(str(path.relative_to(package_dir)).encode())
        digest.update(path.read_bytes())
    for path in sorted(Path(p) for p in inputs):
        stat = path.stat()
        digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:20]


def built_once(folder: Path, name: str, inputs: Iterable[Path], build: Callable[[], T],
               package_dir: Path = PACKAGE_DIR) -> T:
    """``build()``'s value, read from ``folder`` when kept there from the same ``inputs`` and
    source, else built and kept (older copies of ``name`` are removed)."""
    path = folder / f"{name}-{fingerprint(inputs, package_dir)}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        pass
    except Exception as exc:  # a damaged or foreign file: build it again
        log.warning("%s could not be read (%s: %s); building it again", path,
                    type(exc).__name__, exc)
    value = build()
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with draft.open("wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(draft, path)
        for old in folder.glob(f"{name}-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:
        try:
            draft.unlink(missing_ok=True)
        except OSError:
            pass  # nothing was written there
        log.warning("%s could not be kept (%s); the next start builds it again", path, exc)
    return value
