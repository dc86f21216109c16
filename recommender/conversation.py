"""A conversation across turns: what the user liked, disliked and asked for is remembered in a
``ConversationState`` (a JSON document the UI keeps per browser session and the API takes and
returns), and every message is read (``requests``) and turned into a turn plan.

Liked items are the history retrieval and the LLM read; disliked ones are never recommended and
push retrieval away from what resembles them; constraints hold until lifted; "more like the
second one" focuses retrieval on that item; "something different" diversifies away from the
last answer; "why the third one?" explains that pick at length.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from .constraints import ConstraintChange, Constraints
from .errors import InputError
from .explanation import (choose_anchor, detailed_template, facts_line, finish_sentence,
                          history_line, short_title)
from .linking import LinkResult, Mention
from .pipeline import (Domain, Event, ExplanationDelta, Finished, Linked, Recommender,
                       TurnPlan, TurnResult, model_failure)
from .prompts import render
from .requests import Request, parse_rules, parse_with_model
from .retrieval import Steering

__all__ = ["ConversationState", "Understood", "Detailed", "Question", "converse",
           "ASK_BELOW", "DIFFERENT_DIVERSITY"]

log = logging.getLogger(__name__)

STATE_VERSION = 1
MAX_ITEMS = 500
"""Most liked or disliked items a state may hold (a longer one is refused, not cut)."""
ASK_BELOW = 0.7
"""A title linked with less confidence than this, to one of several items, is asked about
("did you mean …?") rather than used."""
DIFFERENT_DIVERSITY = 0.6
"""Diversity of a "something different" turn when the setting is lower."""
_WHY_TOKENS = 60


@dataclass
class ConversationState:
    """Everything one conversation remembers; ``to_dict``/``from_dict`` round-trip it as JSON."""

    domain: str
    liked: list[str] = field(default_factory=list)
    """Item ids, oldest first: the history."""
    disliked: list[str] = field(default_factory=list)
    constraints: Constraints = field(default_factory=Constraints)
    profile: str = ""
    profile_edited: bool = False
    """The user wrote the profile: it is used as it is until they clear it or reset."""
    profile_for: list[str] = field(default_factory=list)
    """The liked items the current profile was written for (a new one is written when they
    change, unless the user edited it)."""
    shown: list[str] = field(default_factory=list)
    """The last answer's recommendations, in order ("the second one")."""
    count: int = 5
    diversity: float = 0.0

    def to_dict(self) -> dict:
        return {"version": STATE_VERSION, "domain": self.domain, "liked": list(self.liked),
                "disliked": list(self.disliked), "constraints": self.constraints.to_dict(),
                "profile": self.profile, "profile_edited": self.profile_edited,
                "profile_for": list(self.profile_for), "shown": list(self.shown),
                "count": self.count, "diversity": self.diversity}

    @classmethod
    def from_dict(cls, data: object, recommender: Recommender) -> ConversationState:
        """Read a state a client sent back; ``InputError`` says which field is wrong."""
        if not isinstance(data, dict):
            raise InputError("The conversation state must be a JSON object, as returned in "
                             "the previous answer's \"state\".")
        version = data.get("version", STATE_VERSION)
        if version != STATE_VERSION:
            raise InputError(f"Conversation state version {version!r} is not supported; "
                             f"send the state this server returned (version {STATE_VERSION}), "
                             "or none to start a new conversation.")
        domain = data.get("domain")
        if not isinstance(domain, str) or domain not in recommender.domains:
            raise InputError(f"state.domain must be one of: {', '.join(recommender.domains)}.")
        catalog = recommender.domain(domain).catalog
        lists = {}
        for key in ("liked", "disliked", "shown", "profile_for"):
            values = data.get(key, [])
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise InputError(f"state.{key} must be a list of item ids (strings).")
            if len(values) > MAX_ITEMS:
                raise InputError(f"state.{key} holds {len(values)} items; the limit is "
                                 f"{MAX_ITEMS}.")
            unknown = [v for v in values if v not in catalog]
            if unknown:
                raise InputError(f"state.{key} has ids not in the {domain} catalog: "
                                 f"{', '.join(unknown[:5])}.")
            lists[key] = list(values)
        try:
            constraints = Constraints.from_dict(data.get("constraints") or {}, catalog.genres)
        except (ValueError, AttributeError) as exc:
            raise InputError(f"state.{exc}" if isinstance(exc, ValueError)
                             else "state.constraints must be an object.") from None
        profile = data.get("profile", "")
        if not isinstance(profile, str) or len(profile) > recommender.settings.max_message_chars:
            raise InputError("state.profile must be text of at most "
                             f"{recommender.settings.max_message_chars:,} characters.")
        count = data.get("count", recommender.settings.recommendations)
        if not isinstance(count, int) or isinstance(count, bool) or not \
                1 <= count <= recommender.settings.candidates:
            raise InputError(f"state.count must be a whole number from 1 to "
                             f"{recommender.settings.candidates}.")
        diversity = data.get("diversity", 0.0)
        if not isinstance(diversity, (int, float)) or isinstance(diversity, bool) or not \
                0.0 <= diversity <= 1.0:
            raise InputError("state.diversity must be a number from 0 to 1.")
        return cls(domain=domain, constraints=constraints, profile=profile,
                   profile_edited=bool(data.get("profile_edited", False)), count=count,
                   diversity=float(diversity), **lists)

    def fresh(self, domain: str | None = None) -> ConversationState:
        """A new conversation keeping only the controls (count and diversity)."""
        return ConversationState(domain=domain or self.domain, count=self.count,
                                 diversity=self.diversity)

    def like(self, item_id: str) -> None:
        if item_id in self.disliked:
            self.disliked.remove(item_id)
        if item_id not in self.liked:
            self.liked.append(item_id)

    def dislike(self, item_id: str) -> None:
        if item_id in self.liked:
            self.liked.remove(item_id)
        if item_id not in self.disliked:
            self.disliked.append(item_id)

    def edit_profile(self, text: str) -> None:
        """The user's own profile; empty text hands it back to the model."""
        self.profile = " ".join(text.split())
        self.profile_edited = bool(self.profile)
        if not self.profile_edited:
            self.profile_for = []


@dataclass(frozen=True)
class Question:
    """"Did you mean …?" about one phrase: the items it may name, likeliest first, and whether
    the user said they liked or disliked it."""

    text: str
    options: tuple[str, ...]
    liked: bool = True

    def answer(self, label: str) -> str:
        """The message that picks ``label``: sent when the user clicks it."""
        return label if self.liked else f"I didn't like {label}"


@dataclass(frozen=True)
class Understood:
    """What a message changed, for the chat to confirm: new likes and dislikes (ids) and the
    constraints now in force."""

    liked: tuple[str, ...]
    disliked: tuple[str, ...]
    constraints: Constraints
    notes: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()
    acted: bool = False
    """The message asked for something besides titles (a filter, a reference, a reset)."""
    constraints_changed: bool = False


@dataclass(frozen=True)
class Detailed:
    """A longer explanation of one shown item ("why the third one?")."""

    item_id: str
    text: str
    source: str


def converse(recommender: Recommender, state: ConversationState, message: str | None,
             domain: str | None = None) -> Iterator[Event | Understood | Detailed]:
    """One conversational turn. ``state`` is updated in place; the last event is ``Finished``
    with ``result.state`` set. Switching ``domain`` starts a new conversation there. An empty
    message recommends again from what the state holds (when it holds liked items)."""
    if domain is not None and domain != state.domain:
        recommender.domain(domain)  # unknown domain: a clear error before anything changes
        _replace_all(state, state.fresh(domain))
    res = recommender.domain(state.domain)
    started = time.perf_counter()
    if not (message or "").strip() and state.liked:
        request = Request()  # recommend again from the state (after likes, an edited profile)
    else:
        request = _read(recommender, res, recommender.check_message(message, res.catalog.noun))
    if request.reset:
        _replace_all(state, state.fresh())
        result = TurnResult(domain=state.domain, link=LinkResult(()), catalog=res.catalog,
                            state=state)
        result.notices.append("Started over: likes, dislikes and filters are cleared.")
        yield Understood((), (), state.constraints, acted=True, constraints_changed=True)
        yield Finished(result)
        return

    before = state.constraints
    link, liked, disliked, notes, questions = _apply(request, state, res)
    acted = (request.change != ConstraintChange() or request.more_like is not None
             or request.why is not None or request.different or bool(questions)
             or bool(request.liked_positions or request.disliked_positions))
    understood = Understood(tuple(liked), tuple(disliked), state.constraints, tuple(notes),
                            tuple(questions), acted, before != state.constraints)
    yield Linked(link)
    yield understood

    if request.why is not None:
        yield from _why(recommender, res, state, request.why, started, notes)
        return
    if not state.liked:
        result = TurnResult(domain=state.domain, link=link, catalog=res.catalog, state=state,
                            questions=questions)
        noun = res.catalog.noun
        result.notices.extend(notes)
        if questions:
            result.notices.append("Pick the one you meant, and I will recommend from there.")
        elif not (acted or liked or disliked):
            result.notices.append(f"No {noun} in the catalog matched what you typed.")
        else:
            result.notices.append(f"Tell me a few {noun}s you liked, and I will recommend from "
                                  "there" + (" with your filters." if not state.constraints.empty
                                             else "."))
        result.timings["total"] = time.perf_counter() - started
        yield Finished(result)
        return

    focus = _shown_at(state, request.more_like)
    different = request.different
    plan = TurnPlan(
        profile=state.profile if (state.profile_edited or state.profile_for == state.liked)
        and state.profile else None,
        steer=Steering(where=state.constraints.where(), avoid=tuple(state.disliked),
                       focus=focus),
        exclude=tuple(state.disliked) + ((focus,) if focus else ())
        + (tuple(state.shown) if different else ()),
        constraints=state.constraints, count=state.count,
        diversity=max(state.diversity, DIFFERENT_DIVERSITY) if different else state.diversity,
        unlike=tuple(state.shown) if different else ())
    for event in recommender.stream(state.domain, history_ids=state.liked, plan=plan):
        if isinstance(event, Linked):
            continue  # this turn's own linking was shown above
        if isinstance(event, Finished):
            result = event.result
            result.link = link
            result.state = state
            result.questions = questions
            if result.profile and not state.profile_edited:
                state.profile, state.profile_for = result.profile, list(state.liked)
            if result.recommendations:
                state.shown = [r.item_id for r in result.recommendations]
            result.notices[:0] = notes
            result.timings["total"] = time.perf_counter() - started
        yield event


def _replace_all(state: ConversationState, new: ConversationState) -> None:
    for name in new.__dataclass_fields__:
        setattr(state, name, getattr(new, name))


def _read(recommender: Recommender, res: Domain, text: str) -> Request:
    genres = res.catalog.genres
    latest = res.catalog.latest_year
    if not recommender.settings.model_reads_requests:
        return parse_rules(text, genres, latest)
    return parse_with_model(text, genres, latest, request_model_call(recommender, res))


def request_model_call(recommender: Recommender, res: Domain) -> Callable[[str, dict], str]:
    """The model's reading of a message: its JSON text under the given schema."""
    def ask_model(message: str, schema: dict) -> str:
        noun = res.catalog.noun
        messages = [{"role": "system", "content": render("system", noun=noun)},
                    {"role": "user", "content": render(
                        "understand", message=message, noun=noun,
                        genres=", ".join(res.catalog.genres) or "(this catalog has no genres)")}]
        return "".join(recommender.model.stream(messages, 96, json_schema=schema))

    return ask_model


def _apply(request: Request, state: ConversationState, res: Domain
           ) -> tuple[LinkResult, list[str], list[str], list[str], list[Question]]:
    """Update the state with what the message said; returns this turn's linking, the ids newly
    liked and disliked, notes for the user, and questions about ambiguous titles."""
    catalog = res.catalog
    notes: list[str] = []
    questions: list[Question] = []
    mentions: list[Mention] = []
    liked: list[str] = []
    disliked: list[str] = []
    for phrases, positions, target in ((request.liked_text, request.liked_positions, liked),
                                       (request.disliked_text, request.disliked_positions,
                                        disliked)):
        for phrase in phrases:
            for mention in res.linker.link_message(phrase).mentions:
                if mention.ambiguous(ASK_BELOW):
                    questions.append(Question(mention.text, (mention.item_id,
                                                             *mention.alternatives),
                                              liked=target is liked))
                    continue
                mentions.append(mention)
                if mention.item_id:
                    target.append(mention.item_id)
        for position in positions:
            item = _shown_at(state, position)
            if item:
                target.append(item)
            else:
                notes.append(_no_such_position(position, state))
    for item_id in liked:
        state.like(item_id)
    for item_id in disliked:
        state.dislike(item_id)
    for reference in (request.more_like, request.why):
        if reference is not None and _shown_at(state, reference) is None:
            notes.append(_no_such_position(reference, state))

    change = request.change
    wanted_genres = {*change.include_genres, *change.exclude_genres}
    if wanted_genres and not catalog.genres:
        notes.append(f"This catalog has no genres, so “{', '.join(sorted(wanted_genres))}” "
                     "cannot be used as a filter.")
        change = replace(change, include_genres=(), exclude_genres=())
    if (change.year_min is not None or change.year_max is not None) and \
            catalog.latest_year is None:
        notes.append("This catalog has no years, so the year range cannot be used as a filter.")
        change = replace(change, year_min=None, year_max=None)
    if change.year_min is not None and change.year_max is not None and \
            change.year_min > change.year_max:
        notes.append(f"The years asked for ({change.year_min} to {change.year_max}) leave "
                     "nothing between them; the year filter is unchanged.")
        change = replace(change, year_min=None, year_max=None)
    state.constraints = change.applied_to(state.constraints)
    return LinkResult(tuple(mentions)), list(dict.fromkeys(liked)), \
        list(dict.fromkeys(disliked)), notes, questions


def _shown_at(state: ConversationState, position: int | None) -> str | None:
    if position is None or not state.shown:
        return None
    if position == -1:
        return state.shown[-1]
    return state.shown[position - 1] if 1 <= position <= len(state.shown) else None


def _no_such_position(position: int, state: ConversationState) -> str:
    if not state.shown:
        return "There is no earlier answer to refer to yet; name a title instead."
    return (f"The last answer had {len(state.shown)} recommendations, so there is no "
            f"number {position}.")


def _why(recommender: Recommender, res: Domain, state: ConversationState, position: int,
         started: float, notes: list[str]) -> Iterator[Event | Detailed]:
    """A longer explanation of a shown item, from the model and checked like the short ones;
    catalog facts when the model's cannot be used."""
    result = TurnResult(domain=state.domain, link=LinkResult(()), catalog=res.catalog,
                        state=state, profile=state.profile, notices=list(notes))
    item_id = _shown_at(state, position)
    if item_id is None:
        result.timings["total"] = time.perf_counter() - started
        yield Finished(result)
        return
    item = res.catalog.get(item_id)
    history = [res.catalog.get(i) for i in state.liked][-20:]
    anchor = choose_anchor(item, history)
    opening = render("why_opening", pick=short_title(item))
    text, source = "", "catalog facts"
    try:
        prompt = render("why", noun=res.catalog.noun, pick=short_title(item),
                        facts=facts_line(item),
                        history="\n".join(history_line(h) for h in history),
                        profile=state.profile or "(none yet)")
        pieces = []
        chat = [{"role": "system", "content": render("system", noun=res.catalog.noun)},
                {"role": "user", "content": prompt}]
        for piece in recommender.model.stream(chat, _WHY_TOKENS, prefix=opening, stop=("\n",)):
            pieces.append(piece)
            yield ExplanationDelta(0, piece)
        generated = "".join(pieces)
        candidate = finish_sentence(opening + generated)
        if generated.strip() and not res.checker.unsupported_claims(candidate, item, history) \
                and res.checker.states_a_fact(generated, item):
            text, source = candidate, "llm"
    except Exception as exc:
        log.exception("why step failed")
        result.model_failure = model_failure(exc)
        result.notices.append(f"The language model did not answer ({result.model_failure}), "
                              "so this explanation is built from catalog facts.")
    if not text:
        text = detailed_template(item, anchor, history)
    yield Detailed(item_id, text, source)
    result.detail = {"id": item_id, "title": item.label, "text": text, "source": source}
    result.timings["total"] = time.perf_counter() - started
    yield Finished(result)

