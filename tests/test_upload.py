"""Uploaded catalogs: every broken file gets a message naming the row or column at fault, and a
good one is recommended from at once, with no training."""

import json

import pytest

from recommender.conversation.turn import Answered, ConversationState, converse
from recommender.core.pipeline import Recommender
from recommender.vectors.store import open_memory_client
from recommender.web.upload import UploadError, build_domain, drop_domain, parse_catalog

from .fakes import AnsweringModel, WordHashEmbedder

GOOD_CSV = """id,title,description,year,categories
b1,The Name of the Wind,A young magician tells his own story,2007,Fantasy|Adventure
b2,The Wise Man's Fear,The magician's story goes on,2011,Fantasy
b3,Mistborn,A heist in a world of ash and magic,2006,Fantasy|Heist
b4,Gone Girl,A marriage and a disappearance,2012,Thriller|Crime
b5,The Girl with the Dragon Tattoo,A journalist and a hacker,2005,Thriller|Crime
b6,Dune,Spice and sand on a desert planet,1965,Science Fiction
b7,Hyperion,Pilgrims on a far world,1989,Science Fiction
"""


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_a_good_csv_becomes_a_catalog(tmp_path):
    catalog = parse_catalog(_write(tmp_path, "books.csv", GOOD_CSV))
    assert len(catalog) == 7 and catalog.noun == "item"
    dune = catalog.get("b6")
    assert (dune.title, dune.year, dune.genres) == ("Dune", 1965, ("Science Fiction",))


def test_json_lists_and_missing_ids(tmp_path):
    rows = [{"name": "Dune", "genres": ["Science Fiction", "Classic"]}, {"name": "Hyperion"}]
    catalog = parse_catalog(_write(tmp_path, "books.json", json.dumps({"items": rows})))
    assert [i.item_id for i in catalog.items] == ["1", "2"]
    assert catalog.get("1").genres == ("Science Fiction", "Classic")


BROKEN = [
    ("empty.csv", "", "is empty"),
    ("blank.csv", "   \n\n", "is empty"),
    ("header-only.csv", "title,year\n", "has no rows"),
    ("no-title.csv", "name_of_thing,year\nDune,1965\n", "has no title column (its columns: "
                                                        "“name_of_thing”, “year”)"),
    ("empty-title.csv", "title,year\nDune,1965\n,1990\n", "Row 2 of “empty-title.csv” has an "
                                                         "empty title"),
    ("dup.csv", "id,title\n1,Dune\n2,Hyperion\n1,Mistborn\n", "Row 3 of “dup.csv” repeats the "
                                                              "id “1” of row 1"),
    ("year.csv", "title,year\nDune,nineteen\n", "the year “nineteen” is not a number"),
    ("future.csv", "title,year\nDune,3021\n", "the year 3021 is outside 1800–2100"),
    ("latin1.csv", "title\nAmélie\n".encode("latin-1"), "is not UTF-8 text (line 2 has the "
                                                        "byte 0xe9)"),
    ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file"),
    ("books.xlsx", "title\nDune\n", "is not a .csv or .json file"),
    ("bad.json", "{not json", "is not valid JSON"),
    ("object.json", '{"title": "Dune"}', "must hold a JSON list of objects"),
    ("mixed.json", '[{"title": "Dune"}, "Hyperion"]', "Item 2 of “mixed.json” is not an object"),
    ("quote.csv", 'title,year\n"Dune,1965\n', "is not valid CSV"),
    ("long.csv", "title\n" + "x" * 400 + "\n", "has a title of 400 characters"),
]


@pytest.mark.parametrize("name, content, message", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_files_are_refused_with_the_fault_named(tmp_path, name, content, message):
    with pytest.raises(UploadError) as caught:
        parse_catalog(_write(tmp_path, name, content))
    assert message in str(caught.value)


def test_too_many_rows_are_refused(tmp_path):
    path = _write(tmp_path, "big.csv", "title\n" + "".join(f"Book {i}\n" for i in range(11)))
    with pytest.raises(UploadError, match="has 11 rows; the limit is 10"):
        parse_catalog(path, max_rows=10)


def test_a_path_in_the_file_name_is_not_shown_or_used(tmp_path):
    with pytest.raises(UploadError) as caught:
        parse_catalog(_write(tmp_path, "x.csv", ""), name="../../etc/passwd.csv")
    assert "“passwd.csv” is empty" in str(caught.value)


def test_uploaded_items_are_recommended_without_training(tmp_path, settings, fake_domains):
    catalog = parse_catalog(_write(tmp_path, "books.csv", GOOD_CSV))
    client = open_memory_client()
    domain = build_domain(catalog, client, WordHashEmbedder(), "word-hash", 0.0, progress=False)
    base = Recommender(settings, AnsweringModel(" Fantasy."), fake_domains)
    mine = base.with_domains({catalog.domain: domain})
    assert catalog.domain not in base.domains  # the shared recommender is untouched
    state = ConversationState(domain=catalog.domain, count=3)
    result = None
    for event in converse(mine, state, "I loved The Name of the Wind and Mistborn"):
        if isinstance(event, Answered):
            result, state = event.result.to_dict(), event.result.state
    assert state.liked == ["b1", "b3"]
    picked = [r["id"] for r in result["recommendations"]]
    assert picked and set(picked) <= {"b2", "b4", "b5", "b6", "b7"}
    for event in converse(mine, state, "no fantasy"):
        if isinstance(event, Answered):
            result, state = event.result.to_dict(), event.result.state
    assert state.constraints.exclude_genres == ("Fantasy",)  # the file's own categories
    picked = [r["id"] for r in result["recommendations"]]
    assert picked and all("Fantasy" not in catalog.get(i).genres for i in picked)
    drop_domain(domain)
    assert f"items-{catalog.domain}" not in {c.name for c in client.list_collections()}


def test_claims_about_an_uploaded_catalog_are_checked(tmp_path):
    from recommender.core.grounding import GroundingChecker

    catalog = parse_catalog(_write(tmp_path, "books.csv", GOOD_CSV))
    checker = GroundingChecker(catalog)
    history = [catalog.get("b1"), catalog.get("b3")]
    text = ("Like The Name of the Wind, Gone Girl is a thriller that combines science fiction "
            "and horror.")
    assert sorted(checker.unsupported_claims(text, catalog.get("b4"), history)) == [
        "horror", "science fiction"]
    assert checker.unsupported_claims("Like Mistborn, Gone Girl is a thriller.",
                                      catalog.get("b4"), history) == []
