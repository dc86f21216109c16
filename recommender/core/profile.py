"""PALR step 1: the model writes the user's taste profile from their history. It is checked like
an explanation: a claim no history item supports ("You enjoy westerns and horror" when none is
a horror film), or a profile naming no fact of any history item, is replaced by one built from
catalog facts, as is an empty one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Sequence

from recommender.catalog import Catalog, Item
from recommender.core.fact_phrases import taste_phrase
from recommender.core.facts import finished_reply, short_title, unsubsumed
from recommender.core.grounding import GroundingChecker
from recommender.core.turn import (
    NO_HISTORY_FACT,
    NO_TEXT,
    REPEATED,
    UNSUPPORTED,
    Event,
    ExplanationSource,
    Profile,
    ProfileDelta,
)
from recommender.models.chat import Guards
from recommender.models.prompting import PromptConversation
from recommender.models.prompts import render
from recommender.vocabulary.fact_kinds import Fact
from recommender.vocabulary import product_types

__all__ = ["PROFILE_TOKENS", "write_profile", "checked_profile", "fact_profile", "shared_taste"]

PROFILE_TOKENS = 32


def write_profile(chat: PromptConversation, request: str, noun: str, history: Sequence[Item],
                  checker: GroundingChecker) -> Generator[Event, None, Profile]:
    """Stream the model's profile (``ProfileDelta``s) and return it checked."""
    start = render("profile_opening", noun=noun)
    yield ProfileDelta(start)
    pieces: list[str] = []
    guards = Guards(avoid=tuple(checker.avoid_profile_words(history)), no_repeats=True,
                    only_words=checker.profile_vocabulary(history))
    for piece in chat.ask("profile", request, PROFILE_TOKENS, prefix=start, stop=("\n", ". "),
                          guards=guards):
        pieces.append(piece)
        yield ProfileDelta(piece)
    generated = "" if chat.model.failed else "".join(pieces)
    return checked_profile(start, generated, history, checker)


def checked_profile(start: str, generated: str, history: Sequence[Item],
                    checker: GroundingChecker) -> Profile:
    """Keep the model's profile only if every claim in it holds for some history item and it
    names at least one fact of one; otherwise the catalog-facts profile, with the reason."""
    text, said = finished_reply(start, generated)
    claims = tuple(checker.unsupported_profile_claims(said, history)) if text else ()
    if not text:
        reason = NO_TEXT
    elif claims:
        reason = UNSUPPORTED
    elif checker.repeats_itself(said):
        reason = REPEATED  # "You enjoy soap, soap and soap"
    elif not checker.profile_states_a_fact(said, history):
        reason = NO_HISTORY_FACT
    else:
        return Profile(text, ExplanationSource.LLM, model_text=text)
    return Profile(fact_profile(history, checker.catalog), ExplanationSource.CATALOG_FACTS, text,
                   reason, claims)


def fact_profile(history: Sequence[Item], catalog: Catalog | None = None) -> str:
    """A profile from catalog facts alone, for when the model's cannot be used: with the
    ``catalog``, the most distinctive fact several liked titles share ("films from Studio
    Ghibli"), then the commonest genres of the liked titles (for products, the product types
    their names use)."""
    kinds_of = {h.item_id: h.genres or tuple(sorted(product_types(h.title))) for h in history}
    kinds = Counter(k for h in history for k in kinds_of[h.item_id])
    top = [k for k, _ in kinds.most_common(3)]
    shared = shared_taste(history, catalog) if catalog is not None else None
    if shared is not None:
        fact, having = shared
        phrase = taste_phrase(fact)
        names = ", ".join(short_title(h) for h in having[:3])
        tail = f" and {', '.join(top[:2])}" if top else ""
        return f"You enjoy {phrase}{tail}, such as {names}."
    # the titles named are ones of the kinds named: not "mascara, such as Anti-Wrinkle Patches"
    named = [h for h in history if set(kinds_of[h.item_id]) & set(top)] or list(history)
    names = ", ".join(short_title(h) for h in named[:3])
    return f"You enjoy {', '.join(top)}, such as {names}." if top else f"You enjoy {names}."


def shared_taste(history: Sequence[Item],
                 catalog: Catalog) -> tuple[Fact, list[Item]] | None:
    """The distinctive fact most liked titles share (two at least; the rarer first on ties),
    with the titles that have it: what a profile should name beyond a genre."""
    having: dict[tuple, list[Item]] = {}
    facts: dict[tuple, Fact] = {}
    for item in history:
        for fact in item.stated_facts():
            if catalog.is_distinctive(fact) and taste_phrase(fact):
                key = (fact.kind, fact.key)
                facts.setdefault(key, fact)
                having.setdefault(key, []).append(item)
    shared = [(f.kind, f.key) for f in unsubsumed(
        [facts[k] for k, items in having.items() if len(items) >= 2], catalog)]
    if not shared:
        return None
    best = max(shared, key=lambda k: (len(having[k]), catalog.rarity(facts[k])))
    return facts[best], having[best]
