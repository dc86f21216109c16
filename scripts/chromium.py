"""Debian's Chromium under Playwright, as the tests and the scripts here start it (never
``playwright install``: the browser is the apt package ``chromium``)."""

from __future__ import annotations

import shutil

__all__ = ["CHROMIUM", "launch_chromium"]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch_chromium(playwright):
    """A headless Chromium browser from a started ``sync_playwright()``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=_ARGS)
