"""What a conversational turn answers: the PALR turn's result, wrapped with what the
conversation adds (its reading of the message, questions, a longer explanation, the state)."""

from __future__ import annotations

from dataclasses import dataclass, field

from recommender.conversation.state import ConversationState, Question
from recommender.core.constraints import Constraints
from recommender.core.turn import ExplanationSource, Recommendation, TurnResult

__all__ = ["ConversationResult", "Understood", "Detailed", "Answered"]


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
    source: ExplanationSource


@dataclass
class ConversationResult:
    """One conversational turn's answer; ``to_dict`` is the JSON of the API and the CLI."""

    turn: TurnResult
    state: ConversationState
    notes: list[str] = field(default_factory=list)
    """What the conversation says before the turn's own notices."""
    questions: list[Question] = field(default_factory=list)
    """Titles too ambiguous to use without asking."""
    detail: Detailed | None = None

    @property
    def profile(self) -> str:
        return self.turn.profile

    @property
    def notices(self) -> list[str]:
        return [*self.notes, *self.turn.notices]

    @property
    def recommendations(self) -> list[Recommendation]:
        return self.turn.recommendations

    def to_dict(self) -> dict:
        data = {**self.turn.to_dict(), "notices": self.notices}
        title = self.turn.title
        if self.detail is not None:
            data["detail"] = {"id": self.detail.item_id, "title": title(self.detail.item_id),
                              "text": self.detail.text, "source": str(self.detail.source)}
        if self.questions:
            data["clarify"] = [
                {"input": q.text, "liked": q.liked,
                 **({"taken": {"id": q.taken, "title": title(q.taken)}} if q.taken else {}),
                 "options": [{"id": i, "title": title(i), "answer": q.answer(title(i))}
                             for i in q.options]}
                for q in self.questions]
        data["state"] = self.state.to_dict()
        return data


@dataclass(frozen=True)
class Answered:
    """The last event of a conversational turn."""

    result: ConversationResult
