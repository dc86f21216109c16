"""A catalog someone uploads (CSV or JSON), checked row by row, and made servable at once.

Only a title is required; ``id``, ``description``, ``year`` and ``categories`` (or ``genres``,
separated by ``|``, ``;`` or ``,``) are used when present. Every problem is reported with the
row or column at fault. The catalog is indexed in an in-memory Chroma collection of its own and
retrieved by content alone, so its items are recommendable without any training (PALR's
newly-added items); nothing of it is written to disk.
"""

from __future__ import annotations

import io
import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from langchain_core.embeddings import Embeddings

from recommender.catalog import Catalog, Item
from recommender.core.domain import Domain, wire_domain
from recommender.core.retrieval import ContentRetriever
from recommender.errors import InputError
from recommender.vectors.index import ItemIndex

__all__ = ["MAX_ROWS", "MAX_BYTES", "UploadError", "parse_catalog", "build_domain", "drop_domain",
           "UploadedCatalog"]

MAX_ROWS = 5000
"""Most items an uploaded catalog may hold (indexing 5,000 takes about a minute on 2 cores)."""
MAX_BYTES = 5 * 1024 * 1024
_MAX_TITLE = 300
_MAX_DESCRIPTION = 5000
_COLUMNS = {"title": ("title", "name"), "id": ("id", "item_id", "itemid"),
            "description": ("description", "overview", "summary"),
            "year": ("year",), "categories": ("categories", "category", "genres", "genre")}
_SPLIT = re.compile(r"\s*[|;,]\s*")


class UploadError(InputError):
    """An uploaded file cannot be used; the message names the row or column at fault."""


@dataclass(frozen=True)
class UploadedCatalog:
    """A session's own catalog: its domain key, label and servable parts."""

    key: str
    label: str
    domain: Domain


def parse_catalog(path: Path, name: str | None = None, max_rows: int = MAX_ROWS) -> Catalog:
    """Read and check an uploaded file. ``name`` is the file name the user chose (shown in
    messages; the path is the server's temporary copy)."""
    shown = _safe_name(name or path.name)
    suffix = Path(shown).suffix.lower()
    if suffix not in (".csv", ".json"):
        raise UploadError(f"“{shown}” is not a .csv or .json file. Upload a CSV with a "
                          "title column, or a JSON list of objects with a \"title\" field.")
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise UploadError(f"“{shown}” is {size / 1e6:.1f} MB; the limit is "
                              f"{MAX_BYTES // (1024 * 1024)} MB.")
        data = path.read_bytes()
    except OSError as exc:
        raise UploadError(f"“{shown}” could not be read ({exc.strerror}). Upload it again.")
    if not data.strip():
        raise UploadError(f"“{shown}” is empty. It needs a title column and at least one row.")
    if b"\x00" in data[:8192]:
        raise UploadError(f"“{shown}” looks like a binary file, not text. Export it as CSV "
                          "(UTF-8) or JSON.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UploadError(f"“{shown}” is not UTF-8 text (line {line} has the byte "
                          f"0x{data[exc.start]:02x}). Save it as UTF-8 and upload it again.")
    rows = _csv_rows(text, shown) if suffix == ".csv" else _json_rows(text, shown)
    if not rows:
        raise UploadError(f"“{shown}” has no rows. It needs at least one item with a title.")
    if len(rows) > max_rows:
        raise UploadError(f"“{shown}” has {len(rows):,} rows; the limit is {max_rows:,}. "
                          "Upload a smaller part of it.")
    return Catalog(f"upload-{secrets.token_hex(8)}", tuple(_items(rows, shown)), kind="items")


def build_domain(catalog: Catalog, client, embedder: Embeddings, embedder_name: str,
                 profile_weight: float, progress: bool = True) -> Domain:
    """Index the catalog (with a progress bar) and wire it like a shipped one, content only."""
    index = ItemIndex(client, catalog, embedder, embedder_name)
    index.rebuild(progress=progress)
    return wire_domain(catalog, index, ContentRetriever(index, profile_weight), llm_weight=0.0)


def drop_domain(domain: Domain) -> None:
    """Remove an uploaded catalog's collection (when its session ends)."""
    domain.index.drop()


# -- reading ---------------------------------------------------------------------------------


def _csv_rows(text: str, shown: str) -> list[dict[str, str]]:
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False,
                            skipinitialspace=True)
    except (pd.errors.ParserError, ValueError) as exc:
        raise UploadError(f"“{shown}” is not valid CSV ({_first_line(exc)}).") from None
    return _rows_with_columns(frame.to_dict("records"), list(frame.columns), shown)


def _json_rows(text: str, shown: str) -> list[dict[str, str]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise UploadError(f"“{shown}” is not valid JSON ({exc}).") from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise UploadError(f"“{shown}” must hold a JSON list of objects (or {{\"items\": "
                          "[...]}}), each with a \"title\".")
    columns: list[str] = []
    for number, row in enumerate(data, 1):
        if not isinstance(row, dict):
            raise UploadError(f"Item {number} of “{shown}” is not an object with a \"title\".")
        columns += [k for k in row if k not in columns]
    rows = [{k: _as_text(v) for k, v in row.items()} for row in data]
    return _rows_with_columns(rows, columns, shown)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(str(v) for v in value)
    return str(value)


def _rows_with_columns(rows: list[dict], columns: Sequence[str], shown: str
                       ) -> list[dict[str, str]]:
    """Rows keyed by our column names (``title``, ``id``, ...), whatever the file called them."""
    found = {}
    lowered = {str(c).strip().lower(): c for c in columns}
    for ours, names in _COLUMNS.items():
        for candidate in names:
            if candidate in lowered:
                found[ours] = lowered[candidate]
                break
    if "title" not in found:
        listed = ", ".join(f"“{c}”" for c in columns) or "none"
        raise UploadError(f"“{shown}” has no title column (its columns: {listed}). Name the "
                          "column of item names “title”.")
    return [{ours: str(row.get(theirs, "")).strip() for ours, theirs in found.items()}
            for row in rows]


def _items(rows: list[dict[str, str]], shown: str) -> list[Item]:
    items, seen = [], {}
    for number, row in enumerate(rows, 1):
        where = f"Row {number} of “{shown}”"
        title = " ".join(row["title"].split())
        if not title:
            raise UploadError(f"{where} has an empty title.")
        if len(title) > _MAX_TITLE:
            raise UploadError(f"{where} has a title of {len(title)} characters; the limit is "
                              f"{_MAX_TITLE}.")
        item_id = row.get("id") or str(number)
        if item_id in seen:
            raise UploadError(f"{where} repeats the id “{item_id}” of row {seen[item_id]}. "
                              "Each id must be unique.")
        seen[item_id] = number
        year = None
        if row.get("year"):
            try:
                year = int(float(row["year"]))
            except ValueError:
                raise UploadError(f"{where}: the year “{row['year']}” is not a number.") from None
            if not 1800 <= year <= 2100:
                raise UploadError(f"{where}: the year {year} is outside 1800–2100.")
        categories = tuple(dict.fromkeys(
            c.strip().title() for c in _SPLIT.split(row.get("categories", "")) if c.strip()))
        items.append(Item(item_id, title, year, categories,
                          description=row.get("description", "")[:_MAX_DESCRIPTION]))
    return items


def _safe_name(name: str) -> str:
    """The file's own name, without any folder part or control characters."""
    base = re.split(r"[\\/]", name)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:120] or "the file"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
