import pytest

from recommender.models.prompts import PROMPT_DIR, PROMPT_NAMES, load_template, render

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
    assert render("explain_opening", anchor="Alien", pick="Aliens") == "Like Alien, Aliens"


def test_prompt_conversation_appends_each_step_to_one_chat():
    from recommender.models.prompting import GuardedModel, PromptConversation

    from .fakes import ScriptedModel

    model = ScriptedModel([" hello"])
    chat = PromptConversation(GuardedModel(model), "system text")
    chat.extend("hi", "hello")
    request = render("select", candidates="1. Aliens (1986)", count=1)
    assert "".join(chat.ask("selection", request, 4)) == " hello"
    sent = model.calls[0].messages
    assert sent[:3] == [{"role": "system", "content": "system text"},
                        {"role": "user", "content": "hi"},
                        {"role": "assistant", "content": "hello"}]
    assert sent[3]["role"] == "user" and sent[3]["content"].startswith("Candidates:\n1. Aliens")
    assert len(chat.messages) == 3  # asking does not change the conversation


def test_guarded_model_records_the_first_failure_and_refuses_after_it():
    from recommender.models.chat import Request
    from recommender.models.prompting import GuardedModel

    from .fakes import ScriptedModel

    model = ScriptedModel([TimeoutError("no answer within 1 s"), " never asked"])
    guarded = GuardedModel(model)
    assert list(guarded.stream("profile", Request([], 4))) == []
    assert guarded.failed and guarded.failure == "no answer within 1 s"
    assert list(guarded.generate("selection", [Request([], 4)])) == []
    assert len(model.calls) == 1
