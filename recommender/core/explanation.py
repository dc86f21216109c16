"""PALR step 3, explanation: a line per pick, each opened with a fixed phrase naming a history
item and continued by the model (all picks' lines decoded together), and kept only when the
grounding check accepts it; catalog facts stand in otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

from recommender.catalog import Item
from recommender.fact_kinds import Fact
from recommender.core.facts import (
    Anchor,
    choose_anchor,
    facts_line,
    finished_reply,
    line_facts,
    short_title,
    template_explanation,
)
from recommender.core.fact_phrases import own_clause
from recommender.core.grounding import NOVELTY_STOPS, GroundingChecker
from recommender.core.turn import (
    CALLED_NEW,
    CLAIMED_SHARED,
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
from recommender.models.chat import Reply
from recommender.models.prompting import PromptConversation
from recommender.models.prompts import render
from recommender.vocabulary import normalize

__all__ = ["EXPLANATION_TOKENS", "explain", "checked", "opening", "shares_any"]

log = logging.getLogger(__name__)

EXPLANATION_TOKENS = 20
"""Per explanation line."""


def explain(chat: PromptConversation, picks: Sequence[Item], history: Sequence[Item],
            noun: str, checker: GroundingChecker) -> Iterator[Event]:
    """Stream each pick's explanation and yield its checked ``Recommended``, pick by pick.

    Every line is asked for at once, each after the same request with its own opening, so the
    model decodes them together (``stream_replies``); a line's text is shown as it comes while
    the lines before it are done, and the rest as soon as they are. A kept line that left out
    the pick's own fact its prompt gave (``line_facts``: the pick shares nothing distinctive)
    is asked to go on after "; this one" (``OWN_FACT_TOKENS``), all such lines together; the
    longer line is kept when the checker keeps it and it says that fact."""
    if not picks:
        return
    catalog = checker.catalog
    anchors = [choose_anchor(item, history, catalog) for item in picks]
    facts = "\n".join(f"{n}. {facts_line(item, anchor, catalog)}"
                      for n, (item, anchor) in enumerate(zip(picks, anchors), 1))
    request = render("explain", noun=noun, facts=facts)
    openings = [opening(item, anchor) for item, anchor in zip(picks, anchors)]
    owns = [line_facts(item, anchor, catalog)[1] for item, anchor in zip(picks, anchors)]

    def reply(n: int, prefix: str) -> Reply:
        item, anchor = picks[n], anchors[n]
        return Reply(prefix=f"{n + 1}. {prefix}", stop=_stops(n + 1, item, anchor),
                     avoid=tuple(checker.avoid_words(item, anchor)),
                     quoted_words=checker.quotable_words(anchor, owns[n]))

    pieces: list[list[str]] = [[] for _ in picks]
    results: list[Recommendation | None] = [None] * len(picks)
    going_on: dict[int, str] = {}  # line → its kept text, to go on with the pick's own fact
    shown = 0  # the line on screen now; those before it are done

    def settle(index: int) -> None:
        generated = "" if chat.model.failed else "".join(pieces[index])
        result = checked(picks[index], anchors[index], openings[index], generated, history,
                         checker)
        own = owns[index]
        if own is not None and result.source is ExplanationSource.LLM \
                and generated.rstrip().endswith(".") and not says(own, generated) \
                and own_clause(own) is not None:
            going_on[index] = generated.rstrip()[:-1] + OWN_FACT_OPENING
        else:
            results[index] = result

    def show_settled() -> Iterator[Event]:
        nonlocal shown
        while shown < len(picks) and results[shown] is not None:
            yield Recommended(shown, results[shown])
            shown += 1
            if shown < len(picks):
                yield ExplanationStart(shown, picks[shown])
                yield ExplanationDelta(shown, openings[shown])
                if pieces[shown]:
                    yield ExplanationDelta(shown, "".join(pieces[shown]))

    yield ExplanationStart(0, picks[0])
    yield ExplanationDelta(0, openings[0])
    replies = [reply(n, start) for n, start in enumerate(openings)]
    for index, piece in chat.ask_many("explanation", request, EXPLANATION_TOKENS, replies):
        if piece is None:
            settle(index)
            yield from show_settled()
            continue
        pieces[index].append(piece)
        if index == shown:
            yield ExplanationDelta(index, piece)
    for index in range(len(picks)):  # the model failed, or answered fewer lines
        if results[index] is None and index not in going_on:
            settle(index)
    if going_on and not chat.model.failed:
        _go_on(chat, request, going_on, pieces, reply, openings)
    for index, kept in going_on.items():
        longer = "".join(pieces[index])
        result = checked(picks[index], anchors[index], openings[index], longer, history, checker)
        first = kept.removesuffix(OWN_FACT_OPENING) + "."
        results[index] = result if result.source is ExplanationSource.LLM and \
            says(owns[index], longer) else checked(picks[index], anchors[index], openings[index],
                                                   first, history, checker)
    yield from show_settled()


OWN_FACT_OPENING = "; this one"
"""How a kept line goes on to say the pick's own fact (a contrast: ``CONTRAST_MARKERS``)."""
OWN_FACT_TOKENS = 12
"""For the rest of that clause."""


def _go_on(chat: PromptConversation, request: str, going_on: dict[int, str],
           pieces: list[list[str]], reply: Callable[[int, str], Reply],
           openings: Sequence[str]) -> None:
    """Decode the lines in ``going_on`` on from their kept text and "; this one", together,
    leaving each line's whole text in ``pieces`` (shown when checked: the line on screen
    already ends in a full stop)."""
    order = sorted(going_on)
    for index in order:
        pieces[index] = [going_on[index]]
    replies = [reply(index, openings[index] + going_on[index]) for index in order]
    for position, piece in chat.ask_many("explanation", request, OWN_FACT_TOKENS, replies):
        if piece is not None:
            pieces[order[position]].append(piece)


def says(fact: Fact, text: str) -> bool:
    """Does ``text`` name ``fact`` (any of its names, as whole words)?"""
    padded = f" {normalize(text)} "
    return any(f" {name} " in padded for name in fact.names)


def _stops(number: int, item: Item, anchor: Anchor) -> tuple[str, ...]:
    """Where line ``number`` ends: its newline, the next line's number, and (after "Like
    <anchor>, <pick> is") the clauses that call a pick new (``NOVELTY_STOPS``)."""
    stop: tuple[str, ...] = ("\n", f" {number + 1}.")
    return stop + NOVELTY_STOPS if shares_any(item, anchor) else stop


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
    elif shares_any(item, anchor) and checker.unshared_claims(generated, item, anchor.item):
        reason = CLAIMED_SHARED  # "Like Vertigo, North by Northwest is another Cary Grant film"
    else:
        return Recommendation(item.item_id, item.label, text, ExplanationSource.LLM,
                              anchor.item.item_id, model_text=text)
    log.info("explanation for %s replaced (%s): %r", item.item_id, reason, text)
    return Recommendation(item.item_id, item.label,
                          template_explanation(item, anchor, checker.catalog),
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
    """Do ``item`` and its anchor share a fact (genre, tag, studio, keyword, brand, type ...)
    or a decade? A name word counts only in a catalog that states no more about its items
    (an upload): a product whose brand, type and attributes are known is not "like" another
    for a word both names use ("is also named “color”")."""
    years = item.year and anchor.item.year and item.year // 10 == anchor.item.year // 10
    words = anchor.words and not item.facts
    return bool(anchor.genres or anchor.tags or words or anchor.facts or years)
