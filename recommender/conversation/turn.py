"""A conversational turn: the message is read (``reading``) and applied to the
``ConversationState``, words become catalog ids here, once, and the PALR core runs on those
ids under a plan built from the state.

Liked items are the history retrieval and the LLM read; disliked ones are never recommended and
push retrieval away from what resembles them; constraints hold until lifted; "more like the
second one" focuses retrieval on that item; "something different" diversifies away from the
last answer; "why the third one?" explains that pick at length.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator

from recommender.conversation.applying import Applied, apply_request
from recommender.conversation.reading import Request, parse_rules, parse_with_model
from recommender.conversation.result import Answered, ConversationResult, Detailed, Understood
from recommender.conversation.state import (
    ASK_BELOW,
    DIFFERENT_DIVERSITY,
    ConversationState,
    Question,
)
from recommender.conversation.why import explain_at_length
from recommender.core.domain import Domain
from recommender.core.linking import LinkResult
from recommender.core.pipeline import Recommender
from recommender.core.retrieval import Steering
from recommender.core.turn import Event, Finished, Linked, TurnPlan, TurnResult
from recommender.models.chat import ChatModel, complete
from recommender.models.chat import Request as ModelRequest  # not the reading's Request
from recommender.models.prompting import GuardedModel
from recommender.models.prompts import render

__all__ = ["ConversationState", "Understood", "Detailed", "Question", "Answered",
           "ConversationResult", "converse", "answer", "first_answer", "new_conversation", "request_model_call", "ASK_BELOW", "DIFFERENT_DIVERSITY"]

TurnEvent = Event | Understood | Detailed | Answered


def answer(recommender: Recommender, state: ConversationState, message: str | None,
           domain: str | None = None) -> ConversationResult:
    """Run ``converse`` to its end and return the answer."""
    for event in converse(recommender, state, message, domain):
        if isinstance(event, Answered):
            return event.result
    raise RuntimeError("turn ended without an answer")  # pragma: no cover


def first_answer(recommender: Recommender, domain: str,
                 message: str | None) -> ConversationResult:
    """A new conversation's answer to ``message`` in ``domain`` (the benchmark's turn, and the
    CLI's without a saved state)."""
    return answer(recommender, new_conversation(recommender, domain), message)


def new_conversation(recommender: Recommender, domain: str) -> ConversationState:
    """A conversation with nothing said yet, with the settings' number of picks."""
    return ConversationState(domain=domain, count=recommender.settings.recommendations)


def converse(recommender: Recommender, state: ConversationState, message: str | None,
             domain: str | None = None) -> Iterator[TurnEvent]:
    """One conversational turn from ``state`` and ``message`` to a new state: the last event is
    ``Answered``, whose result holds the new state; ``state`` itself is left as it was, so a turn
    that fails midway changes nothing. Switching ``domain`` starts a new conversation there. An
    empty message recommends again from what the state holds (when it holds liked items)."""
    if domain is not None and domain != state.domain:
        recommender.domain(domain)  # unknown domain: a clear error before anything changes
        state = state.fresh(domain)
    else:
        state = copy.deepcopy(state)
    res = recommender.domain(state.domain)
    started = time.perf_counter()
    if not (message or "").strip() and state.liked:
        request = Request()  # recommend again from the state (after likes, an edited profile)
    else:
        request = _read(recommender, res, recommender.check_message(message, res.catalog.noun))
    if request.reset:
        state = state.fresh()
        yield Understood((), (), state.constraints, acted=True, constraints_changed=True)
        turn = TurnResult(state.domain, LinkResult(()), catalog=res.catalog)
        yield Answered(ConversationResult(
            turn, state, ["Started over: likes, dislikes and filters are cleared."]))
        return
    applied = apply_request(request, state, res)
    linking = time.perf_counter() - started
    yield Linked(applied.link)
    yield applied.understood(state.constraints)
    if request.why is not None:
        yield from _why(recommender.model, res, state, request.why, started, applied)
    elif not state.liked:
        yield Answered(_nothing_to_recommend(res, state, applied, started))
    else:
        yield from _recommend(recommender, state, applied, linking, started)


def _recommend(recommender: Recommender, state: ConversationState, applied: Applied,
               linking: float, started: float) -> Iterator[TurnEvent]:
    """The PALR turn on the state's ids; the state then remembers its profile and picks."""
    products = recommender.domain(state.domain).catalog.kind == "products"
    named = tuple(o for q in applied.questions if q.taken for o in q.options) if products else ()
    for event in recommender.run(state.domain, state.liked, _plan(state, applied.request, named),
                                 link=applied.link, timings={"linking": linking},
                                 started=started):
        if not isinstance(event, Finished):
            yield event
            continue
        turn = event.result
        if turn.profile and not state.profile_edited:
            state.profile, state.profile_for = turn.profile, list(state.liked)
        if turn.recommendations:
            state.shown = [r.item_id for r in turn.recommendations]
        yield Answered(ConversationResult(turn, state, applied.notes, applied.questions))


def _plan(state: ConversationState, request: Request, named: tuple[str, ...] = ()) -> TurnPlan:
    """What the state asks of the PALR turn. ``named``: the other sizes and shades of a
    product this message named and the turn took at once; they are offered beside the
    answer, so they are not recommended back."""
    focus = state.shown_at(request.more_like)
    different = request.different
    keep_profile = state.profile and (state.profile_edited or state.profile_for == state.liked)
    return TurnPlan(
        profile=state.profile if keep_profile else None,
        steer=Steering(where=state.constraints.where(), avoid=tuple(state.disliked),
                       focus=focus),
        exclude=tuple(state.disliked) + ((focus,) if focus else ())
        + (tuple(state.shown) if different else ()) + named,
        constraints=state.constraints, count=state.count,
        diversity=max(state.diversity, DIFFERENT_DIVERSITY) if different else state.diversity,
        unlike=tuple(state.shown) if different else ())


def _nothing_to_recommend(res: Domain, state: ConversationState, applied: Applied,
                          started: float) -> ConversationResult:
    """No liked items yet: say what to do next."""
    noun = res.catalog.noun
    turn = TurnResult(state.domain, applied.link, catalog=res.catalog)
    if applied.questions:
        turn.notices.append("Pick the one you meant, and I will recommend from there.")
    elif not (applied.acted or applied.liked or applied.disliked):
        turn.notices.append(f"No {noun} in the catalog matched what you typed.")
    else:
        turn.notices.append(f"Tell me a few {noun}s you liked, and I will recommend from "
                            "there" + (" with your filters." if not state.constraints.empty
                                       else "."))
    turn.timings["total"] = time.perf_counter() - started
    return ConversationResult(turn, state, applied.notes, applied.questions)


def _why(model: ChatModel, res: Domain, state: ConversationState, position: int, started: float,
         applied: Applied) -> Iterator[TurnEvent]:
    turn = TurnResult(state.domain, LinkResult(()), catalog=res.catalog, profile=state.profile)
    result = ConversationResult(turn, state, applied.notes)
    item_id = state.shown_at(position)
    if item_id is not None:
        guarded = GuardedModel(model)
        result.detail = yield from explain_at_length(guarded, res, state, item_id)
        yield result.detail
        if guarded.failed:
            turn.model_failure = guarded.failure
            turn.notices.append(f"The language model did not answer ({guarded.failure}), "
                                "so this explanation is built from catalog facts.")
    turn.timings["total"] = time.perf_counter() - started
    yield Answered(result)


def _read(recommender: Recommender, res: Domain, text: str) -> Request:
    genres = res.catalog.genres
    latest = res.catalog.latest_year
    if not recommender.settings.model_reads_requests:
        return parse_rules(text, genres, latest)
    return parse_with_model(text, genres, latest, request_model_call(recommender, res))


def request_model_call(recommender: Recommender, res: Domain):
    """The model's reading of a message: its JSON text under the given schema."""
    def ask_model(message: str, schema: dict) -> str:
        noun = res.catalog.noun
        messages = [{"role": "system", "content": render("system", noun=noun)},
                    {"role": "user", "content": render(
                        "understand", message=message, noun=noun,
                        genres=", ".join(res.catalog.genres) or "(this catalog has no genres)")}]
        return complete(recommender.model, ModelRequest(messages, 96, json_schema=schema))

    return ask_model
