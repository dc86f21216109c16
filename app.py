"""Web app: a chat over the recommender and a JSON API (`/recommend`); layout and handlers only,
each calling this visitor's ``web.session.ChatSession``. Run ``python app.py`` (see README)."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import logging  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402

from recommender.conversation.state import ConversationState  # noqa: E402
from recommender.core.pipeline import Recommender  # noqa: E402
from recommender.errors import RecommenderError  # noqa: E402
from recommender.web.about import (  # noqa: E402
    CSS,
    EXAMPLES,
    INTRO,
    UPLOAD_HELP,
    about_markdown,
    theme,
)
from recommender.web.chat_view import state_markdown  # noqa: E402
from recommender.web.session import ChatSession, Uploads, recommend_json, settings_from_args  # noqa: E402


def build_app(recommender: Recommender) -> gr.Blocks:
    """The Blocks UI over a loaded recommender."""
    settings, first = recommender.settings, next(iter(recommender.domains))
    uploads = Uploads.in_memory(recommender)

    def respond(message, domain, count, diversity, history, session):
        session = session or ChatSession(recommender)
        for shown in session.send(message, domain, count, diversity, list(history or [])):
            yield shown, "", session, *session.side_panel()

    def rate(data: gr.LikeData, session):
        session = session or ChatSession(recommender)
        gr.Info(session.rate(data.index, data.liked))
        return session, *session.side_panel()

    def use_profile(text, session):
        session = session or ChatSession(recommender)
        gr.Info(session.edit_profile(text))
        return session, *session.side_panel()

    def reset(domain, session):
        """A new conversation in ``domain``, with that catalog's "Try" examples shown."""
        session = session or ChatSession(recommender)
        session.reset(domain)
        shown = [gr.Column(visible=key == domain) for key in tries]
        return [], session, *session.side_panel(), settings.recommendations, 0.0, *shown

    def upload(file, session, progress=gr.Progress(track_tqdm=True)):
        session = session or ChatSession(recommender)
        if not file:
            return session, gr.skip(), gr.skip(), gr.skip()
        note, key = session.upload(uploads, Path(file), Path(file).name)
        if key is None:  # refused: the catalogs stay as they were
            return session, gr.skip(), gr.skip(), note
        return session, gr.Radio(choices=session.choices(), value=key), key, note

    def recommend(message: str, domain: str = "movies", state: dict | None = None) -> dict:
        """Recommend from a free-text message. Pass the previous answer's ``state`` to go on
        with that conversation (likes, dislikes and filters are kept); leave it out to start
        a new one. Returns the same JSON as the CLI's --json, with the new ``state``."""
        return recommend_json(recommender, message, domain, state)

    tries: dict[str, gr.Column] = {}  # each catalog's "Try" examples, filled below
    with gr.Blocks(title="Taste-based recommender", analytics_enabled=False) as demo:
        session = gr.State(None, delete_callback=lambda s: s.close() if s else None)
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=3):
                catalogs = gr.Radio(choices=ChatSession(recommender).choices(), value=first,
                                    label="Catalog")
                # The domain in use: a Radio accepts only its first choices from a client.
                domain = gr.Textbox(first, visible=False)
                chatbot = gr.Chatbot(label="Conversation", height=600,
                                     feedback_options=("Like", "Dislike"), buttons=["copy"],
                                     group_consecutive_messages=False)
                with gr.Row():
                    message = gr.Textbox(
                        placeholder="e.g. I loved Alien, Blade Runner and The Matrix",
                        show_label=False, scale=5, max_lines=4, autofocus=True)
                    send = gr.Button("Recommend", variant="primary", scale=1)
                for key in (k for k in recommender.domains if k in EXAMPLES):
                    with gr.Column(visible=key == first) as tries[key]:
                        gr.Examples(EXAMPLES[key], inputs=[message], label="Try")
            with gr.Column(scale=1, min_width=280):
                status = gr.Markdown(state_markdown(ConversationState(domain=first),
                                                    recommender.domain(first).catalog))
                most = min(10, settings.candidates)
                count = gr.Slider(3, most, value=min(settings.recommendations, most), step=1,
                                  label="Recommendations per answer")
                diversity = gr.Slider(0.0, 1.0, value=0.0, step=0.1, label="Diversity",
                                      info="0: the closest matches first; higher: more varied "
                                           "picks (maximal marginal relevance)")
                profile = gr.Textbox(label="Your taste profile", lines=4, max_lines=8,
                                     info="Written by the model. Edit it to steer what you get; "
                                          "clear it to let the model write it again.")
                apply_profile = gr.Button("Use this profile")
                clear = gr.Button("Reset conversation", variant="stop")
                with gr.Accordion("Your own catalog", open=False):
                    gr.Markdown(UPLOAD_HELP)
                    catalog_file = gr.File(label="Upload a catalog", file_types=[".csv", ".json"])
                    upload_status = gr.Markdown()
        with gr.Accordion("About this demo", open=False):
            gr.Markdown(about_markdown(recommender))
        turn = dict(fn=respond, inputs=[message, domain, count, diversity, chatbot, session],
                    outputs=[chatbot, message, session, status, profile])
        message.submit(**turn, api_name="chat", api_visibility="undocumented")
        send.click(**turn, api_visibility="private")
        chatbot.option_select(_chosen, None, message, api_visibility="private").then(
            **turn, api_visibility="private")
        chatbot.like(rate, [session], [session, status, profile], api_visibility="private")
        edit = dict(fn=use_profile, inputs=[profile, session], outputs=[session, status, profile],
                    api_visibility="private")
        apply_profile.click(**edit)
        profile.submit(**edit)
        cleared = dict(fn=reset, inputs=[domain, session], api_visibility="private",
                       outputs=[chatbot, session, status, profile, count, diversity,
                                *tries.values()])
        clear.click(**cleared)
        catalogs.input(str, [catalogs], [domain], api_visibility="private")
        domain.change(**cleared)
        catalog_file.upload(upload, [catalog_file, session],
                            [session, catalogs, domain, upload_status], api_name="upload",
                            api_visibility="undocumented")
        gr.api(recommend, api_name="recommend")
    return demo


def _chosen(data: gr.SelectData) -> str:
    """The message a clicked "did you mean" option sends."""
    return str(data.value)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = settings_from_args(argv)
        from recommender.loading import load_recommender
        from recommender.study.ui import load_study_app

        demo = (load_study_app(settings) if settings.study_file is not None
                else build_app(load_recommender(settings)))
    except RecommenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=settings.turns_at_once)
    demo.launch(server_name=settings.host, server_port=settings.port, share=False,
                show_error=False, theme=theme(), css=CSS)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
