"""What linking finds: a ``Mention`` per phrase (the item it names, how sure, the others it may
name) and a message's ``LinkResult``; and the check a message passes before it is read."""

from __future__ import annotations

from dataclasses import dataclass

from recommender.errors import InputError

__all__ = ["Mention", "LinkResult", "check_message"]


@dataclass(frozen=True)
class Mention:
    """A phrase from the input and the item it was linked to (``None``: no item)."""

    text: str
    item_id: str | None
    confidence: float = 0.0
    method: str = "none"
    alternatives: tuple[str, ...] = ()
    """Other items the phrase may name, most likely first (when it is ambiguous)."""

    def ambiguous(self, threshold: float) -> bool:
        """Linked, but below ``threshold`` with other candidates: worth asking about."""
        return self.item_id is not None and bool(self.alternatives) and \
            self.confidence < threshold


@dataclass(frozen=True)
class LinkResult:
    """Everything found in one message."""

    mentions: tuple[Mention, ...]

    @property
    def linked(self) -> tuple[Mention, ...]:
        return tuple(m for m in self.mentions if m.item_id is not None)

    @property
    def unmatched(self) -> tuple[str, ...]:
        return tuple(m.text for m in self.mentions if m.item_id is None)

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Linked ids in input order, without repeats."""
        return tuple(dict.fromkeys(m.item_id for m in self.linked if m.item_id))


def check_message(message: str | None, noun: str, limit: int) -> str:
    """The message, stripped; ``InputError`` when it is empty or longer than ``limit``."""
    text = (message or "").strip()
    if not text:
        raise InputError(
            f"Your message is empty. Type a few {noun}s you liked, separated by commas.")
    if len(text) > limit:
        raise InputError(
            f"Your message is {len(text):,} characters long; the limit is {limit:,}. "
            f"Send a shorter one that names a few {noun}s you liked.")
    return text
