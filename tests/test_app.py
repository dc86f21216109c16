"""The web app on a free localhost port, driven with gradio_client, on the real stack."""

import re
import socket

import pytest
from gradio_client import Client

import app


@pytest.fixture(scope="module")
def client(real):
    demo = app.build_app(real)
    demo.queue(max_size=16, default_concurrency_limit=1)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True,
                share=False, theme=app.theme(), quiet=True)
    yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    demo.close()


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


def test_chat_streams_a_turn_and_shows_markup_as_text(client):
    history, cleared = client.predict("<b>Alien</b> and Toy Story", "movies", [],
                                      api_name="/chat")
    assert cleared == ""
    user, bot = history[-2], history[-1]
    assert user["role"] == "user" and "&lt;b&gt;Alien&lt;/b&gt;" in _text(user)
    reply = _text(bot)
    assert "**I understood:** Alien (1979) · Toy Story (1995)" in reply
    assert "**Your taste:** You enjoy movies with" in reply
    assert reply.count("\n1. ") + reply.count("\n5. ") == 2


@pytest.mark.parametrize("message, expected", [
    ("", "Your message is empty. Type a few movies you liked"),
    ("zzzzqqqq", "**No movie matched:** “zzzzqqqq”"),
])
def test_chat_answers_bad_input_and_keeps_serving(client, message, expected):
    history, _ = client.predict(message, "movies", [], api_name="/chat")
    assert expected in _text(history[-1])
    history, _ = client.predict("Heat", "movies", history, api_name="/chat")
    assert "**I understood:** Heat (1995)" in _text(history[-1])
    assert len(history) == 4  # the earlier exchange is kept


def _text(message: dict) -> str:
    """The message as Markdown renders it: backslash escapes removed."""
    content = message["content"]
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return re.sub(r"\\(.)", r"\1", str(content))
