""""Why the third one?": a longer explanation of a shown pick, from the model and checked like
the short ones; catalog facts when the model's cannot be used."""

from __future__ import annotations

from collections.abc import Generator

from recommender.conversation.result import Detailed
from recommender.conversation.state import ConversationState
from recommender.core.domain import Domain
from recommender.catalog import Catalog, Item
from recommender.core.explanation import shares_any
from recommender.core.facts import (
    Anchor,
    choose_anchor,
    detailed_template,
    facts_line,
    finish_sentence,
    history_line,
    short_title,
)
from recommender.core.turn import HISTORY_LIMIT, ExplanationDelta, ExplanationSource
from recommender.models.prompting import GuardedModel, PromptConversation
from recommender.models.prompts import render

__all__ = ["explain_at_length", "why_facts", "WHY_TOKENS"]

WHY_TOKENS = 60


def explain_at_length(model: GuardedModel, domain: Domain, state: ConversationState,
                      item_id: str) -> Generator[ExplanationDelta, None, Detailed]:
    """Stream the model's long explanation of ``item_id`` and return the one to show."""
    catalog = domain.catalog
    item = catalog.get(item_id)
    history = [catalog.get(i) for i in state.liked][-HISTORY_LIMIT:]
    anchor = choose_anchor(item, history, catalog)
    opening = render("why_opening", pick=short_title(item))
    request = render("why", noun=catalog.noun, pick=short_title(item),
                     facts=why_facts(item, anchor, catalog),
                     history="\n".join(history_line(h) for h in history),
                     profile=state.profile or "(none yet)")
    chat = PromptConversation(model, render("system", noun=catalog.noun))
    pieces = []
    for piece in chat.ask("why", request, WHY_TOKENS, prefix=opening, stop=("\n",)):
        pieces.append(piece)
        yield ExplanationDelta(0, piece)
    generated = "".join(pieces)
    text = finish_sentence(opening + generated, opening=opening)
    checker = domain.checker
    if not model.failed and generated.strip() and \
            not checker.unsupported_claims(text, item, history) and \
            checker.states_a_fact(generated, item) and \
            not (shares_any(item, anchor) and checker.claims_novelty(generated)):
        return Detailed(item_id, text, ExplanationSource.LLM)
    return Detailed(item_id, detailed_template(item, anchor, history, catalog),
                    ExplanationSource.CATALOG_FACTS)


_OVERVIEW_WORDS = 45


def why_facts(item: Item, anchor: Anchor, catalog: Catalog) -> str:
    """The facts a longer explanation may use: what the pick shares with the title it is
    compared with (``facts_line``), its tagline, and the start of its overview."""
    parts = [facts_line(item, anchor, catalog)]
    if item.genres:
        parts.append("genres: " + ", ".join(item.genres))
    if item.tagline:
        parts.append(f"tagline: {item.tagline}")
    if item.description:
        words = item.description.split()
        overview = " ".join(words[:_OVERVIEW_WORDS]) + (" ..." if len(words) > _OVERVIEW_WORDS
                                                         else "")
        parts.append(f"overview: {overview}")
    return "\n".join(parts)
