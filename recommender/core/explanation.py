"""PALR step 3, explanation: a line per pick, each opened with a fixed phrase naming a history
item and continued by the model (all picks' lines decoded together), and kept only when the
grounding check accepts it; catalog facts stand in otherwise."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from recommender.catalog import Item
from recommender.vocabulary.fact_kinds import Fact
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
from recommender.models.chat import GoOn, Guards, Request
from recommender.models.prompting import PromptConversation
from recommender.models.prompts import render
from recommender.vocabulary import names_any

__all__ = ["EXPLANATION_TOKENS", "explain", "checked", "opening", "shares_any"]

log = logging.getLogger(__name__)

EXPLANATION_TOKENS = 30
"""Per explanation line: its shared fact, and room for the pick's own after "; this one"."""


def explain(chat: PromptConversation, picks: Sequence[Item], history: Sequence[Item],
            noun: str, checker: GroundingChecker) -> Iterator[Event]:
    """Stream each pick's explanation and yield its checked ``Recommended``, pick by pick.

    Every line is asked for at once, each after the same request with its own opening, so the
    model decodes them together (``ChatModel.generate``); a line's text is shown as it comes while
    the lines before it are done, and the rest as soon as they are. A line whose prompt gave
    the pick's own fact (``line_facts``: the pick shares nothing distinctive) may not end
    before it names it: where the model would end it, it goes on with "; this one" (``GoOn``).
    That clause is kept when the checker keeps the whole line and it names the fact; else the
    line is cut back to before it."""
    if picks:
        yield from _Lines(chat, picks, history, noun, checker).stream()


OWN_FACT_OPENING = "; this one"
"""How a line goes on to say the pick's own fact (a contrast: ``CONTRAST_MARKERS``)."""


class _Lines:
    """One turn's explanation lines: what each is asked with, its text so far, and its checked
    result once finished (``explain``)."""

    def __init__(self, chat: PromptConversation, picks: Sequence[Item], history: Sequence[Item],
                 noun: str, checker: GroundingChecker) -> None:
        catalog = checker.catalog
        self.chat, self.picks, self.history, self.checker = chat, picks, history, checker
        self.anchors = [choose_anchor(item, history, catalog) for item in picks]
        facts = "\n".join(f"{n}. {facts_line(item, anchor, catalog)}"
                          for n, (item, anchor) in enumerate(zip(picks, self.anchors), 1))
        self.request = render("explain", noun=noun, facts=facts)
        self.openings = [opening(item, anchor) for item, anchor in zip(picks, self.anchors)]
        self.owns = [own if own is not None and own_clause(own) is not None else None
                     for own in (line_facts(item, anchor, catalog)[1]
                                 for item, anchor in zip(picks, self.anchors))]
        self.pieces: list[list[str]] = [[] for _ in picks]
        self.results: list[Recommendation | None] = [None] * len(picks)
        self.shown = 0  # the line on screen now; those before it are done

    def stream(self) -> Iterator[Event]:
        yield ExplanationStart(0, self.picks[0])
        yield ExplanationDelta(0, self.openings[0])
        requests = [self._request(n) for n in range(len(self.picks))]
        for index, piece in self.chat.ask_many("explanation", requests):
            if piece is None:
                self.results[index] = self._result(index)
                yield from self._show_finished()
                continue
            self.pieces[index].append(piece)
            if index == self.shown:
                yield ExplanationDelta(index, piece)
        for index in range(len(self.picks)):  # the model failed, or answered fewer lines
            if self.results[index] is None:
                self.results[index] = self._result(index)
        yield from self._show_finished()

    def _request(self, n: int) -> Request:
        item, anchor, own = self.picks[n], self.anchors[n], self.owns[n]
        guards = Guards(avoid=tuple(self.checker.avoid_words(item, anchor)),
                        quoted_words=self.checker.quotable_words(anchor, own),
                        go_on=None if own is None else GoOn(own.names, OWN_FACT_OPENING))
        return self.chat.request(self.request, EXPLANATION_TOKENS,
                                 prefix=f"{n + 1}. {self.openings[n]}",
                                 stop=_stops(n + 1, item, anchor), guards=guards)

    def _checked(self, index: int, generated: str) -> Recommendation:
        return checked(self.picks[index], self.anchors[index], self.openings[index], generated,
                       self.history, self.checker)

    def _result(self, index: int) -> Recommendation:
        """The checked line; one that went on to its own fact and did not name it truly is
        cut back to before "; this one"."""
        generated = "" if self.chat.model.failed else "".join(self.pieces[index])
        result, own = self._checked(index, generated), self.owns[index]
        if own is None or OWN_FACT_OPENING not in generated or \
                (result.source is ExplanationSource.LLM and says(own, generated)):
            return result
        return self._checked(index, generated.split(OWN_FACT_OPENING)[0].rstrip(" ,;") + ".")

    def _show_finished(self) -> Iterator[Event]:
        while self.shown < len(self.picks) and self.results[self.shown] is not None:
            yield Recommended(self.shown, self.results[self.shown])
            self.shown += 1
            if self.shown < len(self.picks):
                yield ExplanationStart(self.shown, self.picks[self.shown])
                yield ExplanationDelta(self.shown, self.openings[self.shown])
                if self.pieces[self.shown]:
                    yield ExplanationDelta(self.shown, "".join(self.pieces[self.shown]))


def says(fact: Fact, text: str) -> bool:
    """Does ``text`` name ``fact`` (any of its names, as whole words)?"""
    return names_any(text, fact.names)


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
