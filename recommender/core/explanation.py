"""PALR step 3, explanation: one assistant reply with a line per pick, each opened with a fixed
phrase naming a history item, continued by the model, and kept only when the grounding check
accepts it; catalog facts stand in otherwise."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from recommender.catalog import Item
from recommender.core.facts import (
    Anchor,
    choose_anchor,
    facts_line,
    finished_reply,
    short_title,
    template_explanation,
)
from recommender.core.grounding import NOVELTY_STOPS, GroundingChecker
from recommender.core.turn import (
    CALLED_NEW,
    MISWORDED,
    NO_FACT,
    NO_TEXT,
    NOT_SHARED,
    REPEATED,
    UNSUPPORTED,
    WRONG_ARTICLE,
    Event,
    ExplanationDelta,
    ExplanationSource,
    ExplanationStart,
    Recommendation,
    Recommended,
)
from recommender.models.prompting import PromptConversation
from recommender.models.prompts import render

__all__ = ["EXPLANATION_TOKENS", "explain", "checked", "opening", "shares_any"]

log = logging.getLogger(__name__)

EXPLANATION_TOKENS = 20
"""Per explanation line."""


def explain(chat: PromptConversation, picks: Sequence[Item], history: Sequence[Item],
            noun: str, checker: GroundingChecker) -> Iterator[Event]:
    """Stream each pick's explanation and yield its checked ``Recommended``. The reply only ever
    grows, so llama.cpp's cache covers all but the new text."""
    facts = "\n".join(f"{n}. {facts_line(item)}" for n, item in enumerate(picks, 1))
    request = render("explain", noun=noun, facts=facts)
    reply = ""
    for position, item in enumerate(picks):
        anchor = choose_anchor(item, history)
        yield ExplanationStart(position, item)
        start = opening(item, anchor)
        yield ExplanationDelta(position, start)
        pieces: list[str] = []
        stop = ("\n", f" {position + 2}.")
        if shares_any(item, anchor):  # "Like <anchor>, <pick> is": not "new to your list"
            stop += NOVELTY_STOPS
        for piece in chat.ask("explanation", request, EXPLANATION_TOKENS,
                              prefix=f"{reply}{position + 1}. {start}", stop=stop,
                              avoid=checker.avoid_words(item, anchor),
                              quoted_words=checker.quotable_words(anchor)):
            pieces.append(piece)
            yield ExplanationDelta(position, piece)
        generated = "" if chat.model.failed else "".join(pieces)
        reply += f"{position + 1}. {start}{generated}\n"
        yield Recommended(position, checked(item, anchor, start, generated, history, checker))


def checked(item: Item, anchor: Anchor, start: str, generated: str, history: Sequence[Item],
            checker: GroundingChecker) -> Recommendation:
    """Keep the model's explanation only if it is grounded, states a fact of the pick, and names
    a fact the pick shares with the anchor (when the two share any)."""
    text, said = finished_reply(start, generated)  # the opening is ours and names the anchor
    claims = tuple(checker.unsupported_claims(said, item, history)) if text else ()
    if not text:
        reason: str | None = NO_TEXT
    elif claims:
        reason = UNSUPPORTED
    elif checker.repeats_itself(generated):
        reason = REPEATED  # "a drama and drama too"
    elif checker.uses_a_describing_word_as_a_thing(generated):
        reason = MISWORDED  # "is also a moisturizing."
    elif checker.uses_the_wrong_article(f"{start}{generated}"):
        reason = WRONG_ARTICLE  # "is an drama"
    elif not checker.states_a_fact(generated, item):
        reason = NO_FACT
    elif shares_any(item, anchor) and checker.claims_novelty(generated):
        reason = CALLED_NEW  # "Like <shampoo>, <shampoo> is a shampoo, new to your list."
    elif not shares_any(item, anchor) and checker.claims_sameness(generated):
        reason = NOT_SHARED  # "is another Avene" of two products with nothing in common
    elif shares_any(item, anchor) and not checker.names_a_shared_fact(generated, item,
                                                                        anchor.item):
        reason = NOT_SHARED
    else:
        return Recommendation(item.item_id, item.label, text, ExplanationSource.LLM,
                              anchor.item.item_id, model_text=text)
    log.info("explanation for %s replaced (%s): %r", item.item_id, reason, text)
    return Recommendation(item.item_id, item.label, template_explanation(item, anchor),
                          ExplanationSource.CATALOG_FACTS, anchor.item.item_id, claims, reason,
                          model_text=text)


def opening(item: Item, anchor: Anchor) -> str:
    """The fixed start of a pick's line: "Like <anchor>, <pick> is" when the two share a catalog
    fact, else "<pick> is" (a "Like" before two products with nothing in common says what is
    not so, and the model went on with "another serum")."""
    if shares_any(item, anchor):
        return render("explain_opening", anchor=short_title(anchor.item), pick=short_title(item))
    return render("explain_opening_alone", pick=short_title(item))


def shares_any(item: Item, anchor: Anchor) -> bool:
    """Do ``item`` and its anchor share a genre, tag, name word or decade?"""
    years = item.year and anchor.item.year and item.year // 10 == anchor.item.year // 10
    return bool(anchor.genres or anchor.tags or anchor.words or years)
