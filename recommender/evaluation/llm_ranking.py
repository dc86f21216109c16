"""The two LLM rankers the evaluation compares with the PALR pipeline.

- :class:`ShuffledSelection` (LLMRank, Hou et al., ECIR 2024): the model orders the candidates
  several times, each time shown in a different random order; Borda points (``count`` for the
  first pick down to 1) are summed over the passes, which cancels the model's preference for
  whatever is listed first.
- :class:`Verbalizer` (LlamaRec, Yue et al., 2023): the candidates are lettered A, B, C...
  and one forward pass reads the log-probability of each letter as the next token; the
  candidates are ordered by it. No text is generated.

Both show the model the last 20 history items and the candidates by title, under the same
system prompt as the app.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass

from recommender.catalog import Catalog
from recommender.core.facts import history_line, short_title
from recommender.core.selection import candidate_line, parse_selection, selection_schema
from recommender.core.turn import HISTORY_LIMIT
from recommender.models.chat import ChatModel, Request, complete
from recommender.models.prompts import render

__all__ = ["LLMScores", "ShuffledSelection", "Verbalizer", "LETTERS", "verbalizer_messages"]

LETTERS = string.ascii_uppercase



@dataclass(frozen=True)
class LLMScores:
    """The model's score per candidate (higher is better) and what it got wrong."""

    scores: dict[str, float]
    picks: int = 0
    out_of_candidates: int = 0
    duplicates: int = 0


def _messages(catalog: Catalog, prompt: str, history: Sequence[str], lines: Sequence[str],
              **values: object) -> list[dict[str, str]]:
    noun = catalog.noun
    shown = "\n".join(history_line(catalog.get(i)) for i in list(history)[-HISTORY_LIMIT:])
    return [{"role": "system", "content": render("system", noun=noun)},
            {"role": "user", "content": render(prompt, noun=noun, history=shown,
                                               candidates="\n".join(lines), **values)}]


class ShuffledSelection:
    """LLMRank: ``passes`` constrained selections over shuffled candidate lists, Borda-summed."""

    def __init__(self, model: ChatModel, catalog: Catalog, count: int = 10, passes: int = 3,
                 seed: int = 0) -> None:
        self.model, self.catalog = model, catalog
        self.count, self.passes, self.seed = count, passes, seed

    def score(self, history: Sequence[str], candidates: Sequence[str]) -> LLMScores:
        rng = random.Random(f"{self.seed}:{','.join(history[-3:])}")
        count = min(self.count, len(candidates))
        scores = dict.fromkeys(candidates, 0.0)
        picks = outside = repeats = 0
        for _ in range(self.passes):
            order = list(candidates)
            rng.shuffle(order)
            lines = [candidate_line(n, short_title(self.catalog.get(i)), "")
                     for n, i in enumerate(order, 1)]
            text = complete(self.model, Request(
                _messages(self.catalog, "rank", history, lines, count=count), 16 + 4 * count,
                json_schema=selection_schema(len(order), count)))
            selection = parse_selection(text, order, count)
            picks += count
            outside += selection.out_of_candidates
            repeats += selection.duplicates
            for position, item_id in enumerate(selection.item_ids[: selection.from_model]):
                scores[item_id] += count - position
        return LLMScores(scores, picks, outside, repeats)


def verbalizer_messages(catalog: Catalog, history: Sequence[str],
                        candidates: Sequence[str]) -> list[dict[str, str]]:
    """The verbalizer's chat: the history and the candidates lettered A, B, C... (its reply
    opens with ``verbalize_opening`` and the next token is read)."""
    if len(candidates) > len(LETTERS):
        raise ValueError(f"the verbalizer letters at most {len(LETTERS)} candidates")
    lines = [f"{letter}. {short_title(catalog.get(i))}" for letter, i in zip(LETTERS, candidates)]
    return _messages(catalog, "verbalize", history, lines)


class Verbalizer:
    """LlamaRec's verbalizer: the next-token log-probability of each candidate's letter."""

    def __init__(self, model: ChatModel, catalog: Catalog) -> None:
        self.model, self.catalog = model, catalog

    def score(self, history: Sequence[str], candidates: Sequence[str]) -> LLMScores:
        logprobs = self.model.option_scores(
            verbalizer_messages(self.catalog, history, candidates), render("verbalize_opening"),
            [f" {letter}" for letter in LETTERS[: len(candidates)]])
        return LLMScores(dict(zip(candidates, logprobs)))
