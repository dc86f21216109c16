"""The catalogs' item vectors shipped with the code, so that a first start loads them into Chroma
instead of embedding every item (about 3 minutes on two cores for both catalogs).

One file per catalog (``assets/vectors/<domain>.npz``): the item ids, a digest of each item's
indexed text, the vectors in float16 (a few MB), and the embedder's name. An item is taken
from the file only when its id and the digest of its text match and the embedder is the one
asked for; every other item (new, edited, or all of them under another embedder) is embedded as
before. ``python -m recommender index --ship`` writes the files from the built index.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from recommender.catalog import Catalog, Item

__all__ = ["ShippedVectors", "document_digest", "shipped_path", "SHIPPED_DIR"]

log = logging.getLogger(__name__)

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "assets" / "vectors"


def shipped_path(domain: str, folder: Path = SHIPPED_DIR) -> Path:
    """Where a catalog's shipped vectors live."""
    return folder / f"{domain}.npz"


def document_digest(item: Item) -> int:
    """A 63-bit digest of the text an item is embedded from (``Item.document``)."""
    digest = hashlib.blake2b(item.document().encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


@dataclass(frozen=True)
class ShippedVectors:
    """Item vectors computed once, by ``embedder``, for the texts whose digests are given."""

    embedder: str
    ids: tuple[str, ...]
    digests: np.ndarray
    """One ``document_digest`` per id (int64)."""
    vectors: np.ndarray
    """One row per id (float16)."""

    @classmethod
    def of(cls, items: Sequence[Item], vectors: np.ndarray, embedder: str) -> ShippedVectors:
        if len(items) != len(vectors):
            raise ValueError(f"{len(items)} items but {len(vectors)} vectors")
        return cls(embedder, tuple(i.item_id for i in items),
                   np.asarray([document_digest(i) for i in items], dtype=np.int64),
                   np.asarray(vectors, dtype=np.float16))

    def save(self, path: Path) -> None:
        """Write the file (through a temporary name, so a reader never sees half of it)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        with partial.open("wb") as handle:
            np.savez(handle, ids=np.asarray(self.ids, dtype=str), digests=self.digests,
                     vectors=self.vectors, embedder=np.asarray(self.embedder))
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> ShippedVectors | None:
        """The file at ``path``; ``None`` when there is none or it cannot be read (the index is
        then embedded from scratch, as before)."""
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                ids, digests = data["ids"], data["digests"]
                vectors, embedder = data["vectors"], str(data["embedder"])
        except (OSError, KeyError, ValueError) as exc:
            log.warning("shipped vectors %s cannot be read (%s); embedding instead", path, exc)
            return None
        if not (len(ids) == len(digests) == len(vectors)) or vectors.ndim != 2:
            log.warning("shipped vectors %s are inconsistent; embedding instead", path)
            return None
        return cls(embedder, tuple(str(i) for i in ids), digests.astype(np.int64),
                   vectors.astype(np.float16))

    @cached_property
    def _rows(self) -> dict[str, int]:
        return {item_id: n for n, item_id in enumerate(self.ids)}

    def matching(self, items: Sequence[Item], embedder: str) -> dict[str, np.ndarray]:
        """The unit-length float32 vectors of those ``items`` whose id and text are as shipped,
        when ``embedder`` is the one that made them; empty otherwise."""
        if embedder != self.embedder:
            return {}
        out = {}
        for item in items:
            row = self._rows.get(item.item_id)
            if row is not None and int(self.digests[row]) == document_digest(item):
                vector = self.vectors[row].astype(np.float32)
                norm = float(np.linalg.norm(vector))
                out[item.item_id] = vector / norm if norm > 0 else vector
        return out

    @staticmethod
    def for_catalog(catalog: Catalog, folder: Path = SHIPPED_DIR) -> ShippedVectors | None:
        """The shipped vectors of ``catalog`` in ``folder``; ``None`` when there are none."""
        return ShippedVectors.load(shipped_path(catalog.domain, folder))
