import pytest

from recommender.selection import Selection, candidate_line, parse_selection, selection_schema

CANDIDATES = ["10", "20", "30", "40", "50", "60"]


@pytest.mark.parametrize("text, expected", [
    ('{"ids": ["30", "10", "50"]}', Selection(("30", "10", "50"), 3)),
    ('{"ids": ["30", "30", "50"]}', Selection(("30", "50", "10"), 2, duplicates=1)),
    ('{"ids": ["99", "30", "50"]}', Selection(("30", "50", "10"), 2, out_of_candidates=1)),
    ('{"ids": []}', Selection(("10", "20", "30"), 0)),
    ('{"ids": ["30", "10", "50", "20"]}', Selection(("30", "10", "50"), 3)),
])
def test_parse_selection(text, expected):
    assert parse_selection(text, CANDIDATES, 3) == expected


@pytest.mark.parametrize("text", ["", "not json", '{"ids": "30"}', '{"other": []}', "[1, 2]"])
def test_unreadable_selection_falls_back_to_retrieval_order(text):
    selection = parse_selection(text, CANDIDATES, 3)
    assert selection.item_ids == ("10", "20", "30")
    assert selection.from_model == 0 and selection.error


def test_schema_enumerates_exactly_the_candidates():
    schema = selection_schema(CANDIDATES, 3)
    ids = schema["properties"]["ids"]
    assert ids["items"]["enum"] == CANDIDATES
    assert ids["minItems"] == ids["maxItems"] == 3


def test_candidate_line():
    assert candidate_line("2571", "The Matrix (1999)", "Action, Sci-Fi") == \
        "[2571] The Matrix (1999): Action, Sci-Fi"
    assert candidate_line("B1", "Prada Candy", "") == "[B1] Prada Candy"
