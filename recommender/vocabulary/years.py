"""Years and decades as the product reads them, in one place. Three ranges, each for its job:
``YEAR`` is four digits a title or a typed title may hold as a year (linking: "Heat 1995",
"Blade Runner 2049"); ``CATALOG_YEAR`` a year a catalog item can be from, which an explanation
claims (grounding holds it to the catalog); ``REQUEST_YEAR`` a year a request filters on
("from 1990 on")."""

from __future__ import annotations

__all__ = ["YEAR", "CATALOG_YEAR", "REQUEST_YEAR", "DECADE_PATTERN"]

YEAR = r"(?:18|19|20)\d\d"
"""Four digits that may be a year in a title or a message (a regular expression)."""

CATALOG_YEAR = r"(?:18[89]\d|19\d\d|20[0-3]\d)"
"""A year a catalog item may be from, 1880 to 2039: a year an explanation claims."""

REQUEST_YEAR = r"(?:19|20)\d\d"
"""A year a request names for a filter ("from 1990", "before 2005")."""

DECADE_PATTERN = r"(?P<century>19|20)?(?P<decade>\d)0'?s\b"
"""A decade as written: "80s", "1980s", "80's" (after a word boundary or an apostrophe)."""
