"""The explanation examples ``finetune`` trains on, built from a tiny catalog whose facts are
known: every target is grounded by the app's checker and names a fact the pick shares with
the history item its opening names; users kept apart and test items never appear."""

import random
import re

import pytest

from recommender.catalog import Item
from recommender.collaborative.interactions import Split, held_out_users
from recommender.core.explanation import checked, opening, shares_any
from recommender.core.facts import choose_anchor, history_line, short_title
from recommender.core.grounding import GroundingChecker
from recommender.core.profile import checked_profile
from recommender.core.turn import ExplanationSource
from recommender.finetune.explanations import (
    GENRE_NOUNS,
    explanation_examples,
    movie_sentence,
    product_sentence,
    shared_phrase,
)
from recommender.finetune.product_titles import type_words

from .catalogs import tiny_movies, tiny_products

LIKED = {"u1": ["1", "2", "3", "4", "10", "11"], "u2": ["5", "6", "7", "12"],
         "u3": ["8", "9", "1", "3"]}


@pytest.fixture(scope="module")
def movies():
    return tiny_movies()


def test_every_target_is_grounded_and_shares_a_fact_with_its_anchor(movies):
    checker = GroundingChecker(movies)
    examples = explanation_examples(movies, LIKED, checker, 40, seed=3)
    assert len(examples) >= 10
    compared = 0
    for example in examples:
        line = example.opening.split("\n")[-1]
        assert example.target.endswith("\n") and not example.target.strip().endswith("\n")
        facts = example.messages[-1]["content"]
        assert facts.startswith("Say in one sentence why I may like each pick")
        if not line.split(". ", 1)[1].startswith("Like "):
            continue  # a pick sharing nothing: test_a_pick_sharing_nothing_is_described_alone
        compared += 1
        said = line.split("Like ", 1)[1]
        anchor = next(i for i in movies.items if said.startswith(short_title(i) + ", "))
        anchor_title = short_title(anchor)
        pick_title = said[len(anchor_title) + 2:]
        pick = next(i for i in movies.items if short_title(i) == pick_title)
        shared = set(pick.genres) & set(anchor.genres) | set(pick.tags) & set(anchor.tags)
        words = example.target.lower()
        named = {g for g in shared if g in GENRE_NOUNS and
                 any(w.lower() in words for w in GENRE_NOUNS[g])}
        assert named or any(t in words for t in shared), (line, example.target, shared)
        text = f"Like {anchor_title}, {pick_title}{example.target.rstrip()}"
        assert not checker.unsupported_claims(text, pick, [anchor])
    assert compared >= 10


def test_a_pick_sharing_nothing_is_described_alone(movies):
    """No "Like <anchor>" when the two share nothing, and no "too" or "also" after it: only
    what the pick is."""
    checker = GroundingChecker(movies)
    titanic, up = movies.get("5"), movies.get("8")  # share no genre, tag or decade
    anchor = choose_anchor(titanic, [up])
    assert not shares_any(titanic, anchor)
    assert opening(titanic, anchor) == f"{short_title(titanic)} is"
    rng = random.Random(0)
    lines = {movie_sentence(titanic, anchor, rng, position=p) for p in range(1, 6)}
    assert len(lines) >= 3 and None not in lines
    for line in lines:
        assert not checker.claims_sameness(line) and checker.states_a_fact(line, titanic)
        assert checked(titanic, anchor, opening(titanic, anchor), line, [up],
                       checker).source == ExplanationSource.LLM, line
    examples = explanation_examples(movies, {"u": ["8", "5", "6", "7"]}, checker, 40, seed=1,
                                    history_size=(1, 1), picks=1)
    alone = [e for e in examples if e.opening == f"1. {short_title(titanic)} is"]
    assert alone and all("Like" not in e.opening for e in alone)


def test_the_conversation_holds_a_profile_as_the_app_shows_it(movies):
    """Mostly one in the model's words ("You enjoy movies with ..."), sometimes the
    catalog-facts one the app falls back to; never one the profile check would replace."""
    checker = GroundingChecker(movies)
    examples = explanation_examples(movies, LIKED, checker, 200, seed=3)
    profiles = [e.messages[2]["content"] for e in examples]
    written = [p for p in profiles if p.startswith("You enjoy movies with ")]
    assert 0 < len(profiles) - len(written) < len(written)
    for example in examples:
        profile = example.messages[2]["content"]
        if not profile.startswith("You enjoy movies with "):
            continue
        said = profile.removeprefix("You enjoy movies with")
        lines = example.messages[1]["content"].splitlines()
        items = [i for i in movies.items if history_line(i) in lines]
        assert checked_profile("You enjoy movies with", said, items, checker).source == \
            ExplanationSource.LLM, profile


def test_each_line_is_its_own_reply_after_the_profile_and_no_selection(movies):
    """The app asks for every line at once, each after the same request with only its number
    and opening (``core.explanation``); the examples are laid out the same way."""
    examples = explanation_examples(movies, LIKED, GroundingChecker(movies), 40, seed=3)
    assert all(re.fullmatch(r"\d\. (Like [^\n]+|[^\n]+ is)", e.opening) for e in examples)
    assert any(not e.opening.startswith("1. ") for e in examples), "later picks are there too"
    roles = [m["role"] for m in examples[0].messages]
    assert roles == ["system", "user", "assistant", "user"]
    assert all("Candidates:" not in m["content"] for m in examples[0].messages)


def test_only_the_users_given_are_read(movies):
    examples = explanation_examples(movies, {"u2": LIKED["u2"]}, GroundingChecker(movies), 40)
    titles = {i.title for i in movies.items if i.item_id in LIKED["u2"]}
    for example in examples:
        history = example.messages[1]["content"]
        assert all(line[2:].split(":")[0] in titles for line in history.splitlines()
                   if line.startswith("- "))


def test_held_out_users_are_seeded_and_never_a_source():
    users = [f"u{n}" for n in range(1000)]
    kept = held_out_users(users, "movielens")
    assert kept == held_out_users(list(reversed(users)), "movielens") and len(kept) == 100
    assert held_out_users(users, "movielens", seed=1) != kept


def test_liked_training_items_skip_held_out_users_and_test_items(monkeypatch, tmp_path):
    import recommender.finetune.run as run

    splits = [Split(f"u{n}", (f"a{n}", f"b{n}"), f"v{n}", f"t{n}") for n in range(20)]
    monkeypatch.setattr(run, "load_sequences", lambda dataset, data_dir: {})
    monkeypatch.setattr(run, "leave_one_out", lambda sequences: splits)
    monkeypatch.setattr(run, "load_ratings", lambda dataset, data_dir: {
        s.user: {s.history[0]: 5.0, s.history[1]: 1.0, s.validation: 4.0, s.test: 5.0}
        for s in splits})
    liked = run.liked_training_items("movielens", tmp_path)
    kept = held_out_users([s.user for s in splits], "movielens")
    assert kept and not kept & set(liked) and len(liked) == 20 - len(kept)
    for user, items in liked.items():
        n = user[1:]
        assert items == [f"a{n}", f"v{n}"]  # liked only; never the test item


def test_phrasings_vary_and_say_only_what_is_shared(movies):
    rng = random.Random(0)
    pick, anchor = movies.get("4"), movies.get("3")  # The Matrix and Blade Runner
    # the phrasing follows the line's number, which the model sees (greedy decoding would
    # collapse a random choice), and the same line says the same
    sentences = {movie_sentence(pick, choose_anchor(pick, [anchor]), rng, position=p)
                 for p in range(1, 6)}
    assert len(sentences) == 5
    assert movie_sentence(pick, choose_anchor(pick, [anchor]), rng, position=2) == \
        movie_sentence(pick, choose_anchor(pick, [anchor]), random.Random(9), position=2)
    assert all("horror" not in s.lower() and "romance" not in s.lower() for s in sentences)


def test_products_are_described_by_their_type_words_and_shared_brand():
    products = tiny_products()
    rng = random.Random(0)
    candy, other = products.get("B5"), products.get("B2")
    sentences = {product_sentence(candy, choose_anchor(candy, [other]), rng, position=p)
                 for p in range(1, 6)}
    assert sentences and None not in sentences
    assert all("Prada" in s or "eau de parfum" in s for s in sentences)
    moisturizer = Item("X", "Olay Regenerist Micro-Sculpting Cream Moisturizer, 1.7 Oz")
    lacquer = products.get("B4")
    alone = {product_sentence(lacquer, choose_anchor(lacquer, [moisturizer]), rng, position=p)
             for p in range(1, 6)}  # nothing shared: what it is, with no "too"
    assert alone and all(s and "lacquer" in s and not GroundingChecker.claims_sameness(s)
                         for s in alone)
    shelf = Item("Y", "Ahava Dead Sea Mud Mask, 8 Ounce")
    conditioner = Item("Z", "Premier Dead Sea Salt Deep Hair Conditioner - for Dry Hair")
    named = {product_sentence(conditioner, choose_anchor(conditioner, [shelf]), rng, position=p)
             for p in range(1, 6)}  # a name run shared, no type and no brand
    assert any("“Dead Sea”" in s for s in named) and all("Dead Sea" in s for s in named)


def test_shared_name_words_and_type_words_read_as_the_title_does():
    assert shared_phrase("Tree Hut Body Scrub, 18-Ounce", ("body",)) == "body"
    assert shared_phrase("Dead Sea Salt Soap", ("dead", "sea")) == "Dead Sea"
    assert shared_phrase("Anti-Cellulite Formula.", ("formula",)) == "formula"
    assert shared_phrase("Tree Hut Body Scrub", ("soap",)) is None
    free = type_words("Neutrogena Fragrance-Free Hand Cream")
    assert free and "fragrance" not in free
    assert "fragrance" in type_words("Body Mist Fragrance Spray")


def test_the_explanation_measure_counts_model_text_and_shared_facts(movies):
    from types import SimpleNamespace

    from recommender.core.turn import ExplanationSource, Recommendation
    from recommender.core.grounding import GroundingChecker
    from recommender.evaluation.explanation_quality import distinct_2
    from recommender.evaluation.explanations import measure_explanations

    matrix, titanic = movies.get("4"), movies.get("5")
    assert distinct_2(["a b c", "a b c"]) == 0.5 and distinct_2([]) == 0.0

    rows = [Recommendation("4", matrix.label, "Like Blade Runner, The Matrix is a thriller too.",
                           ExplanationSource.LLM, "3"),
            Recommendation("4", matrix.label, "Like Blade Runner, The Matrix is great fun.",
                           ExplanationSource.LLM, "3"),
            Recommendation("5", titanic.label, "Like Blade Runner, it is Drama.",
                           ExplanationSource.CATALOG_FACTS, "3", ("comedy",),
                           "it claimed something the catalog does not hold",
                           "Like Blade Runner, Titanic is a comedy.")]

    class Stub:
        def domain(self, name):
            return SimpleNamespace(catalog=movies, checker=GroundingChecker(movies))

        def recommend(self, domain, history_ids):
            source = ExplanationSource.LLM if history_ids == ["3"] else None
            return SimpleNamespace(recommendations=rows, profile_source=source, profile="p",
                                   profile_model_text="m",
                                   profile_replaced_because=None if source else "reused")

    report = measure_explanations({"base": Stub()}, "movies", [("3",), ("1",)])["base"]
    assert report["shown"] == 6 and report["kept_from_model"] == round(4 / 6, 3)
    assert report["kept_naming_a_shared_fact"] == 0.5  # "great fun" names nothing shared
    assert report["openings"][0] == ("is a thriller", 2)
    measured = report["quality"]  # what the lines shown say, titles taken out
    assert measured["lines"] == 6 and measured["kept_from_model"] == round(4 / 6, 3)
    assert measured["top_opening"] == "is a thriller" and measured["top_opening_share"] == 0.333
    assert measured["only_broad"] == 1.0  # a thriller, great fun, drama: no studio, theme, tag
    assert measured["distinctive_shared"] == 0.0 and measured["ungrounded_shown"] == 0
    assert report["profiles_from_model"] == 0.5 and report["profiles"] == {"llm": 1, "reused": 1}
    assert report["replaced"] == {"it claimed something the catalog does not hold": 2}
    line = report["lines"][2]
    assert line["model_text"] == "Like Blade Runner, Titanic is a comedy."
    assert line["shown"] == "Like Blade Runner, it is Drama." and line["anchor"] == "Blade Runner (1982)"
    assert line["unsupported_claims"] == ["comedy"]
    assert (line["pick_id"], line["anchor_id"], line["history_ids"]) == ("5", "3", ["3"])


def test_the_held_out_users_split_into_a_choosing_half_and_a_reported_half(monkeypatch,
                                                                          tmp_path):
    import recommender.evaluation.explanations as measured  # the names it reads them by
    from recommender.evaluation.explanations import held_out_histories

    splits = [Split(f"u{n}", tuple(f"i{n}-{k}" for k in range(4)), f"v{n}", f"t{n}")
              for n in range(200)]
    monkeypatch.setattr(measured, "load_sequences", lambda dataset, data_dir: {})
    monkeypatch.setattr(measured, "leave_one_out", lambda sequences: splits)
    monkeypatch.setattr(measured, "load_ratings", lambda dataset, data_dir: None)
    validation = held_out_histories("movielens", tmp_path, 100, "validation")
    test = held_out_histories("movielens", tmp_path, 100, "test")
    owner = {i: s.user for s in splits for i in (*s.history, s.validation)}
    kept = held_out_users([s.user for s in splits], "movielens")
    users_v = {owner[i] for h in validation for i in h}
    users_t = {owner[i] for h in test for i in h}
    assert users_v and users_t and not users_v & users_t
    assert users_v | users_t <= kept
    assert all(not i.startswith("t") for h in validation + test for i in h)
    longer = held_out_histories("movielens", tmp_path, 100, "validation", size=5)  # --history 5
    assert longer and all(len(set(h)) == 5 and not any(i.startswith("t") for i in h)
                          for h in longer)
    assert held_out_histories("movielens", tmp_path, 100, "validation", size=6) == []


def test_the_audit_samples_lines_and_scores_the_checker_against_labels(tmp_path):
    from recommender.evaluation.audit import (
        checker_agreement,
        read_labels,
        sample_lines,
        write_sample,
    )

    def line(n, replaced=None):
        return {"history": ["A", "B"], "pick": f"P{n}", "anchor": "A", "model_text": f"Like A, P{n}"
                " is a drama.", "replaced_because": replaced, "shown": "", "unsupported_claims": []}

    report = {"adapter": "x", "movies": {"base": {"lines": [line(1), line(2, "no"), line(3)]},
                                         "tuned": {"lines": [line(4), {**line(5), "model_text": ""}]}}}
    rows = sample_lines(report, per_group=2)
    assert [r["model"] for r in rows] == ["base", "base", "tuned"]  # none without model text
    labels = {"P1": "yyy", "P2": "nyy", "P3": "yyn", "P4": "yny"}
    for row in rows:
        row["grounded"], row["relevant"], row["fluent"] = labels[row["pick"]]
    path = tmp_path / "audit.csv"
    write_sample(rows, path)
    scored = checker_agreement(read_labels(path))["all"]
    kept = [r for r in rows if r["checker"] == "kept"]
    good = [r for r in rows if labels[r["pick"]][:2] == "yy"]
    assert scored["kept"] == len(kept) and scored["acceptable"] == len(good)
    assert scored["precision"] == round(len([r for r in kept if r in good]) / len(kept), 3)
    rows[0]["fluent"] = "maybe"
    write_sample(rows, path)
    with pytest.raises(ValueError, match="write y or n"):
        read_labels(path)


def test_a_reading_sample_takes_shown_lines_and_counts_each_label(tmp_path):
    from recommender.evaluation.audit import (
        READING_FIELDS,
        read_labels,
        reading_shares,
        sample_shown,
        write_sample,
    )

    def line(n, replaced=None):
        return {"history": ["A"], "pick": f"P{n}", "anchor": "A", "shown": f"Like A, P{n} x.",
                "replaced_because": replaced, "model_text": ""}

    report = {"adapter": "x", "movies": {"before": {"lines": [line(1), line(2, "no text")]},
                                         "after": {"lines": [line(3), line(4)]}}}
    rows = sample_shown(report, per_group=2, start=101)
    assert [r["id"] for r in rows] == [101, 102, 103, 104]
    assert {r["source"] for r in rows if r["model"] == "before"} == {"model", "catalog facts"}
    for row, labels in zip(rows, ("nyy", "nyy", "yyy", "yny")):
        row["informative"], row["true"], row["fluent"] = labels
    path = tmp_path / "reading.csv"
    write_sample(rows, path, READING_FIELDS)
    shares = reading_shares(read_labels(path, labels=READING_FIELDS[-3:], optional=()))
    assert shares["movies before"] == {"lines": 2, "informative": 0.0, "true": 1.0, "fluent": 1.0}
    assert shares["movies after"] == {"lines": 2, "informative": 1.0, "true": 0.5, "fluent": 1.0}


def test_every_profile_target_is_one_the_app_would_show(movies):
    from recommender.core.profile import checked_profile
    from recommender.core.turn import ExplanationSource
    from recommender.finetune.profiles import profile_examples

    checker = GroundingChecker(movies)
    examples = profile_examples(movies, LIKED, checker, 30, seed=1)
    assert len(examples) == 30 and len({e.target for e in examples}) >= 10  # many phrasings
    for example in examples:
        assert example.opening == "You enjoy movies with"
        assert [m["role"] for m in example.messages] == ["system", "user"]
        assert example.target.endswith(".\n") and "too" not in example.target.split()
        titles = [line for line in example.messages[1]["content"].split("\n")
                  if line.startswith("- ")]
        history = [i for i in movies.items if any(line.startswith(f"- {short_title(i)}:")
                                                  for line in titles)]
        assert history, example.messages[1]["content"]
        assert checked_profile(example.opening, example.target.strip(), history,
                               checker).source == ExplanationSource.LLM


def test_a_profile_names_the_genres_most_titles_have_and_only_real_shared_facts(movies):
    from recommender.finetune.profiles import movie_profile, product_profile

    alien, aliens, blade_runner = movies.get("1"), movies.get("2"), movies.get("3")
    for seed in range(20):
        text = movie_profile([alien, aliens, blade_runner], random.Random(seed))
        assert "science fiction" in text  # all three are Sci-Fi
        assert "romance" not in text and "comedy" not in text
        assert "thrillers" not in text and "action" not in text  # one title's genres only
        if "tagged" in text or "streak" in text:
            assert "“aliens”" in text  # the tag two of them share, not Blade Runner's own
        if "from the" in text:
            assert "from the 1980s" in text  # Aliens (1986) and Blade Runner (1982)
    products = tiny_products()
    perfume = product_profile([products.get("B2"), products.get("B5")], random.Random(0))
    assert perfume and ("Prada" in perfume or "eau de parfum" in perfume.lower())
    assert product_profile([Item("X", "Thing One"), Item("Y", "Other Two")],
                           random.Random(0)) is None


def test_the_markdown_report_pairs_the_same_pick_of_the_same_history():
    from recommender.evaluation.explanations_report import explanations_markdown, side_by_side

    def line(history, pick, shown, replaced=None):
        return {"history": history, "pick": pick, "shown": shown, "replaced_because": replaced}

    def row(lines, openings):
        return {"shown": len(lines), "kept_from_model": 0.5, "kept_naming_a_shared_fact": 1.0,
                "distinct_2": 0.4, "profiles_from_model": 1.0, "turns": 1,
                "seconds_per_turn": 2.5, "openings": openings, "replaced": {"no text": 1},
                "lines": lines, "profile_lines": [line(["Alien"], "", "You enjoy movies.")]}

    base = row([line(["Alien"], "Aliens", "Like Alien, it is Action.", "no text"),
                line(["Alien"], "Heat", "Like Alien, Heat is | tense.")], [("tense.", 1)])
    tuned = row([line(["Alien"], "Heat", "Like Alien, Heat is a thriller."),
                 line(["Heat"], "Aliens", "Like Heat, Aliens is loud.")], [("a thriller.", 1)])
    rows = {"base": base, "tuned": tuned}
    pairs = side_by_side(rows, 5)
    assert [(p["pick"], p["tuned"]["shown"]) for p in pairs] == [
        ("Heat", "Like Alien, Heat is a thriller.")]  # Aliens has no partner for the same history
    text = explanations_markdown({"adapter": "a.gguf", "part": "test", "movies": rows})
    assert "| Alien | Heat | Like Alien, Heat is \\| tense. | Like Alien, Heat is a thriller. |" in text
    assert "| base | 2 | 50.0% | 100.0% | 0.4 | 100.0% of 1 | 2.5 |" in text
    assert "“a thriller.” 1" in text and "Replaced: no text 1." in text
    assert side_by_side(rows, 0) == [] and len(side_by_side(rows, 1)) == 1


def test_selection_examples_letter_the_next_item_among_the_candidates(movies):
    from recommender.evaluation.llm_ranking import verbalizer_messages
    from recommender.finetune.selection import answer_positions, selection_examples

    splits = [Split("u1", ("1", "2"), "3", "13"),   # next item third in the candidates
              Split("u2", ("5", "6"), "12", "14"),  # next item not among them: no example
              Split("u3", ("8",), "9", "13")]
    seen = []

    def retrieve(history, k):
        seen.append(list(history))
        return [i for i in ("4", "10", "3", "9", "11") if i not in history][:k]

    examples = selection_examples(movies, splits, retrieve, count=10, candidates=4)
    assert sorted(seen) == [["1", "2"], ["5", "6"], ["8"]]  # the history, never the next item
    by_history = {e.messages[1]["content"].split("Candidates:")[0]: e for e in examples}
    assert len(examples) == 2 and answer_positions(examples) == {"C": 1, "D": 1}
    u1 = next(e for h, e in by_history.items() if "Aliens" in h)
    assert u1.messages == tuple(verbalizer_messages(movies, ["1", "2"], ["4", "10", "3", "9"]))
    assert u1.opening == "The answer is" and u1.target == " C"
    prompts = " ".join(m["content"] for e in examples for m in e.messages)
    assert "Heat" not in prompts  # no test item is shown
    assert len(selection_examples(movies, splits, retrieve, count=1, candidates=4)) == 1
