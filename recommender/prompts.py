"""Prompt templates, one file each in ``prompts/``, loaded as LangChain chat prompts.

Every step of a turn appends to one conversation (system, profile request, profile, selection
request, selection, explanation request), so :func:`step_prompt` builds a chat template of the
conversation so far plus the step's own message.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder, PromptTemplate

from .settings import PROJECT_ROOT

__all__ = ["PROMPT_DIR", "PROMPT_NAMES", "load_template", "render", "step_prompt", "to_chat_dicts"]

PROMPT_DIR = PROJECT_ROOT / "prompts"
PROMPT_NAMES = ("system", "profile", "profile_opening", "select", "explain", "explain_opening",
                "rank", "verbalize", "verbalize_opening", "understand", "why", "why_opening")
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


def step_prompt(name: str) -> ChatPromptTemplate:
    """Chat template: the conversation so far, then this step's message from ``prompts/``."""
    return ChatPromptTemplate.from_messages(
        [MessagesPlaceholder("conversation"), ("human", load_template(name).template)]
    )


def to_chat_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages → the ``{"role", "content"}`` dicts llama.cpp's chat API takes."""
    roles = {SystemMessage: "system", HumanMessage: "user", AIMessage: "assistant"}
    return [{"role": roles[type(m)], "content": str(m.content)} for m in messages]
