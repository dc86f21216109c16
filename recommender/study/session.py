"""A participant's path through a study: consent → history → rated recommendations, round
after round → completion code.

The event log is the only record: a participant's place is what their logged events say, so a
reload, or a server restarted after a crash, resumes exactly where the last acknowledged
answer left them. Every condition gets the same model, candidates and order; the pipeline even
writes the LLM explanation for every condition, so that all wait as long. Only the explanation
shown differs."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from recommender.core.facts import shared_features
from recommender.core.pipeline import Recommender
from recommender.core.turn import TurnPlan, TurnResult
from recommender.models.prompts import PROMPT_DIR, PROMPT_NAMES

from ..catalog import Item
from ..errors import InputError
from .assignment import balanced_condition, condition_from_link
from .config import Question, Study
from .log import EventLog, Transaction

__all__ = ["Participant", "ShownItem", "StudyRunner", "prompt_version", "UNKNOWN_PARTICIPANT"]

CONSENT, HISTORY, RATE, DONE = "consent", "history", "rate", "done"


@dataclass(frozen=True)
class ShownItem:
    """One recommendation as a participant sees it."""

    item_id: str
    title: str
    facts: str
    explanation: str | None
    """``None`` in the ``none`` condition."""


@dataclass
class Participant:
    """Where one participant is, rebuilt from their logged events."""

    id: str
    condition: str
    stage: str = CONSENT
    round: int = 1
    shown: tuple[ShownItem, ...] = ()
    """This round's recommendations, in the order shown."""
    history_text: str = ""
    seen: list[str] = field(default_factory=list)
    """Every item shown in earlier rounds: never shown again."""


def prompt_version() -> str:
    """A hash of every prompt template, logged so analyses can tell prompt versions apart."""
    digest = hashlib.sha256()
    for name in PROMPT_NAMES:
        digest.update(name.encode())
        digest.update((PROMPT_DIR / f"{name}.txt").read_bytes())
    return digest.hexdigest()[:12]


class StudyRunner:
    """Runs one study for many participants over one recommender and one event log."""

    def __init__(self, study: Study, recommender: Recommender, log: EventLog) -> None:
        recommender.domain(study.domain)  # an unknown domain fails at start, not mid-study
        self.study, self.recommender, self.log = study, recommender, log
        self._lock = threading.Lock()
        self._people: dict[str, Participant] = {}
        self._joined = 0
        self._versions = {"model": recommender.model.name, "prompt_version": prompt_version(),
                          "study": study.id, "study_sha256": study.digest}
        log.check_writable()
        with self._lock:
            self._catch_up()

    # -- reading ---------------------------------------------------------------------------

    def participant(self, participant_id: str | None) -> Participant | None:
        """The participant with this id, or ``None`` for an unknown (or no) id."""
        with self._lock:
            self._catch_up()
            return self._copy(participant_id) if participant_id in self._people else None

    # -- actions ---------------------------------------------------------------------------

    def join(self, link_condition: str | None = None) -> Participant:
        """A new participant with a random id, assigned a condition (the next slot of all
        the processes writing this log)."""
        with self._lock, self._writing() as log:
            if self.study.assignment == "url":
                condition, slot = condition_from_link(link_condition, self.study.conditions), None
            else:
                slot = self._joined
                condition = balanced_condition(slot, self.study.conditions, self.study.seed)
            participant_id = secrets.token_hex(16)
            self._record(log, {"event": "joined", "participant": participant_id,
                          "condition": condition, "assignment": self.study.assignment,
                          "slot": slot, **self._versions})
            return self._copy(participant_id)

    def consent(self, participant_id: str) -> Participant:
        with self._lock, self._writing() as log:
            person = self._known(participant_id)
            if person.stage == CONSENT:
                self._record(log, {"event": "consented", "participant": person.id})
            return self._copy(person.id)

    def submit_history(self, participant_id: str, text: str) -> Participant:
        """Link the titles, recommend under the participant's condition, log what is shown."""
        person = self.participant(participant_id)
        if person is None:
            raise InputError(UNKNOWN_PARTICIPANT)
        if person.stage != HISTORY:
            return person  # a second click, or an old tab: nothing to do
        result = self._recommend(person, text)
        with self._lock, self._writing() as log:
            current = self._known(participant_id)
            if current.stage != HISTORY or current.round != person.round:
                return self._copy(current.id)
            self._record(log, self._shown_event(current, text, result))
            return self._copy(current.id)

    def submit_ratings(self, participant_id: str, round_number: int,
                       item_ratings: Mapping[str, Mapping[str, object]],
                       round_ratings: Mapping[str, object], comment: str = "") -> Participant:
        """Record this round's answers; every rating is required (the comment is not)."""
        with self._lock, self._writing() as log:
            person = self._known(participant_id)
            if person.stage != RATE or person.round != round_number:
                return self._copy(person.id)  # already recorded: a second click
            missing: list[str] = []
            rows = []
            for position, item in enumerate(person.shown, 1):
                answers = item_ratings.get(item.item_id, {})
                for question in self.study.item_questions:
                    value = _rating(answers.get(question.id), question)
                    if value is None:
                        missing.append(f"“{question.text}” for {item.title}")
                    rows.append({"item_id": item.item_id, "position": position,
                                 "question": question.id, "value": value})
            round_rows = []
            for question in self.study.round_questions:
                value = _rating(round_ratings.get(question.id), question)
                if value is None:
                    missing.append(f"“{question.text}”")
                round_rows.append({"question": question.id, "value": value})
            if missing:
                more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
                raise InputError(f"Please answer every question before going on. Still open: "
                                 f"{missing[0]}{more}.")
            finished = person.round >= self.study.rounds
            self._record(log, {"event": "rated", "participant": person.id, "round": person.round,
                          "condition": person.condition, "ratings": rows,
                          "round_ratings": round_rows, "comment": (comment or "").strip()[:2000]})
            if finished:
                self._record(log, {"event": "completed", "participant": person.id,
                              "completion_code": self.study.completion_code})
            return self._copy(person.id)

    # -- the recommendation ----------------------------------------------------------------

    def _recommend(self, person: Participant, text: str) -> TurnResult:
        study, recommender = self.study, self.recommender
        res = recommender.domain(study.domain)
        text = recommender.check_message(text, res.catalog.noun)
        link = res.linker.link_message(text)
        found = link.item_ids
        if len(found) < study.min_titles:
            noun = res.catalog.noun
            named = ", ".join(res.catalog.get(i).label for i in found)
            missed = f" We did not find: {', '.join(link.unmatched[:5])}." if link.unmatched \
                else ""
            raise InputError(
                f"Please name at least {study.min_titles} {noun}s we can find in the catalog; "
                f"we found {len(found)}" + (f" ({named})" if named else "") + f".{missed} "
                "Check the spelling, or add more titles separated by commas.")
        plan = TurnPlan(exclude=tuple(person.seen), count=study.recommendations)
        return recommender.recommend(study.domain, history_ids=found, plan=plan)

    def _shown_event(self, person: Participant, text: str, result: TurnResult) -> dict:
        catalog = self.recommender.domain(self.study.domain).catalog
        history = [catalog.get(i) for i in result.link.item_ids]
        items = []
        for position, rec in enumerate(result.recommendations, 1):
            item = catalog.get(rec.item_id)
            texts = {"none": None, "generic": self.study.generic_text,
                     "llm": rec.explanation,
                     "features": shared_features(item, history, catalog=catalog)}
            items.append({"item_id": item.item_id, "title": item.label, "position": position,
                          "facts": _facts(item), "explanation": texts[person.condition],
                          "llm_explanation_source": rec.source, "explanations": texts})
        if not items:
            raise InputError("No recommendations could be made from those titles. Please name "
                             "a few other ones.")
        return {"event": "shown", "participant": person.id, "round": person.round,
                "condition": person.condition, "history_text": text,
                "history": list(result.link.item_ids), "profile": result.profile,
                "candidates": list(result.candidates), "order": [i["item_id"] for i in items],
                "items": items, "seconds": round(result.timings.get("total", 0.0), 2),
                **self._versions}

    # -- replaying the log -----------------------------------------------------------------

    def _catch_up(self) -> None:
        """Apply what any process appended to the log since this one last looked."""
        for event in self.log.read_new():
            self._apply(event)

    @contextmanager
    def _writing(self) -> Iterator[Transaction]:
        """The log held for writing, with this runner caught up on everything in it."""
        with self.log.transaction() as log:
            for event in log.new:
                self._apply(event)
            yield log

    def _record(self, log: Transaction, event: dict) -> None:
        """Log first (raises when the disk refuses: nothing changes), then apply."""
        self._apply(log.append(event))

    def _apply(self, event: dict) -> None:
        kind, pid = event.get("event"), event.get("participant")
        if kind == "joined":
            self._people[pid] = Participant(pid, event["condition"])
            if event.get("slot") is not None:
                self._joined = max(self._joined, int(event["slot"]) + 1)
            return
        person = self._people.get(pid)
        if person is None:
            return
        if kind == "consented":
            person.stage = HISTORY
        elif kind == "shown":
            person.stage, person.history_text = RATE, event["history_text"]
            person.shown = tuple(ShownItem(i["item_id"], i["title"], i["facts"], i["explanation"])
                                 for i in event["items"])
        elif kind == "rated":
            person.seen += [i.item_id for i in person.shown]
            person.shown, person.round, person.stage = (), event["round"] + 1, HISTORY
        elif kind == "completed":
            person.stage, person.round = DONE, self.study.rounds

    def _known(self, participant_id: str | None) -> Participant:
        person = self._people.get(participant_id or "")
        if person is None:
            raise InputError(UNKNOWN_PARTICIPANT)
        return person

    def _copy(self, participant_id: str) -> Participant:
        person = self._people[participant_id]
        return replace(person, seen=list(person.seen))


UNKNOWN_PARTICIPANT = ("We could not find your place in this study. Please open the study link again; if "
            "you had already started, tell the researcher.")


def _rating(value: object, question: Question) -> int | None:
    """A whole number on the question's scale, or ``None`` when unanswered or off the scale."""
    if isinstance(value, bool):
        return None
    try:
        number = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if isinstance(value, float) and value != number:
        return None
    return number if 1 <= number <= question.points else None


def _facts(item: Item) -> str:
    parts = [", ".join(item.genres)] if item.genres else []
    if item.year:
        parts.append(str(item.year))
    return " · ".join(parts)
