"""The web app on a free localhost port, driven with gradio_client, on the real stack."""

import re

import pytest
from gradio_client import Client

from .test_upload import GOOD_CSV


@pytest.fixture
def client(server):
    """A new browser session: its conversation state starts empty."""
    return Client(server, verbose=False)


def test_recommend_endpoint_returns_the_cli_json(client):
    data = client.predict("I loved Alien, Blade Runner and The Matrix", "movies",
                          api_name="/recommend")
    assert [row["title"] for row in data["linked"]] == [
        "Alien (1979)", "Blade Runner (1982)", "The Matrix (1999)"]
    picked = [r["id"] for r in data["recommendations"]]
    assert len(picked) == 5 and set(picked) <= set(data["candidates"])
    assert set(data["timings"]) >= {"linking", "profile", "retrieval", "selection", "explanation"}


@pytest.mark.parametrize("message, domain, expected", [
    ("", "movies", "Your message is empty"),
    ("x" * 50_000, "movies", "Your message is 50,000 characters long"),
    ("Alien", "books", "Unknown domain 'books'. Choose one of: movies, beauty."),
])
def test_recommend_endpoint_explains_bad_input(client, message, domain, expected):
    assert expected in client.predict(message, domain, api_name="/recommend")["error"]


@pytest.mark.parametrize("message", ["🍿🎬🍿", "qwertyuiop asdfgh", "<img src=x onerror=alert(1)>"])
def test_nothing_matched_is_said_plainly(client, message):
    data = client.predict(message, "movies", api_name="/recommend")
    assert data["recommendations"] == []
    assert data["notices"] == ["No movie in the catalog matched what you typed."]


def _chat(client, message, history=None, count=5, diversity=0.0):
    """One turn through the UI's own event (the conversation state stays on the server, in
    the client's session); returns the chat and the side panel's text."""
    history, cleared, status, profile, _kept = client.predict(
        message, "movies", count, diversity, history or [], {}, api_name="/chat")
    assert cleared == ""
    return history, status


def test_chat_streams_a_turn_and_shows_markup_as_text(client):
    history, status = _chat(client, "<b>Alien</b> and Toy Story")
    user, header, *shown = history
    assert user["role"] == "user" and "&lt;b&gt;Alien&lt;/b&gt;" in _text(user)
    reply = _text(header)
    assert "**I understood:** Alien (1979) · Toy Story (1995)" in reply
    assert "**Your taste:** You enjoy movies with" in reply
    assert [_text(m)[:3] for m in shown] == ["1. ", "2. ", "3. ", "4. ", "5. "]
    assert "**Liked:** Alien (1979) · Toy Story (1995)" in _text({"content": status})


def test_a_page_goes_on_with_its_conversation_in_a_session_the_server_never_saw(server):
    """What a replica taking over from one that stopped sees: a page with a conversation, in a
    new session. The conversation the page kept goes on; a forged one is not taken."""
    history, _, status, _, kept = Client(server, verbose=False).predict(
        "Alien and Toy Story", "movies", 5, 0.0, [], {}, api_name="/chat")
    assert kept["state"]["liked"] and len(kept["picks"]) == 5
    history, _, status, _, kept = Client(server, verbose=False).predict(
        "Heat", "movies", 5, 0.0, history, kept, api_name="/chat")
    assert "**Liked:** Alien (1979) · Toy Story (1995) · Heat (1995)" in _text({"content": status})
    assert len(kept["picks"]) == 10
    forged = {"state": {"version": 1, "domain": "nowhere", "liked": ["x"]}, "picks": {"1": 2}}
    _, _, status, _, kept = Client(server, verbose=False).predict(
        "Heat", "movies", 5, 0.0, [], forged, api_name="/chat")
    assert "**Liked:** Heat (1995)" in _text({"content": status}) and "Alien" not in status


@pytest.mark.parametrize("message, expected", [
    ("", "Your message is empty. Type a few movies you liked"),
    ("zzzzqqqq", "**No movie matched:** “zzzzqqqq”"),
])
def test_chat_answers_bad_input_and_keeps_serving(client, message, expected):
    history, _ = _chat(client, message)
    assert expected in _text(history[-1])
    history, _ = _chat(client, "Heat", history)
    assert [m["role"] for m in history[:2]] == ["user", "assistant"]  # the first exchange stays
    assert _text(history[2]) == "Heat"
    assert "**I understood:** Heat (1995)" in _text(history[3])
    assert len(history) == 4 + 5  # and a message per pick


def _say(client, message, state=None):
    data = client.predict(message, "movies", state, api_name="/recommend")
    assert "error" not in data, data
    return data


def _movie(real, item_id):
    return real.domain("movies").catalog.get(item_id)


@pytest.mark.slow
def test_a_scripted_conversation_obeys_every_turn(client, real):
    """The issue's conversation, through the API with the state passed back each turn."""
    data = _say(client, "I loved Alien, 28 Days Later and Zombieland")
    state = data["state"]
    assert state["liked"] and data["recommendations"]

    data = _say(client, "no horror", state)
    state = data["state"]
    assert data["recommendations"]
    assert all("Horror" not in _movie(real, r["id"]).genres for r in data["recommendations"])

    data = _say(client, "after 2000", state)
    state = data["state"]
    assert data["recommendations"]
    for r in data["recommendations"]:
        movie = _movie(real, r["id"])
        assert movie.year > 2000 and "Horror" not in movie.genres  # both filters hold

    disliked = data["recommendations"][0]["id"]
    data = _say(client, "I didn't like the first one", state)
    state = data["state"]
    assert disliked in state["disliked"] and data["recommendations"]
    liked = data["recommendations"][0]["id"]  # the new first one
    data = _say(client, "I liked the first one", state)
    state = data["state"]
    assert state["liked"][-1] == liked

    for message in ("something different", "horror is fine again", "any year"):
        data = _say(client, message, state)
        state = data["state"]
        assert disliked not in [r["id"] for r in data["recommendations"]]
        assert not set(state["liked"]) & {r["id"] for r in data["recommendations"]}
    assert state["constraints"] == {"include_genres": [], "exclude_genres": [],
                                    "year_min": None, "year_max": None}


def test_each_api_conversation_is_its_own(client):
    """Two conversations through the same server: one's likes and filters never reach the
    other, because the state travels with each request."""
    first = _say(client, "Alien. No horror")
    second = _say(client, "Toy Story")
    assert second["state"]["liked"] == [second["linked"][0]["item_id"]]
    assert second["state"]["constraints"]["exclude_genres"] == []
    assert not set(first["state"]["liked"]) & set(second["state"]["liked"])


@pytest.mark.parametrize("state, expected", [
    ({"domain": "movies", "liked": ["no-such-id"]}, "ids not in the movies catalog"),
    ({"domain": "movies", "version": 7}, "version 7 is not supported"),
])
def test_a_bad_state_gets_a_clear_error(client, state, expected):
    assert expected in client.predict("Heat", "movies", state, api_name="/recommend")["error"]


def _text(message: dict) -> str:
    """The message as Markdown renders it: backslash escapes removed."""
    content = message["content"]
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return re.sub(r"\\(.)", r"\1", str(content))




def test_an_uploaded_catalog_is_recommended_from_and_stays_private(server, tmp_path):
    from gradio_client import handle_file

    path = tmp_path / "books.csv"
    path.write_text(GOOD_CSV)
    owner, stranger = Client(server, verbose=False), Client(server, verbose=False)
    radio, key, status = owner.predict(handle_file(str(path)), api_name="/upload")
    assert radio["value"] == key and key.startswith("upload-") and "Indexed **7** items from books.csv" in status
    assert [key, "Your catalog: books.csv"] in [list(c)[::-1] for c in radio["choices"]]
    history, *_ = owner.predict("I loved The Name of the Wind and Mistborn", key, 3, 0.0,
                                     [], {}, api_name="/chat")
    picks = [_text(m) for m in history[2:5]]
    titles = ["The Wise Man's Fear", "Gone Girl", "The Girl with the Dragon Tattoo", "Dune",
              "Hyperion"]
    assert len(picks) == 3 and all(any(t in p for t in titles) for p in picks)
    history, *_ = stranger.predict("I loved Mistborn", key, 3, 0.0, [], {}, api_name="/chat")
    assert "Unknown domain" in _text(history[-1])


def test_a_broken_upload_is_refused_with_its_fault(client, tmp_path):
    from gradio_client import handle_file

    path = tmp_path / "books.csv"
    path.write_text("name_of_thing,year\nDune,1965\n")
    *_, status = client.predict(handle_file(str(path)), api_name="/upload")
    assert "Upload refused" in status and "has no title column" in status
