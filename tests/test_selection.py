import pytest

from recommender.core.selection import Selection, candidate_line, parse_selection, selection_schema

CANDIDATES = ["10", "20", "30", "40", "50", "60"]


@pytest.mark.parametrize("text, expected", [
    ('{"picks": [3, 1, 5]}', Selection(("30", "10", "50"), 3)),
    ('{"picks": [3, 3, 5]}', Selection(("30", "50", "10"), 2, duplicates=1)),
    ('{"picks": [9, 3, 5]}', Selection(("30", "50", "10"), 2, out_of_candidates=1)),
    ('{"picks": [0, "3", true]}', Selection(("10", "20", "30"), 0, out_of_candidates=3)),
    ('{"picks": []}', Selection(("10", "20", "30"), 0)),
    ('{"picks": [3, 1, 5, 2]}', Selection(("30", "10", "50"), 3)),
])
def test_parse_selection(text, expected):
    assert parse_selection(text, CANDIDATES, 3) == expected


@pytest.mark.parametrize("text", ["", "not json", '{"picks": "3"}', '{"other": []}', "[1, 2]"])
def test_unreadable_selection_falls_back_to_retrieval_order(text):
    selection = parse_selection(text, CANDIDATES, 3)
    assert selection.item_ids == ("10", "20", "30")
    assert selection.from_model == 0 and selection.error


def test_schema_enumerates_exactly_the_candidate_numbers():
    picks = selection_schema(6, 3)["properties"]["picks"]
    assert picks["items"]["enum"] == [1, 2, 3, 4, 5, 6]
    assert picks["minItems"] == picks["maxItems"] == 3


def test_candidate_line():
    assert candidate_line(4, "The Matrix (1999)", "Action, Sci-Fi") == \
        "4. The Matrix (1999): Action, Sci-Fi"
    assert candidate_line(1, "Prada Candy", "") == "1. Prada Candy"
