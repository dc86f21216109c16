"""One chat turn, PALR-style, wired in one place: retrieve (Chroma, from the history) → profile
(LLM) → select (LLM, constrained to the candidates; only where its choice weighs) → explain (LLM,
grounded), over catalog ids the conversation's turn has read and linked (``conversation.turn``).
The picks are announced (``Ranked``) as soon as they are known: before the profile when the
model does not select. Each stage is a module of
its own; each streams events so the UI can show text as it is produced."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from recommender.core import explanation
from recommender.core.candidates import candidates, no_candidates_notice
from recommender.core.domain import Domain
from recommender.core.facts import history_line
from recommender.core.linking import LinkResult, Mention, check_message
from recommender.core.profile import write_profile
from recommender.core.selection import fuse_ranking, select
from recommender.core.turn import (
    HISTORY_LIMIT,
    Event,
    Finished,
    ProfileDone,
    Ranked,
    Recommended,
    Retrieved,
    TurnPlan,
    TurnResult,
)
from recommender.errors import UnknownDomainError
from recommender.models.chat import ChatModel
from recommender.models.prompting import GuardedModel, PromptConversation
from recommender.models.prompts import render
from recommender.settings import Settings

__all__ = ["Recommender"]


class Recommender:
    """Runs turns over the loaded domains with one shared model."""

    def __init__(self, settings: Settings, model: ChatModel, domains: dict[str, Domain]) -> None:
        self.settings = settings
        self.model = model
        self.domains = domains

    def with_domains(self, extra: dict[str, Domain]) -> Recommender:
        """The same recommender serving more domains (a session's uploaded catalog); the
        model and the shared domains are not copied, and this one is left as it was."""
        return Recommender(self.settings, self.model, {**self.domains, **extra})

    def warm_up(self) -> None:
        """Do once, at start-up, what a visitor's first turn would otherwise wait for: each
        catalog's spelling table, a first embedding (MiniLM loads in the background), and a
        first retrieval (Chroma opens its indexes, the collaborative model its weights)."""
        self.model.warm_up()
        for res in self.domains.values():
            res.linker.warm_up()
            popular = max(res.catalog.items, key=lambda i: i.popularity, default=None)
            if popular is not None:
                res.retriever.retrieve([popular.item_id], "warm-up", 1)

    def domain(self, name: str) -> Domain:
        if name not in self.domains:
            raise UnknownDomainError(name, list(self.domains))
        return self.domains[name]

    def check_message(self, message: str | None, noun: str) -> str:
        return check_message(message, noun, self.settings.max_message_chars)

    def recommend(self, domain: str, history_ids: Sequence[str], explain: int | None = None,
                  plan: TurnPlan | None = None) -> TurnResult:
        """A whole turn over catalog ids (oldest first; ids not in the catalog are dropped) and
        its result: the evaluation's and the study's way in. Words (a message, titles) come in
        through the conversation's turn (``conversation.turn.converse``), which reads and links
        them and then ``run`` s the same turn."""
        res = self.domain(domain)
        link = LinkResult(tuple(Mention(i, i, 1.0, "id") for i in history_ids
                                if i in res.catalog))
        for event in self.run(domain, link.item_ids, plan, explain, link):
            if isinstance(event, Finished):
                return event.result
        raise RuntimeError("turn ended without a result")  # pragma: no cover

    def run(self, domain: str, history_ids: Sequence[str], plan: TurnPlan | None = None,
            explain_count: int | None = None, link: LinkResult | None = None,
            timings: dict[str, float] | None = None,
            started: float | None = None) -> Iterator[Event]:
        """The PALR turn over catalog ids (oldest first) and a plan. ``link`` is what the
        user's words named, reported with the result; ``explain_count`` limits how many picks
        get an explanation (all by default)."""
        plan, started = plan or TurnPlan(), started or time.perf_counter()
        res = self.domain(domain)
        result = TurnResult(domain, link or LinkResult(()), catalog=res.catalog,
                            timings=dict(timings or {}))
        if not history_ids:
            result.notices.append(f"No {res.catalog.noun} in the catalog matched what you typed.")
        else:
            model = GuardedModel(self.model)
            yield from self._stages(res, model, list(history_ids), plan, explain_count, result)
            result.model_failure = model.failure
        result.timings["total"] = time.perf_counter() - started
        yield Finished(result)

    def _stages(self, res: Domain, model: GuardedModel, history_ids: list[str], plan: TurnPlan,
                explain_count: int | None, result: TurnResult) -> Iterator[Event]:
        noun = res.catalog.noun
        history = [res.catalog.get(i) for i in history_ids][-HISTORY_LIMIT:]
        chat = PromptConversation(model, render("system", noun=noun))
        with _timed(result, "retrieval"):
            # From the history and a profile the person wrote, never the one the model is
            # about to write: the retrieval every evaluation measured (``evaluation.rankers``),
            # and the picks are known, and shown, before the model has said a word.
            result.candidates = candidates(res, history_ids, plan.profile or "", plan,
                                           self.settings.candidates)
            yield Retrieved(tuple(result.candidates))
        count = min(plan.count or self.settings.recommendations, len(result.candidates))
        selecting = bool(result.candidates) and (
            plan.select if plan.select is not None else res.llm_weight > 0)
        if not selecting:  # the model's choice would weigh 0 in the final order: not asked for
            result.ranking = list(result.candidates)
            yield Ranked(tuple(result.ranking[:count][:explain_count]))
        with _timed(result, "profile"):
            yield from self._profile(res, chat, history, plan, result)
        if not result.candidates:
            result.notices.append(no_candidates_notice(noun, plan.constraints))
            return
        if selecting:
            with _timed(result, "selection"):
                self._select(res, chat, model, count, result)
            yield Ranked(tuple(result.ranking[:count][:explain_count]))
        with _timed(result, "explanation"):
            picks = [res.catalog.get(i) for i in result.ranking[:count][:explain_count]]
            for event in explanation.explain(chat, picks, history, noun, res.checker):
                if isinstance(event, Recommended):
                    result.recommendations.append(event.recommendation)
                yield event
        if model.failed:
            result.notices.append(
                f"The language model did not answer ({model.failure}), so this answer "
                "comes from retrieval alone: the picks are in retrieval order and the "
                "explanations are catalog facts. Send your message again to retry.")

    @staticmethod
    def _profile(res: Domain, chat: PromptConversation, history: list, plan: TurnPlan,
                 result: TurnResult) -> Iterator[Event]:
        """The person's profile, or one the model writes (streamed); either then stands in the
        conversation the selection and the explanations are asked in."""
        noun = res.catalog.noun
        request = render("profile", noun=noun,
                         history="\n".join(history_line(h) for h in history))
        if plan.profile:
            result.profile = plan.profile
        else:
            result.written_profile = yield from write_profile(chat, request, noun, history,
                                                              res.checker)
            result.profile = result.written_profile.text
        yield ProfileDone(result.profile, result.profile_source)
        chat.extend(request, result.profile)

    @staticmethod
    def _select(res: Domain, chat: PromptConversation, model: GuardedModel, count: int,
                result: TurnResult) -> None:
        result.selection = select(chat, res.catalog, result.candidates, count)
        if result.selection.error and not model.failed:
            result.notices.append(
                "The model's choice could not be used, so these follow retrieval order.")
        picked = result.selection.item_ids[: result.selection.from_model]
        result.ranking = fuse_ranking(result.candidates, picked, res.llm_weight)


@contextmanager
def _timed(result: TurnResult, stage: str) -> Iterator[None]:
    clock = time.perf_counter()
    try:
        yield
    finally:
        result.timings[stage] = time.perf_counter() - clock
