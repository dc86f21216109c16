"""The chat-model interface every backend implements, and what all backends share: the chat
template layout, the compact selection grammar, and neutralising control-token text.

One small interface, :class:`ChatModel`: stream the reply to a list of chat messages, optionally
constrained by a JSON schema and started with a fixed prefix. The backends are
``llama_cpp.LlamaCppChatModel`` (in process) and ``server.ServerChatModel`` (an OpenAI-compatible
server); tests use a scripted fake with the same interface, and ``tests/contracts`` holds all
three to the same behaviour.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from recommender.vocabulary import STOPWORDS

__all__ = ["ChatModel", "GoOn", "Message", "ModelTimeoutError", "Reply", "stream_replies",
           "compact_grammar", "repeatable_words", "CHATML", "chat_formatter", "neutralized"]

Message = dict[str, str]


_CONTROL_TEXT = re.compile(r"<(\|?[A-Za-z_/][\w/.:-]{0,40}\|?)>")


def neutralized(messages: Sequence[Message]) -> list[Message]:
    """The messages with anything shaped like a control token (``<|im_end|>``,
    ``<|start_header_id|>``, ``<filename>``) turned into look-alike text (``‹|im_end|›``).

    Prompts hold text that users control: uploaded catalogs, an edited profile, messages. The
    prompt is tokenized with special tokens on, so that the chat template's markers work; without
    this, a catalog title could close the turn and open a system message of its own."""
    return [{**m, "content": _CONTROL_TEXT.sub(r"‹\1›", m.get("content", ""))} for m in messages]


_FINISHED_WORD = re.compile(r"[A-Za-z]{3,}(?=[^A-Za-z])")
"""A word of three letters or more that something other than a letter follows: finished."""


def repeatable_words(text: str) -> set[str]:
    """The finished content words of ``text``, in lower case: the ones ``no_repeats`` keeps
    from being written twice (not "and", "with", "the": those may come back)."""
    return {w for w in (m.group().lower() for m in _FINISHED_WORD.finditer(text))
            if w not in STOPWORDS}


class ModelTimeoutError(TimeoutError):
    """A model call ran past ``RECOMMENDER_LLM_TIMEOUT_S``; the turn goes on without it."""


class ChatModel(Protocol):
    """Anything that can stream a chat reply."""

    name: str

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        json_schema: dict | None = None,
        prefix: str = "",
        stop: Sequence[str] = (),
        avoid: Sequence[str] = (),
        no_repeats: bool = False,
        only_words: Collection[str] = (),
        quoted_words: Collection[str] | None = None,
    ) -> Iterator[str]:
        """Yield the assistant's reply piece by piece (greedy decoding).

        ``json_schema`` constrains decoding (llama.cpp turns it into a grammar), so the reply
        cannot break it. ``prefix`` is the start of the reply, already decided: the model continues after it and
        it is not yielded again. Generation ends at the end-of-turn token, at ``max_tokens``, or
        before any string in ``stop``. ``avoid`` are words the reply should not use (the
        explanation's decoding guard); a backend blocks what it can of them, and the grounding
        check still reads every reply. ``no_repeats``: a content word the reply has written
        (see ``repeatable_words``) is not written again (the profile's guard). ``only_words``,
        when given: every word of three letters or more the reply writes, read as the grounding
        checker reads words, is one of them (the product profile's vocabulary guard,
        ``word_guard``). ``quoted_words``, when given: what the reply puts in quotation marks
        (“nail”) is only these words; empty, it opens no quotation (``QuotationGuard``).
        Backends that cannot guard decoding ignore all three.
        """
        ...

    def option_scores(self, messages: Sequence[Message], prefix: str,
                      options: Sequence[str]) -> list[float]:
        """Log-probabilities, normalised over ``options``, of each option's first token as the
        next token after ``prefix``: one forward pass, no generation (LlamaRec's verbalizer)."""
        ...


@dataclass(frozen=True)
class Reply:
    """One of several replies to the same messages (``stream_replies``): how it starts and
    what guards it, as in ``ChatModel.stream``."""

    prefix: str = ""
    stop: Sequence[str] = ()
    avoid: Sequence[str] = ()
    no_repeats: bool = False
    only_words: Collection[str] = ()
    quoted_words: Collection[str] | None = None
    go_on: GoOn | None = None


@dataclass(frozen=True)
class GoOn:
    """A reply that may not end before it names one of ``names`` (normalised words, as
    ``vocabulary.normalize`` writes them): where the model would end it (a full stop, a
    newline, the end of its turn), ``text`` is written instead, once, and the model goes on
    from there. An explanation line silent on the pick's own fact goes on with "; this one"
    (``core.explanation``), in the same decoding steps as the other lines."""

    names: tuple[str, ...]
    text: str


def stream_replies(model: ChatModel, messages: Sequence[Message], max_tokens: int,
                   replies: Sequence[Reply]) -> Iterator[tuple[int, str | None]]:
    """Each reply's text as ``(index, piece)``, and ``(index, None)`` once that reply is
    finished: decoded together where the backend can (``stream_many``: a turn's explanation
    lines as parallel sequences of one llama.cpp batch), else one reply after another. Either
    way a reply's pieces come in order, and it reads the same as ``stream`` with its options
    would give."""
    together = getattr(model, "stream_many", None)
    if together is not None:
        yield from together(messages, max_tokens, replies)
        return
    for index, reply in enumerate(replies):
        for piece in model.stream(messages, max_tokens, prefix=reply.prefix, stop=reply.stop,
                                  avoid=reply.avoid, no_repeats=reply.no_repeats,
                                  only_words=reply.only_words, quoted_words=reply.quoted_words):
            yield index, piece
        yield index, None


def compact_grammar(schema: dict) -> str | None:
    """GBNF for ``{"key": [v, ...]}`` with exactly N values from an enum, and no whitespace.

    llama.cpp's general converter allows optional spaces and newlines, which a small model
    spends tokens on; this shape is all selection needs. Other schemas get ``None``.
    """
    properties = schema.get("properties", {})
    if schema.get("type") != "object" or len(properties) != 1:
        return None
    ((key, spec),) = properties.items()
    values = spec.get("items", {}).get("enum")
    count = spec.get("minItems")
    if spec.get("type") != "array" or not values or count is None or count != spec.get("maxItems") \
            or count < 1 or schema.get("required") != [key]:
        return None
    head = json.dumps(json.dumps({key: []}, separators=(",", ":"))[:-2])  # the literal {"key":[
    more = f' ("," value){{{count - 1}}}' if count > 1 else ""
    alternatives = " | ".join(json.dumps(json.dumps(v)) for v in values)
    return f'root ::= {head} value{more} "]}}"\nvalue ::= {alternatives}\n'


CHATML = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)




def chat_formatter(template: str, eos: str, bos: str):
    """A Jinja chat template compiled once: ``formatter(messages=...).prompt`` lays out a
    conversation and opens the assistant's turn."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos,
                               add_generation_prompt=True)
