import pytest

from recommender.core.linking import TitleLinker
from recommender.core.turn import ExplanationSource, Finished, Linked, ProfileDone, TurnResult
from recommender.markup import escape
from recommender.web.chat_view import TurnView

from .catalogs import tiny_movies


@pytest.mark.parametrize("text, shown", [
    ("<b>Alien</b>", "&lt;b&gt;Alien&lt;/b&gt;"),
    ("<script>alert(1)</script>", "&lt;script&gt;alert\\(1\\)&lt;/script&gt;"),
    ("**bold** _it_ [link](http://x)", "\\*\\*bold\\*\\* \\_it\\_ \\[link\\]\\(http://x\\)"),
    ("# heading", "\\# heading"),
    ("Amélie 🎬", "Amélie 🎬"),
])
def test_escape_shows_markup_literally(text, shown):
    assert escape(text) == shown


def test_linking_text_names_matches_and_misses():
    catalog = tiny_movies()
    view = TurnView(catalog)
    view.apply(Linked(TitleLinker(catalog).link_message("Alien, <i>qqqq</i>")))
    assert view.markdown().startswith(
        "**I understood:** Alien \\(1979\\)  \n**No movie matched:** “qqqq”. Check the spelling")
    assert "**Your taste:** …" in view.markdown()


def test_nothing_found_suggests_an_example_once():
    view = TurnView(tiny_movies())
    link = TitleLinker(tiny_movies()).link_message("🍿")
    view.apply(Linked(link))
    view.apply(Finished(TurnResult("movies", link, notices=["No movie in the catalog matched."])))
    assert view.markdown() == (
        "I didn't find a movie title in your message.  \nName a few movies you liked, separated "
        "by commas, for example: “Alien, Blade Runner, The Matrix”.")


@pytest.mark.parametrize("source, note", [
    (ExplanationSource.CATALOG_FACTS, " _(from catalog facts)_"),
    (ExplanationSource.LLM, ""),
    (None, ""),  # the user's own profile, or one an earlier turn wrote
])
def test_a_replaced_profile_is_marked_like_a_replaced_explanation(source, note):
    catalog = tiny_movies()
    view = TurnView(catalog)
    view.apply(Linked(TitleLinker(catalog).link_message("Alien")))
    view.apply(ProfileDone("You like science fiction.", source))
    assert "**Your taste:** You like science fiction." + note + "\n" in view.markdown() + "\n"


def test_the_picks_titles_show_before_their_explanations():
    """``Ranked`` puts every pick's title on the page at once, each explanation "…" until its
    text streams in; the explanation then fills the pick's own line."""
    from recommender.core.turn import ExplanationDelta, ExplanationStart, Ranked, Retrieved

    catalog = tiny_movies()
    view = TurnView(catalog)
    view.apply(Linked(TitleLinker(catalog).link_message("Alien")))
    view.apply(Retrieved(("4", "3", "2")))
    view.apply(Ranked(("4", "3")))
    assert [text for _, text in view.pick_messages()] == [
        "1. **The Matrix \\(1999\\)**: …", "2. **Blade Runner \\(1982\\)**: …"]
    assert "**Your taste:** …" in view.header()
    view.apply(ExplanationStart(0, catalog.get("4")))
    view.apply(ExplanationDelta(0, "Like Alien, it is science fiction."))
    assert [item for item, _ in view.pick_messages()] == ["4", "3"]
    assert view.pick_messages()[0][1].endswith("Like Alien, it is science fiction.")
    assert view.pick_messages()[1][1].endswith(": …")
