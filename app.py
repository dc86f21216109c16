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
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402

from recommender.chat_view import TurnView, escape, state_markdown  # noqa: E402
from recommender.conversation import ConversationState, converse  # noqa: E402
from recommender.errors import RecommenderError  # noqa: E402
from recommender.pipeline import Finished, Recommender, domain_labels  # noqa: E402
from recommender.settings import Settings  # noqa: E402
from recommender.upload import (MAX_BYTES, MAX_ROWS, UploadedCatalog, UploadError,  # noqa: E402
                                build_domain, drop_domain, parse_catalog)
from recommender.index import open_memory_client  # noqa: E402

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
    most = min(10, settings.candidates)

    uploads_client = open_memory_client()
    shared = next(iter(recommender.domains.values())).index

    first = next(iter(labels))

    def engine(uploaded: UploadedCatalog | None) -> Recommender:
        """The recommender as this session sees it: with its own uploaded catalog, if any."""
        return recommender.with_domains({uploaded.key: uploaded.domain}) if uploaded \
            else recommender

    def session_state(doc: dict | None, domain: str, count: float, diversity: float,
                      uploaded: UploadedCatalog | None = None) -> ConversationState:
        engine(uploaded).domain(domain)  # an unknown domain is refused before anything else
        state = ConversationState.from_dict(doc, engine(uploaded)) if doc else \
            ConversationState(domain=domain, count=settings.recommendations)
        state.count, state.diversity = int(count), float(diversity)
        return state

    def side_panel(state: ConversationState, uploaded: UploadedCatalog | None = None
                   ) -> tuple[str, str]:
        catalog = engine(uploaded).domain(state.domain).catalog
        return state_markdown(state, catalog), state.profile

    def respond(message: str, domain: str, count: float, diversity: float,
                history: ChatHistory | None, doc: dict | None, picks: dict | None,
                uploaded: UploadedCatalog | None = None) -> Iterator:
        history = list(history or [])
        serving = engine(uploaded)
        picks = dict(picks or {})
        history.append({"role": "user", "content": _shown(message or "") if (message or "").strip()
                        else "_(recommend again)_"})
        base = len(history)
        history.append({"role": "assistant", "content": "…"})
        state = None
        try:
            state = session_state(doc, domain, count, diversity, uploaded)
            yield history, "", doc, picks, *side_panel(state, uploaded)
            view = TurnView(serving.domain(domain).catalog)
            last = 0.0
            for event in converse(serving, state, message, domain=domain):
                view.apply(event)
                now = time.monotonic()
                if now - last >= _STREAM_INTERVAL_S or isinstance(event, Finished):
                    history[base:] = [{"role": "assistant", "content": view.header()}]
                    for item_id, text in view.pick_messages():
                        picks[str(len(history))] = item_id
                        history.append({"role": "assistant", "content": text})
                    question = view.question()
                    if question:
                        history.append({"role": "assistant", "content": question[0],
                                        "options": question[1]})
                    last = now
                    yield history, "", state.to_dict(), picks, *side_panel(state, uploaded)
        except RecommenderError as exc:
            history[base:] = [{"role": "assistant", "content": escape(str(exc))}]
            yield history, "", doc, picks, *(side_panel(state, uploaded) if state else ("", ""))
        except Exception:  # never show a stack trace; the log has it
            log.exception("turn failed")
            history[base:] = [{"role": "assistant", "content": (
                "Something went wrong on our side while answering. Please send your message "
                "again; if it keeps failing, press Reset.")}]
            yield history, "", doc, picks, *(side_panel(state, uploaded) if state else ("", ""))

    def feedback(data: gr.LikeData, domain: str, count: float, diversity: float,
                 doc: dict | None, picks: dict | None,
                 uploaded: UploadedCatalog | None = None) -> tuple:
        item_id = (picks or {}).get(str(data.index))
        if item_id is None or data.liked not in (True, False) or not doc:
            gr.Info("Rate one recommendation at a time, with the thumbs under that pick.")
            return doc, *(side_panel(session_state(doc, domain, count, diversity, uploaded),
                                     uploaded) if doc else ("", ""))
        state = session_state(doc, domain, count, diversity, uploaded)
        if item_id not in engine(uploaded).domain(state.domain).catalog:
            gr.Info("That pick is from another catalog; rate one from this conversation.")
            return doc, *side_panel(state, uploaded)
        title = engine(uploaded).domain(state.domain).catalog.get(item_id).label
        if data.liked:
            state.like(item_id)
            gr.Info(f"Added {title} to what you liked. Press Recommend for an updated answer.")
        else:
            state.dislike(item_id)
            gr.Info(f"{title} will not be recommended again. Press Recommend for an updated "
                    "answer.")
        return state.to_dict(), *side_panel(state, uploaded)

    def use_profile(text: str, domain: str, count: float, diversity: float,
                    doc: dict | None, uploaded: UploadedCatalog | None = None) -> tuple:
        try:
            state = session_state(doc, domain, count, diversity, uploaded)
        except RecommenderError as exc:
            gr.Warning(str(exc))
            return doc, gr.skip(), gr.skip()
        state.edit_profile((text or "")[: settings.max_message_chars])
        gr.Info("Your profile will steer the next answer." if state.profile_edited else
                "The model will write your profile again on the next answer.")
        return state.to_dict(), *side_panel(state, uploaded)

    def reset(domain: str, uploaded: UploadedCatalog | None = None) -> tuple:
        if domain not in engine(uploaded).domains:
            domain = first
        state = ConversationState(domain=domain, count=settings.recommendations)
        return ([], state.to_dict(), {}, *side_panel(state, uploaded), settings.recommendations,
                0.0)

    def upload(file: str | None, uploaded: UploadedCatalog | None,
               progress: gr.Progress = gr.Progress(track_tqdm=True)) -> tuple:
        """Check and index an uploaded catalog; it becomes this session's own choice."""
        if not file:
            return uploaded, gr.skip(), gr.skip(), gr.skip()
        try:
            catalog = parse_catalog(Path(file), name=Path(file).name)
            domain = build_domain(catalog, uploads_client, shared.embedder,
                                  shared.embedder_name, settings.profile_weight)
        except UploadError as exc:
            return uploaded, gr.skip(), gr.skip(), f"**Upload refused.** {escape(str(exc))}"
        if uploaded is not None:
            drop_domain(uploaded.domain)
        name = Path(file).name
        mine = UploadedCatalog(catalog.domain, f"Your catalog: {name}", domain)
        choices = [(label, key) for key, label in labels.items()] + [(mine.label, mine.key)]
        return (mine, gr.Radio(choices=choices, value=mine.key), mine.key,
                f"Indexed **{len(catalog):,}** items from {escape(name)}. They are yours only: "
                "other visitors never see them, and they are gone when you close the page.")

    def recommend(message: str, domain: str = "movies", state: dict | None = None) -> dict:
        """Recommend from a free-text message. Pass the previous answer's ``state`` to go on
        with that conversation (likes, dislikes and filters are kept); leave it out to start
        a new one. Returns the same JSON as the CLI's --json, with the new ``state``."""
        try:
            conversation = (ConversationState.from_dict(state, recommender) if state else
                            ConversationState(domain=domain, count=settings.recommendations))
            for event in converse(recommender, conversation, message, domain=domain):
                if isinstance(event, Finished):
                    return event.result.to_dict()
            raise RuntimeError("turn ended without a result")  # pragma: no cover
        except RecommenderError as exc:
            return {"error": str(exc)}

    with gr.Blocks(title="Taste-based recommender", analytics_enabled=False) as demo:
        doc = gr.State(None)
        picks = gr.State({})
        uploaded = gr.State(None, delete_callback=_forget)
        gr.Markdown("## What did you enjoy?\nName a few titles; a local language model profiles "
                    "your taste, then picks and explains recommendations from the catalog. "
                    "Then refine: “no horror”, “from the 90s”, “more like the second one”, "
                    "“why the third one?”, or rate a pick with the thumbs under it.")
        with gr.Row():
            with gr.Column(scale=3):
                catalogs = gr.Radio(choices=[(label, key) for key, label in labels.items()],
                                    value=first, label="Catalog")
                # The domain in use. A Radio only accepts the choices it started with from a
                # client, and a session's uploaded catalog is added later.
                domain = gr.Textbox(first, visible=False)
                chatbot = gr.Chatbot(label="Conversation", height=600,
                                     feedback_options=("Like", "Dislike"), buttons=["copy"],
                                     group_consecutive_messages=False)
                with gr.Row():
                    message = gr.Textbox(
                        placeholder="e.g. I loved Alien, Blade Runner and The Matrix",
                        show_label=False, scale=5, max_lines=4, autofocus=True)
                    send = gr.Button("Recommend", variant="primary", scale=1)
                gr.Examples([["I loved Alien, Blade Runner and The Matrix"],
                             ["Toy Story, Finding Nemo, Up"],
                             ["no horror, nothing before 2000"],
                             ["more like the second one"]],
                            inputs=[message], label="Try")
            with gr.Column(scale=1, min_width=280):
                status = gr.Markdown(state_markdown(
                    ConversationState(domain=first), recommender.domain(first).catalog))
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
                    gr.Markdown(f"A CSV or JSON file with a `title` column; `id`, "
                                f"`description`, `year` and `categories` are used when present. "
                                f"Up to {MAX_ROWS:,} rows and {MAX_BYTES // 2**20} MB, UTF-8.")
                    catalog_file = gr.File(label="Upload a catalog", file_types=[".csv", ".json"])
                    upload_status = gr.Markdown()
        with gr.Accordion("About this demo", open=False):
            gr.Markdown(_ABOUT.format(model=recommender.model.name, count=settings.recommendations,
                                      candidates=settings.candidates,
                                      retrieval=_retrieval_kinds(recommender)))
        turn_inputs = [message, domain, count, diversity, chatbot, doc, picks, uploaded]
        turn_outputs = [chatbot, message, doc, picks, status, profile]
        message.submit(respond, turn_inputs, turn_outputs, api_name="chat",
                       api_visibility="undocumented")
        send.click(respond, turn_inputs, turn_outputs, api_visibility="private")
        chatbot.option_select(_chosen, None, message, api_visibility="private").then(
            respond, turn_inputs, turn_outputs, api_visibility="private")
        chatbot.like(feedback, [domain, count, diversity, doc, picks, uploaded],
                     [doc, status, profile], api_visibility="private")
        profile_inputs = [profile, domain, count, diversity, doc, uploaded]
        apply_profile.click(use_profile, profile_inputs, [doc, status, profile],
                            api_visibility="private")
        profile.submit(use_profile, profile_inputs, [doc, status, profile],
                       api_visibility="private")
        reset_outputs = [chatbot, doc, picks, status, profile, count, diversity]
        clear.click(reset, [domain, uploaded], reset_outputs, api_visibility="private")
        catalogs.input(str, [catalogs], [domain], api_visibility="private")
        domain.change(reset, [domain, uploaded], reset_outputs, api_visibility="private")
        catalog_file.upload(upload, [catalog_file, uploaded],
                            [uploaded, catalogs, domain, upload_status], api_name="upload",
                            api_visibility="undocumented")
        gr.api(recommend, api_name="recommend")
    return demo


def _forget(uploaded: UploadedCatalog | None) -> None:
    """A session ended: its uploaded catalog's collection goes too."""
    if uploaded is not None:
        drop_domain(uploaded.domain)


def _chosen(data: gr.SelectData) -> str:
    """The message a clicked "did you mean" option sends."""
    return str(data.value)


def theme() -> gr.themes.Base:
    """System fonts only: the default theme would fetch Google Fonts, and nothing may be fetched."""
    return gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                             font_mono=["ui-monospace", "monospace"])


def _study_app(settings: Settings) -> gr.Blocks:
    """The user study named by the settings, over a recommender of its catalog only."""
    from recommender.loading import load_recommender
    from recommender.study import EventLog, StudyRunner, load_study
    from recommender.study.ui import build_study_app

    study = load_study(settings.study_file)
    if study.domain not in settings.domains:
        raise RecommenderError(f"The study uses the catalog {study.domain!r}, which this app "
                               f"does not serve; use one of {', '.join(settings.domains)}.")
    recommender = load_recommender(replace(settings, domains=(study.domain,)))
    runner = StudyRunner(study, recommender, EventLog(study.log))
    log.info("study %r: logging to %s", study.title, study.log)
    return build_study_app(runner, settings.study_results_token)


def _shown(message: str) -> str:
    text = message.strip()
    if len(text) > _SHOWN_MESSAGE_CHARS:
        return escape(text[:_SHOWN_MESSAGE_CHARS]) + f" … _({len(text):,} characters)_"
    return escape(text) if text else "_(empty message)_"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Start the recommender web app.")
    parser.add_argument("--host", help="address to listen on (default RECOMMENDER_HOST)")
    parser.add_argument("--port", type=int, help="port (default RECOMMENDER_PORT)")
    parser.add_argument("--study", type=Path, metavar="FILE",
                        help="run the user study in FILE instead of the open chat (default "
                             "RECOMMENDER_STUDY_FILE); see studies/explanations.toml")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.from_env()
        settings = replace(settings, host=args.host or settings.host,
                           port=args.port or settings.port,
                           study_file=args.study or settings.study_file)
        from recommender.loading import load_recommender

        if settings.study_file is not None:
            demo = _study_app(settings)
        else:
            demo = build_app(load_recommender(settings))
    except RecommenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    demo.queue(max_size=settings.queue_size, default_concurrency_limit=1)
    demo.launch(server_name=settings.host, server_port=settings.port, share=False,
                show_error=False, theme=theme())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
