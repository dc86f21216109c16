"""One chat turn, PALR-style: link → profile (LLM) → retrieve (Chroma) → select (LLM, constrained
to the candidates) → explain (LLM, grounded). Wired here, in one place; each step streams events
so the UI can show text as it is produced."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnableGenerator

from .catalog import DOMAINS, Catalog, Item
from .constraints import Constraints
from .diversity import mmr
from .errors import InputError, UnknownDomainError
from .explanation import (Anchor, choose_anchor, facts_line, finish_sentence, history_line,
                          short_title, template_explanation)
from .grounding import GroundingChecker
from .index import ItemIndex
from .linking import LinkResult, Mention, TitleLinker
from .llm import ChatModel
from .prompts import render, step_prompt, to_chat_dicts
from .retrieval import Retriever, Steering
from .selection import (Selection, candidate_line, fuse_ranking, parse_selection,
                        selection_schema)
from .settings import Settings

__all__ = ["Domain", "Recommender", "Recommendation", "TurnResult", "TurnPlan", "Event"]

log = logging.getLogger(__name__)

_PROFILE_TOKENS = 32
_EXPLANATION_TOKENS = 20  # per explanation line
_HISTORY_LIMIT = 20  # PALR and LlamaRec feed the last 20 items to the LLM


@dataclass
class Domain:
    """Everything one catalog needs at query time."""

    catalog: Catalog
    linker: TitleLinker
    index: ItemIndex
    checker: GroundingChecker
    retriever: Retriever
    """Content retrieval, or hybrid (collaborative + content) when a trained model exists."""
    llm_weight: float = 1.0
    """Share of the LLM's order in the final ranking (the rest is retrieval order)."""


@dataclass(frozen=True)
class TurnPlan:
    """What a conversation asks of a turn beyond the history (see ``conversation``)."""

    profile: str | None = None
    """Use this profile (the user's edit, or last turn's for the same history) instead of
    writing one."""
    steer: Steering = field(default_factory=Steering)
    exclude: tuple[str, ...] = ()
    """Never recommend these (disliked items), besides the history."""
    constraints: Constraints = field(default_factory=Constraints)
    """Checked on every candidate, after Chroma's filter, so none that breaks it is shown."""
    count: int | None = None
    """Recommendations to show; the setting's number by default."""
    diversity: float = 0.0
    """0: retrieval order; up to 1: maximal marginal relevance over the candidates."""
    unlike: tuple[str, ...] = ()
    """Items the candidates should differ from too ("something different" from these)."""


@dataclass(frozen=True)
class Recommendation:
    """A pick and its explanation. ``source`` is ``llm``, or ``catalog facts`` when the model's
    explanation was replaced; ``replaced_because`` then says why."""

    item_id: str
    title: str
    explanation: str
    source: str
    anchor_id: str
    unsupported_claims: tuple[str, ...] = ()
    replaced_because: str | None = None


@dataclass
class TurnResult:
    """What one turn produced; ``to_dict`` is the JSON the CLI and the API return."""

    domain: str
    link: LinkResult
    profile: str = ""
    candidates: list[str] = field(default_factory=list)
    ranking: list[str] = field(default_factory=list)
    """Every candidate in the final order (LLM and retrieval fused); the first are shown."""
    recommendations: list[Recommendation] = field(default_factory=list)
    selection: Selection | None = None
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    catalog: Catalog | None = None
    state: object | None = None
    """The conversation state after this turn (``conversation.ConversationState``), if any."""
    detail: dict | None = None
    """A longer explanation of one earlier pick, when that is what was asked."""
    questions: list = field(default_factory=list)
    """``conversation.Question``: titles too ambiguous to use without asking."""
    model_failure: str | None = None
    """Why the LLM gave no usable answer this turn (it raised or timed out); the rest of the
    turn then ran without it: retrieval order and catalog-fact explanations."""

    def to_dict(self) -> dict:
        def title(item_id: str | None) -> str | None:
            return self.catalog.get(item_id).label if item_id and self.catalog else None

        ungrounded = sum(1 for r in self.recommendations if r.unsupported_claims)
        reasons = [r.replaced_because for r in self.recommendations]
        return {
            "domain": self.domain,
            "linked": [
                {"input": m.text, "item_id": m.item_id, "title": title(m.item_id),
                 "confidence": m.confidence, "method": m.method}
                for m in self.link.mentions
            ],
            "profile": self.profile,
            "candidates": list(self.candidates),
            "recommendations": [
                {"id": r.item_id, "title": r.title, "explanation": r.explanation,
                 "explanation_source": r.source, "anchor": title(r.anchor_id),
                 "unsupported_claims": list(r.unsupported_claims),
                 "replaced_because": r.replaced_because}
                for r in self.recommendations
            ],
            "checks": {
                "explanations_checked": len(self.recommendations),
                "explanations_ungrounded": ungrounded,
                "explanations_without_fact": reasons.count(NO_FACT),
                "explanations_from_llm": reasons.count(None),
                **({k: v for k, v in asdict(self.selection).items() if k != "item_ids"}
                   if self.selection else {}),
            },
            "notices": list(self.notices),
            "model_failure": self.model_failure,
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
            **({"detail": self.detail} if self.detail else {}),
            **({"clarify": [
                {"input": q.text, "liked": q.liked,
                 "options": [{"id": i, "title": title(i), "answer": q.answer(title(i))}
                             for i in q.options]}
                for q in self.questions]} if self.questions else {}),
            **({"state": self.state.to_dict()} if self.state is not None else {}),
        }


# Events a turn streams, in order.
@dataclass(frozen=True)
class Linked:
    link: LinkResult


@dataclass(frozen=True)
class ProfileDelta:
    text: str


@dataclass(frozen=True)
class ProfileDone:
    profile: str


@dataclass(frozen=True)
class Retrieved:
    candidates: tuple[str, ...]


@dataclass(frozen=True)
class ExplanationStart:
    position: int
    item: Item


@dataclass(frozen=True)
class ExplanationDelta:
    position: int
    text: str


@dataclass(frozen=True)
class Recommended:
    position: int
    recommendation: Recommendation


@dataclass(frozen=True)
class Finished:
    result: TurnResult


Event = (Linked | ProfileDelta | ProfileDone | Retrieved | ExplanationStart | ExplanationDelta
         | Recommended | Finished)


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

    def domain(self, name: str) -> Domain:
        if name not in self.domains:
            raise UnknownDomainError(name, list(self.domains))
        return self.domains[name]

    def recommend(self, domain: str, message: str | None = None,
                  titles: Sequence[str] | None = None,
                  history_ids: Sequence[str] | None = None,
                  explain: int | None = None, plan: TurnPlan | None = None) -> TurnResult:
        """Run a whole turn and return its result."""
        for event in self.stream(domain, message=message, titles=titles,
                                 history_ids=history_ids, explain=explain, plan=plan):
            if isinstance(event, Finished):
                return event.result
        raise RuntimeError("turn ended without a result")  # pragma: no cover

    def stream(self, domain: str, message: str | None = None,
               titles: Sequence[str] | None = None, history_ids: Sequence[str] | None = None,
               explain: int | None = None, plan: TurnPlan | None = None) -> Iterator[Event]:
        """Run a turn, yielding events as each stage produces them; the last is ``Finished``.

        The history is a free-text ``message``, a list of ``titles``, or catalog ids
        (``history_ids``, oldest first: the evaluation's and the conversation's path).
        ``explain`` limits how many of the recommendations get an explanation (all by
        default); ``plan`` carries what a conversation adds (constraints, dislikes, ...)."""
        plan = plan or TurnPlan()
        started = time.perf_counter()
        res = self.domain(domain)
        noun = res.catalog.noun
        if titles is None and history_ids is None:
            message = self.check_message(message, noun)

        clock = time.perf_counter()
        if history_ids is not None:
            link = LinkResult(tuple(Mention(i, i, 1.0, "id") for i in history_ids
                                    if i in res.catalog))
        elif titles is not None:
            link = res.linker.link_titles(titles)
        else:
            link = res.linker.link_message(message or "")
        result = TurnResult(domain=domain, link=link, catalog=res.catalog)
        result.timings["linking"] = time.perf_counter() - clock
        yield Linked(link)
        if not link.item_ids:
            result.notices.append(f"No {noun} in the catalog matched what you typed.")
            result.timings["total"] = time.perf_counter() - started
            yield Finished(result)
            return

        everything = link.item_ids
        history = [res.catalog.get(i) for i in everything][-_HISTORY_LIMIT:]
        conversation: list[BaseMessage] = [SystemMessage(render("system", noun=noun))]

        # 1. profile
        clock = time.perf_counter()
        profile_values = {"noun": noun, "history": "\n".join(history_line(h) for h in history)}
        if plan.profile:
            result.profile = plan.profile
        else:
            yield from self._write_profile(result, conversation, profile_values)
        if not result.profile:
            result.profile = _fact_profile(history)
        yield ProfileDone(result.profile)
        self._extend(conversation, "profile", profile_values, result.profile)
        result.timings["profile"] = time.perf_counter() - clock

        # 2. retrieval
        clock = time.perf_counter()
        result.candidates = self._candidates(res, everything, result.profile, plan)
        result.timings["retrieval"] = time.perf_counter() - clock
        yield Retrieved(tuple(result.candidates))
        if not result.candidates:
            result.notices.append(
                f"No {noun} outside your history matches {_described(plan.constraints)}. "
                "Lift a filter (say “any year” or “horror is fine again”) or press Reset."
                if not plan.constraints.empty else
                "Retrieval found no candidates outside your history.")
            result.timings["total"] = time.perf_counter() - started
            yield Finished(result)
            return

        # 3. selection
        clock = time.perf_counter()
        count = min(plan.count or self.settings.recommendations, len(result.candidates))
        selection = self._select(conversation, res.catalog, result.candidates, count, result)
        result.selection = selection
        if selection.error and not result.model_failure:
            result.notices.append(
                "The model's choice could not be used, so these follow retrieval order.")
        llm_order = selection.item_ids[: selection.from_model]
        result.ranking = fuse_ranking(result.candidates, llm_order, res.llm_weight)
        result.timings["selection"] = time.perf_counter() - clock

        # 4. explanations
        clock = time.perf_counter()
        shown = result.ranking[:count][:explain]
        picks = [res.catalog.get(i) for i in shown]
        for event in self._explain(picks, history, conversation, res, result):
            if isinstance(event, Recommended):
                result.recommendations.append(event.recommendation)
            yield event
        result.timings["explanation"] = time.perf_counter() - clock
        if result.model_failure:
            result.notices.append(
                f"The language model did not answer ({result.model_failure}), so this answer "
                "comes from retrieval alone: the picks are in retrieval order and the "
                "explanations are catalog facts. Send your message again to retry.")
        result.timings["total"] = time.perf_counter() - started
        yield Finished(result)

    # -- steps -------------------------------------------------------------------------------

    def _write_profile(self, result: TurnResult, conversation: list[BaseMessage],
                       values: dict) -> Iterator[Event]:
        pieces: list[str] = []
        try:
            start = render("profile_opening", noun=values["noun"])
            yield ProfileDelta(start)
            for piece in self._generate("profile", conversation, values, _PROFILE_TOKENS,
                                        prefix=start, stop=("\n", ". ")):
                pieces.append(piece)
                yield ProfileDelta(piece)
            if "".join(pieces).strip():
                result.profile = finish_sentence(start + "".join(pieces))
        except Exception as exc:  # the model failing must not end the turn
            log.exception("profile step failed")
            result.model_failure = model_failure(exc)

    def _candidates(self, res: Domain, history: Sequence[str], profile: str,
                    plan: TurnPlan) -> list[str]:
        """Retrieval under the plan: filtered, steered, checked, then diversified."""
        exclude = [*history, *plan.exclude]
        scored = res.retriever.retrieve(history, profile, self.settings.candidates,
                                        exclude=exclude, steer=plan.steer)
        if not plan.constraints.empty:
            scored = [s for s in scored if plan.constraints.allows(res.catalog.get(s.item_id))]
        if plan.diversity > 0 and len(scored) > 1:
            ids = [s.item_id for s in scored]
            vectors = dict(zip(ids, res.index.vectors(ids)))
            unlike = list(res.index.vectors(list(plan.unlike))) if plan.unlike else []
            scored = mmr(scored, vectors, plan.diversity, unlike)
        return [s.item_id for s in scored]

    def check_message(self, message: str | None, noun: str) -> str:
        text = (message or "").strip()
        if not text:
            raise InputError(
                f"Your message is empty. Type a few {noun}s you liked, separated by commas.")
        limit = self.settings.max_message_chars
        if len(text) > limit:
            raise InputError(
                f"Your message is {len(text):,} characters long; the limit is {limit:,}. "
                f"Send a shorter one that names a few {noun}s you liked.")
        return text

    def _generate(self, step: str, conversation: list[BaseMessage], values: dict,
                  max_tokens: int, json_schema: dict | None = None, prefix: str = "",
                  stop: Sequence[str] = ()) -> Iterator[str]:
        """prompt → model → parser, as a LangChain chain, streamed."""
        model = self.model

        def call_model(prompts: Iterator) -> Iterator[str]:
            for prompt in prompts:
                yield from model.stream(to_chat_dicts(prompt.to_messages()), max_tokens,
                                        json_schema=json_schema, prefix=prefix, stop=stop)

        chain = step_prompt(step) | RunnableGenerator(call_model) | StrOutputParser()
        yield from chain.stream({"conversation": conversation, **values})

    @staticmethod
    def _extend(conversation: list[BaseMessage], step: str, values: dict, reply: str) -> None:
        conversation.append(HumanMessage(render(step, **values)))
        conversation.append(AIMessage(reply))

    def _select(self, conversation: list[BaseMessage], catalog: Catalog,
                candidates: list[str], count: int, result: TurnResult) -> Selection:
        # Titles only: llama.cpp's tokenizer spends a token per digit, so a year costs six tokens
        # and 20 of them most of a second on two cores; the facts come with the explanations.
        lines = [candidate_line(number, short_title(catalog.get(item_id)), "")
                 for number, item_id in enumerate(candidates, 1)]
        values = {"candidates": "\n".join(lines), "count": count}
        schema = selection_schema(len(candidates), count)
        if result.model_failure:
            return Selection(tuple(candidates[:count]), 0, error="model unavailable")
        try:
            text = "".join(self._generate("select", conversation, values, 16 + 4 * count,
                                          json_schema=schema))
        except Exception as exc:
            log.exception("selection step failed")
            result.model_failure = model_failure(exc)
            return Selection(tuple(candidates[:count]), 0, error=f"model error: {exc}")
        selection = parse_selection(text, candidates, count)
        if selection.error:
            log.warning("%s; model said %r", selection.error, text[:200])
        self._extend(conversation, "select", values, text)
        return selection

    def _explain(self, picks: list[Item], history: list[Item], conversation: list[BaseMessage],
                 res: Domain, result: TurnResult) -> Iterator[Event]:
        """One assistant reply, a line per pick; each line's opening is fixed and names a
        history item. The reply only ever grows, so llama.cpp's cache covers all but new text."""
        anchors = [choose_anchor(item, history) for item in picks]
        facts = "\n".join(f"{n}. {facts_line(item)}" for n, item in enumerate(picks, 1))
        values = {"noun": res.catalog.noun, "facts": facts}
        reply = ""
        model_ok = result.model_failure is None
        for position, (item, anchor) in enumerate(zip(picks, anchors)):
            yield ExplanationStart(position, item)
            start = render("explain_opening", anchor=short_title(anchor.item),
                           pick=short_title(item))
            yield ExplanationDelta(position, start)
            pieces: list[str] = []
            if model_ok:
                try:
                    for piece in self._generate("explain", conversation, values,
                                                _EXPLANATION_TOKENS,
                                                prefix=f"{reply}{position + 1}. {start}",
                                                stop=("\n", f" {position + 2}.")):
                        pieces.append(piece)
                        yield ExplanationDelta(position, piece)
                except Exception as exc:
                    log.exception("explanation step failed")
                    result.model_failure = model_failure(exc)
                    model_ok, pieces = False, []
            generated = "".join(pieces)
            reply += f"{position + 1}. {start}{generated}\n"
            recommendation = self._checked(item, anchor, start, generated, history, res.checker)
            yield Recommended(position, recommendation)


    @staticmethod
    def _checked(item: Item, anchor: Anchor, start: str, generated: str, history: list[Item],
                 checker: GroundingChecker) -> Recommendation:
        """Keep the model's explanation only if it is grounded and states a fact of the pick."""
        text = finish_sentence(start + generated) if generated.strip() else ""
        claims = tuple(checker.unsupported_claims(text, item, history)) if text else ()
        if not text:
            reason: str | None = NO_TEXT
        elif claims:
            reason = UNSUPPORTED
        elif not checker.states_a_fact(generated, item):
            reason = NO_FACT
        else:
            return Recommendation(item.item_id, item.label, text, "llm", anchor.item.item_id)
        log.info("explanation for %s replaced (%s): %r", item.item_id, reason, text)
        return Recommendation(item.item_id, item.label, template_explanation(item, anchor),
                              "catalog facts", anchor.item.item_id, claims, reason)


def model_failure(exc: BaseException) -> str:
    """A short account of a model call that failed, for the turn's notice."""
    if isinstance(exc, TimeoutError):
        return str(exc) or "it took too long"
    return f"{type(exc).__name__}: {exc}"[:200]


NO_TEXT = "the model wrote nothing"
UNSUPPORTED = "it claimed something the catalog does not hold"
NO_FACT = "it stated no catalog fact about the pick"


def _fact_profile(history: list[Item]) -> str:
    """A profile from catalog facts alone, for when the model cannot write one."""
    genres: dict[str, int] = {}
    for item in history:
        for genre in item.genres:
            genres[genre] = genres.get(genre, 0) + 1
    top = sorted(genres, key=lambda g: -genres[g])[:3]
    names = ", ".join(short_title(h) for h in history[:3])
    return f"You enjoy {', '.join(top)}, such as {names}." if top else f"You enjoy {names}."


def _described(constraints: Constraints) -> str:
    return " and ".join(constraints.describe())


def domain_labels(names: Sequence[str]) -> dict[str, str]:
    """UI labels of the served domains."""
    return {name: DOMAINS.get(name, name) for name in names}
