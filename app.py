"""Web app: a chat over the recommender and a JSON API (`/recommend`); layout and handlers only,
each calling this visitor's ``web.session.ChatSession``. Run ``python app.py`` (see README)."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import logging  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import gradio as gr  # noqa: E402

from recommender.conversation.state import ConversationState  # noqa: E402
from recommender.core.pipeline import Recommender  # noqa: E402
from recommender.errors import RecommenderError  # noqa: E402
from recommender.web.about import CSS, EXAMPLES, INTRO, UPLOAD_HELP, about_markdown, theme  # noqa: E402,E501
from recommender.web.chat_view import state_markdown  # noqa: E402
from recommender.web.handlers import Handlers, chosen_option  # noqa: E402
from recommender.web.session import ChatSession, settings_from_args  # noqa: E402


SESSION_IDLE_S = 6 * 3600
"""A visitor's conversation is kept this long after their last turn (or upload)."""


def build_app(recommender: Recommender) -> gr.Blocks:
    """The Blocks UI over a loaded recommender: the layout, each event wired to ``Handlers``."""
    on = Handlers(recommender, [k for k in recommender.domains if k in EXAMPLES])
    with gr.Blocks(title="Taste-based recommender", analytics_enabled=False) as demo:
        _wire(_layout(recommender, on.tries), on)
        gr.api(on.recommend, api_name="recommend")
    return demo


@dataclass
class _Page:
    """The page's components that events read or change."""

    session: gr.State
    catalogs: gr.Radio
    domain: gr.Textbox
    chatbot: gr.Chatbot
    message: gr.Textbox
    send: gr.Button
    tries: dict[str, gr.Column]
    status: gr.Markdown
    count: gr.Slider
    diversity: gr.Slider
    profile: gr.Textbox
    apply_profile: gr.Button
    clear: gr.Button
    catalog_file: gr.File
    upload_status: gr.Markdown
    kept: gr.JSON


def _layout(recommender: Recommender, tries: Sequence[str]) -> _Page:
    """The page, inside the ``gr.Blocks`` being built: the chat on the left, the conversation's
    state, settings and an upload on the right."""
    settings, first = recommender.settings, next(iter(recommender.domains))
    # Gradio frees a page's state when its tab closes; a client that never says goodbye (an API
    # caller, a tab left open for days) is freed after SESSION_IDLE_S without a turn.
    session = gr.State(None, time_to_live=SESSION_IDLE_S,
                       delete_callback=lambda s: s.close() if s else None)
    # The conversation as the page keeps it: another replica goes on with it (web.handlers).
    kept = gr.JSON({}, visible=False)
    gr.Markdown(INTRO)
    columns: dict[str, gr.Column] = {}
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
                message = gr.Textbox(placeholder="e.g. I loved Alien, Blade Runner and The Matrix",
                                     show_label=False, scale=5, max_lines=4, autofocus=True)
                send = gr.Button("Recommend", variant="primary", scale=1)
            for key in tries:
                with gr.Column(visible=key == first) as columns[key]:
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
    return _Page(session, catalogs, domain, chatbot, message, send, columns, status, count,
                 diversity, profile, apply_profile, clear, catalog_file, upload_status, kept)


def _wire(p: _Page, on: Handlers) -> None:
    """Each event of the page to its handler; only the chat and upload are callable by clients."""
    private = dict(api_visibility="private")
    turn = dict(fn=on.respond, inputs=[p.message, p.domain, p.count, p.diversity, p.chatbot,
                                       p.session, p.kept],
                outputs=[p.chatbot, p.message, p.session, p.status, p.profile, p.kept])
    p.message.submit(**turn, api_name="chat", api_visibility="undocumented")
    p.send.click(**turn, **private)
    p.chatbot.option_select(chosen_option, None, p.message, **private).then(**turn, **private)
    p.chatbot.like(on.rate, [p.session, p.kept], [p.session, p.status, p.profile, p.kept],
                   **private)
    edit = dict(fn=on.use_profile, inputs=[p.profile, p.session, p.kept],
                outputs=[p.session, p.status, p.profile, p.kept], **private)
    p.apply_profile.click(**edit)
    p.profile.submit(**edit)
    cleared = dict(fn=on.reset, inputs=[p.domain, p.session], **private,
                   outputs=[p.chatbot, p.session, p.status, p.profile, p.count, p.diversity,
                            p.kept, *p.tries.values()])
    p.clear.click(**cleared)
    p.catalogs.input(str, [p.catalogs], [p.domain], **private)
    p.domain.change(**cleared)
    p.catalog_file.upload(on.upload, [p.catalog_file, p.session],
                          [p.session, p.catalogs, p.domain, p.upload_status], api_name="upload",
                          api_visibility="undocumented")


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
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
