"""Text shown literally in Gradio's Markdown: what a visitor typed, a catalog title, a study's
own wording. Every page of the app and of a study escapes through here."""

from __future__ import annotations

import html
import re

__all__ = ["escape"]

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-!|~>$])")


def escape(text: str) -> str:
    """Show ``text`` literally: HTML entities for ``<>&``, backslashes before Markdown marks."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(text, quote=False))
