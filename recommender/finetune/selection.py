"""Training examples for PALR's selection task, in LlamaRec's verbalizer form.

For a training user, the input is their history before the validation item, the candidates
are the retriever's top 20 for that history (lettered A, B, C..., exactly as
``evaluation.llm_ranking.Verbalizer`` shows them), and the target is the letter of the
validation item, the one token the verbalizer reads. As LlamaRec does, a user whose next item
is not among the candidates gives no example.

The retriever must not have seen the validation items (the ``train --for-tuning`` twin), or
its candidates would put the answer first and the model would learn "A". Test items are never
read, and users held out for measuring never reach this function (``run.training_splits``)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence

from recommender.catalog import Catalog
from recommender.collaborative.interactions import Split
from recommender.evaluation.llm_ranking import LETTERS, verbalizer_messages
from recommender.finetune.lora import ChatExample
from recommender.models.prompts import render

__all__ = ["selection_examples", "answer_positions"]

CANDIDATES = 20


def selection_examples(catalog: Catalog, splits: Sequence[Split],
                       retrieve: Callable[[Sequence[str], int], Sequence[str]], count: int,
                       seed: int = 0, candidates: int = CANDIDATES) -> list[ChatExample]:
    """Up to ``count`` examples from ``splits`` (training users), drawn in a seeded order:
    ``retrieve(history, k)`` gives the ``k`` candidates for a history, best first."""
    order = [s for s in splits if s.history and s.validation in catalog]
    random.Random(f"selection:{seed}").shuffle(order)
    opening = render("verbalize_opening")
    examples = []
    for split in order:
        if len(examples) >= count:
            break
        history = [i for i in split.history if i in catalog]
        head = [i for i in retrieve(history, candidates) if i in catalog][:candidates]
        if not history or split.validation not in head:
            continue
        letter = LETTERS[head.index(split.validation)]
        examples.append(ChatExample(tuple(verbalizer_messages(catalog, history, head)), opening,
                                    f" {letter}"))
    return examples


def answer_positions(examples: Sequence[ChatExample]) -> dict[str, int]:
    """How often each letter is the answer: a check that the data does not teach "always A"."""
    return dict(sorted(Counter(e.target.strip() for e in examples).items()))
