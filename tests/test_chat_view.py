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
