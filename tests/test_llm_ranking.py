"""LLMRank's shuffled selection, LlamaRec's verbalizer, and how evaluation scores and tunes
systems built on them, with a scripted model."""

import json

from recommender.collaborative.interactions import Split
from recommender.evaluation.llm_ranking import ShuffledSelection, Verbalizer
from recommender.evaluation.protocol import evaluate
from recommender.evaluation.rankers import LLMScoreRanker, Run
from recommender.vectors.index import ScoredItem

from .catalogs import tiny_movies
from .fakes import ScriptedModel


def picks_titles(*titles):
    """A selection reply naming these titles by their number in the shown list."""

    def reply(call):
        shown = call.messages[-1]["content"].split("Candidates:\n")[1].splitlines()
        numbers = {line.split(". ", 1)[1]: int(line.split(". ", 1)[0]) for line in shown
                   if ". " in line and line.split(". ", 1)[0].isdigit()}
        return json.dumps({"picks": [numbers[t] for t in titles]})

    return reply


def test_shuffled_selection_sums_borda_points_over_shuffled_passes():
    model = ScriptedModel([picks_titles("Up", "Her"), picks_titles("Her", "Up"),
                           picks_titles("Up", "Titanic")])
    scorer = ShuffledSelection(model, tiny_movies(), count=2, passes=3, seed=0)
    scored = scorer.score(["1", "3"], ["5", "8", "12", "6"])
    assert scored.scores == {"5": 1.0, "8": 2 + 1 + 2.0, "12": 1 + 2.0, "6": 0.0}
    assert (scored.picks, scored.out_of_candidates, scored.duplicates) == (6, 0, 0)
    orders = [call.messages[-1]["content"].split("Candidates:\n")[1] for call in model.calls]
    assert len(set(orders)) > 1                                   # the list really is shuffled
    assert "Alien" in model.calls[0].messages[-1]["content"]      # the history is shown


def test_shuffled_selection_counts_duplicate_picks():
    model = ScriptedModel([json.dumps({"picks": [1, 1]})])
    scored = ShuffledSelection(model, tiny_movies(), count=2, passes=1).score(["1"], ["5", "8"])
    assert scored.duplicates == 1 and sum(scored.scores.values()) == 2.0


def test_verbalizer_letters_candidates_and_reads_one_score_each():
    model = ScriptedModel([[-3.0, -0.5, -2.0]])
    scored = Verbalizer(model, tiny_movies()).score(["1"], ["5", "8", "12"])
    assert scored.scores == {"5": -3.0, "8": -0.5, "12": -2.0}
    call = model.calls[0]
    assert call.stop == (" A", " B", " C")                        # the options asked about
    assert "A. Titanic\nB. Up\nC. Her" in call.messages[-1]["content"]
    assert call.prefix == "The answer is"


class ListRetriever:
    name = "fixed"

    def __init__(self, order):
        self.order = order

    def retrieve(self, history_ids, profile, k, exclude=None):
        return [ScoredItem(i, 1.0) for i in self.order if i not in history_ids][:k]


def test_llm_scores_reorder_the_candidates_and_retrieval_order_follows():
    model = ScriptedModel([[-5.0, -1.0, -3.0]])
    ranker = LLMScoreRanker("verbalizer", Verbalizer(model, tiny_movies()),
                            ListRetriever(["5", "8", "12", "6", "7"]), candidates=3)
    splits = [Split("u", ("1",), "2", "12")]
    result = evaluate([ranker], splits, progress=False)["verbalizer"]
    assert result["HR@5"]["mean"] == 1.0 and result["MRR@20"]["mean"] == 0.5  # 8, 12, 5, 6, 7
    assert result["weight"] == 1.0


class Tuned:
    """Ranks ``a`` first with weight 1 and ``b`` first with weight 0."""

    name = "toy"
    grid = (0.0, 1.0)
    rows = {"toy raw": 1.0, "toy tuned": None}

    def __init__(self):
        self.users = []

    def run(self, sequence, k):
        self.users.append(sequence[0])
        return Run(None, {"duplicate_rate": 0.5})

    def combine(self, run, weight):
        return ["a", "b"] if weight == 1.0 else ["b", "a"]


def test_weights_are_chosen_on_tuning_users_only():
    system = Tuned()
    reported = [Split("r1", ("r1",), "v", "a"), Split("r2", ("r2",), "v", "a")]
    tuning = [Split("t1", ("t1",), "v", "b")]
    result = evaluate([system], reported, tuning, progress=False)
    assert result["toy tuned"]["weight"] == 0.0                   # b wins on the tuning user
    assert result["toy tuned"]["MRR@20"]["mean"] == 0.5
    assert result["toy raw"]["MRR@20"]["mean"] == 1.0
    assert result["toy tuned"]["tuning"]["by_weight"] == {"0.0": 1.0, "1.0": 0.6309}
    assert result["toy raw"]["duplicate_rate"]["mean"] == 0.5
    assert system.users == ["t1", "r1", "r2"]                     # each user run once
