"""Web app: a chat over the recommender, plus a JSON API endpoint (`/recommend`).

This layer only validates, calls the library, and turns its events and errors into chat text.
Run: ``python app.py`` (settings: ``RECOMMENDER_*`` environment variables, see README).
"""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from dataclasses import replace  # noqa: E402

import gradio as gr  # noqa: E402

from recommender.chat_view import TurnView, escape  # noqa: E402
from recommender.errors import RecommenderError  # noqa: E402
from recommender.pipeline import Finished, Recommender, domain_labels  # noqa: E402
from recommender.settings import Settings  # noqa: E402

log = logging.getLogger("app")

ChatHistory = list[dict[str, str]]

_STREAM_INTERVAL_S = 0.05  # coalesce token updates; a browser needs no more than ~20 a second
_SHOWN_MESSAGE_CHARS = 500
_ABOUT = """\
**How it works** (PALR, arXiv 2305.07622): your titles are matched to the catalog; a small local
language model ({model}) writes a profile of your taste; Chroma retrieves {candidates} candidates
by embedding: items whose description is close to what you named (all-MiniLM-L6-v2), fused with
what people who liked the same went on to like (a SASRec model trained on the catalog's
interactions; {retrieval}). The same model orders {count} of them, constrained so it cannot name
anything outside the list, and explains each pick. An explanation that claims
something the catalog does not hold is replaced by one built from catalog facts, and marked so.
Everything runs on this machine; nothing is sent anywhere.

**Data.** Movies: MovieLens ml-latest-small (F. M. Harper and J. A. Konstan, ACM TiiS 2015),
with overviews from TMDB 5000. *This product uses the TMDB API but is not endorsed or certified
by TMDB.* Products: Amazon Beauty 5-core (McAuley et al., SIGIR 2015; He and McAuley, WWW 2016).
Research and non-commercial use.
"""


def _retrieval_kinds(recommender: Recommender) -> str:
    labels = domain_labels(list(recommender.domains))
    parts = [f"{labels[name].lower()}: " + ("content and collaborative"
                                             if domain.retriever.name == "hybrid"
                                             else "content only, no model trained")
             for name, domain in recommender.domains.items()]
    return "; ".join(parts)


def build_app(recommender: Recommender) -> gr.Blocks:
    """The Blocks UI over a loaded recommender."""
    labels = domain_labels(list(recommender.domains))
    settings = recommender.settings

    def respond(message: str, domain: str, history: ChatHistory | None) -> Iterator:
        history = list(history or [])
        history.append({"role": "user", "content": _shown(message or "")})
        history.append({"role": "assistant", "content": "…"})
        yield history, ""
        try:
            view = TurnView(recommender.domain(domain).catalog)
            last = 0.0
            for event in recommender.stream(domain, message=message):
                view.apply(event)
                now = time.monotonic()
                if now - last >= _STREAM_INTERVAL_S or isinstance(event, Finished):
                    history[-1] = {"role": "assistant", "content": view.markdown()}
                    last = now
                    yield history, ""
        except RecommenderError as exc:
            history[-1] = {"role": "assistant", "content": escape(str(exc))}
            yield history, ""
        except Exception:  # never show a stack trace; the log has it
            log.exception("turn failed")
            history[-1] = {"role": "assistant", "content": (
                "Something went wrong on our side while answering. Please send your message "
                "again; if it keeps failing, reload the page.")}
            yield history, ""

    def recommend(message: str, domain: str = "movies") -> dict:
        """Recommend from a free-text message; returns the same JSON as the CLI's --json."""
        try:
            return recommender.recommend(domain, message=message).to_dict()
        except RecommenderError as exc:
            return {"error": str(exc)}

    with gr.Blocks(title="Taste-based recommender", analytics_enabled=False) as demo:
        gr.Markdown("## What did you enjoy?\nName a few titles; a local language model profiles "
                    "your taste, then picks and explains recommendations from the catalog.")
        domain = gr.Radio(choices=[(label, key) for key, label in labels.items()],
                          value=next(iter(labels)), label="Catalog")
        chatbot = gr.Chatbot(label="Conversation", height=640, feedback_options=None,
                             buttons=["copy"], group_consecutive_messages=False)
        with gr.Row():
            message = gr.Textbox(placeholder="e.g. I loved Alien, Blade Runner and The Matrix",
                                 show_label=False, scale=5, max_lines=4, autofocus=True)
            send = gr.Button("Recommend", variant="primary", scale=1)
        gr.Examples([["I loved Alien, Blade Runner and The Matrix"],
                     ["Toy Story, Finding Nemo, Up"],
                     ["Pride and Prejudice, Notting Hill, Amelie"]],
                    inputs=[message], label="Try")
        with gr.Accordion("About this demo", open=False):
            gr.Markdown(_ABOUT.format(model=recommender.model.name, count=settings.recommendations,
                                      candidates=settings.candidates,
                                      retrieval=_retrieval_kinds(recommender)))
        message.submit(respond, [message, domain, chatbot], [chatbot, message], api_name="chat",
                       api_visibility="undocumented")
        send.click(respond, [message, domain, chatbot], [chatbot, message],
                   api_visibility="private")
        gr.api(recommend, api_name="recommend")
    return demo


def theme() -> gr.themes.Base:
    """System fonts only: the default theme would fetch Google Fonts, and nothing may be fetched."""
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


def _shown(message: str) -> str:
    text = message.strip()
    if len(text) > _SHOWN_MESSAGE_CHARS:
        return escape(text[:_SHOWN_MESSAGE_CHARS]) + f" … _({len(text):,} characters)_"
    return escape(text) if text else "_(empty message)_"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start the recommender web app.")
    parser.add_argument("--host", help="address to listen on (default RECOMMENDER_HOST)")
    parser.add_argument("--port", type=int, help="port (default RECOMMENDER_PORT)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        settings = replace(settings, host=args.host or settings.host,
                           port=args.port or settings.port)
        from recommender.loading import load_recommender

        recommender = load_recommender(settings)
    except RecommenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    demo = build_app(recommender)
    demo.queue(max_size=32, default_concurrency_limit=1)
    demo.launch(server_name=settings.host, server_port=settings.port, share=False,
                show_error=False, theme=theme())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
