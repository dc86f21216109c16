import pytest

from recommender.prompts import PROMPT_DIR, PROMPT_NAMES, load_template, render, step_prompt

VALUES = {"noun": "movie", "history": "- Alien (1979)", "candidates": "1. Aliens (1986)",
          "count": 5, "facts": "1. Aliens (1986): Action", "anchor": "Alien", "pick": "Aliens",
          "genres": "Horror, Sci-Fi", "message": "no horror", "profile": "You enjoy sci-fi."}


def test_every_prompt_file_is_known_and_renders():
    assert sorted(p.stem for p in PROMPT_DIR.glob("*.txt")) == sorted(PROMPT_NAMES)
    for name in PROMPT_NAMES:
        template = load_template(name)
        text = render(name, **{k: VALUES[k] for k in template.input_variables})
        assert text.strip() and "{" not in text


def test_missing_values_are_listed():
    with pytest.raises(KeyError, match="needs values for: count"):
        render("select", candidates="1. Aliens")


def test_openings_read_as_the_start_of_a_reply():
    assert render("profile_opening", noun="movie") == "You enjoy movies with"
    assert render("explain_opening", anchor="Alien", pick="Aliens") == "Like Alien, Aliens is"


def test_step_prompt_appends_the_step_to_the_conversation():
    from langchain_core.messages import AIMessage, HumanMessage

    earlier = [HumanMessage("hi"), AIMessage("hello")]
    messages = step_prompt("select").invoke(
        {"conversation": earlier, "candidates": "1. Aliens (1986)", "count": 1}).to_messages()
    assert messages[:2] == earlier
    assert messages[2].content.startswith("Candidates:\n1. Aliens (1986)")
