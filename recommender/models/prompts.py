"""Prompt templates, one file each in ``prompts/``, loaded as LangChain prompt templates and
filled by name (``render``); ``prompting.PromptConversation`` lays them out as one chat."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from langchain_core.prompts import PromptTemplate

from recommender.settings import PROJECT_ROOT

__all__ = ["PROMPT_DIR", "PROMPT_NAMES", "load_template", "render"]

PROMPT_DIR = PROJECT_ROOT / "prompts"
PROMPT_NAMES = ("system", "profile", "profile_opening", "select", "explain", "explain_opening",
                "explain_opening_alone", "rank", "verbalize", "verbalize_opening", "understand", "why", "why_opening")
"""``*_opening`` templates are not messages: they are the fixed start of the model's reply."""


@cache
def load_template(name: str, folder: Path = PROMPT_DIR) -> PromptTemplate:
    """The template in ``prompts/<name>.txt``."""
    path = folder / f"{name}.txt"
    return PromptTemplate.from_template(path.read_text(encoding="utf-8").rstrip("\n"))


def render(name: str, **values: object) -> str:
    """Fill a template; a missing variable fails with every missing name listed."""
    template = load_template(name)
    missing = sorted(set(template.input_variables) - set(values))
    if missing:
        raise KeyError(f"prompt {name!r} needs values for: {', '.join(missing)}")
    return template.format(**{k: values[k] for k in template.input_variables})
