"""The options of ``python -m recommender``: one sub-command each, with its help."""

from __future__ import annotations

import argparse
from pathlib import Path

from recommender.catalog import DOMAINS
from recommender.cli import commands
from recommender.cli.commands import SYSTEMS
from recommender.collaborative.interactions import PREPARATIONS

__all__ = ["parser"]


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m recommender",
                                     description="Conversational recommender (PALR).")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    for add in (_add_recommend, _add_index, _add_train, _add_llm_server, _add_evaluate,
                _add_taste, _add_finetune, _add_explanations, _add_benchmark, _add_study,
                _add_deploy):
        add(sub)
    return parser


def _add_recommend(sub) -> None:
    rec = sub.add_parser("recommend", help="recommend from titles you liked")
    rec.add_argument("--domain", default="movies", help=f"one of: {', '.join(DOMAINS)}")
    rec.add_argument("--json", action="store_true", help="print one JSON object")
    rec.add_argument("--message", help="a free-text message instead of separate titles")
    rec.add_argument("--state", metavar="FILE",
                     help="go on with the conversation saved in FILE (JSON; created when "
                          "missing) and save the new state there: likes, dislikes and filters "
                          "carry across calls")
    rec.add_argument("titles", nargs="*", help="titles you liked, one argument each")
    rec.set_defaults(run=commands.recommend)


def _add_index(sub) -> None:
    idx = sub.add_parser("index", help="build (or check) the vector indexes")
    idx.add_argument("--rebuild", action="store_true",
                     help="rebuild even when current, embedding every item (no shipped vectors)")
    idx.add_argument("--ship", action="store_true",
                     help="then write each catalog's vectors to assets/vectors/, to be shipped "
                          "with the code and loaded at a first start instead of embedding")
    idx.set_defaults(run=commands.index)


def _add_train(sub) -> None:
    tr = sub.add_parser("train", help="fit a collaborative model on a data set")
    tr.add_argument("--dataset", required=True, choices=["movielens", "beauty"])
    tr.add_argument("--model", choices=["sasrec", "lrurec", "item-item"],
                    help="sasrec or lrurec: the sequence model of long histories (default: the "
                         "one shipped in assets/models for the data set, which the app serves: "
                         "lrurec for movielens, sasrec for beauty); "
                         "item-item: the content-aware model of typed histories (a minute, no "
                         "epochs)")
    tr.add_argument("--prep", choices=PREPARATIONS, default="full",
                    help="full: every rating (default, the model the app serves); llamarec: "
                         "LlamaRec's 5-core MovieLens, saved in its own folder for evaluate "
                         "--prep llamarec")
    tr.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                    help="train on the CPU (default) or an NVIDIA GPU")
    tr.add_argument("--out", metavar="DIR", default=None,
                    help="item-item only: the folder to save item_item.npz in (default: the "
                         "sasrec-<dataset> folder beside the index)")
    tr.add_argument("--epochs", type=int, default=None, help="passes over the data")
    tr.add_argument("--max-len", type=int, default=None, help="most recent items read")
    tr.add_argument("--users", type=int, default=None,
                    help="train on the first N users only (small-data mode)")
    tr.add_argument("--batch-size", type=int, default=None, help="sequences per step")
    tr.add_argument("--dim", type=int, default=None, help="embedding and hidden size")
    tr.add_argument("--blocks", type=int, default=None, help="self-attention blocks")
    tr.add_argument("--heads", type=int, default=None, help="attention heads (must divide --dim)")
    tr.add_argument("--dropout", type=float, default=None,
                    help="dropout rate, 0 to below 1 (lrurec: on the embedding, the recurrence "
                         "and the feed-forward layers alike)")
    tr.add_argument("--learning-rate", type=float, default=None, help="AdamW's learning rate")
    tr.add_argument("--members", type=int, default=None,
                    help="lrurec: train this many from consecutive seeds and sum their scores "
                         "(one inner product; --validate-every then scores the sum once, at the "
                         "last epoch)")
    tr.add_argument("--weight-decay", type=float, default=None, help="AdamW weight decay")
    tr.add_argument("--seed", type=int, default=None, help="initialisation and shuffling seed")
    tr.add_argument("--for-tuning", action="store_true",
                    help="hold out the validation items too and save as sasrec-<dataset>-tuning: "
                         "the model that evaluate --tune-on validation chooses weights with")
    tr.add_argument("--validate-every", type=int, default=None, metavar="N",
                    help="choose the epochs instead: train on histories only and print the "
                         "validation HR@10 and NDCG@10 every N epochs (saves no model)")
    tr.set_defaults(run=commands.train)


def _add_llm_server(sub) -> None:
    srv = sub.add_parser(
        "llm-server", help="serve the LLM over an OpenAI-compatible API (llama_cpp.server)",
        description="Runs python -m llama_cpp.server with the bundled SmolLM2 as the default "
                    "--model, loading weights as the app does on CPUs with AMX. Every other "
                    "option is llama_cpp.server's (--port, --n_ctx, --n_threads, ...). Point the "
                    "app at it with RECOMMENDER_LLM_SERVER_URL=http://HOST:PORT/v1.")
    srv.set_defaults(run=commands.llm_server)


def _add_evaluate(sub) -> None:
    ev = sub.add_parser("evaluate", help="offline evaluation (leave-one-out, full ranking)")
    ev.add_argument("--dataset", required=True, choices=["movielens", "beauty"])
    ev.add_argument("--prep", choices=PREPARATIONS, default="full",
                    help="how the interactions are read: full (default: every rating, every "
                         "movie ranked) or llamarec (LlamaRec's 5-core MovieLens: 610 users, "
                         "3,650 movies; the model train --prep llamarec saved)")
    ev.add_argument("--systems", default="popularity,content",
                    help=f"comma-separated, from: {', '.join(SYSTEMS)}")
    ev.add_argument("--users", type=int, default=None,
                    help="report this many users, sampled with the seed (default: all the rest)")
    ev.add_argument("--tune-users", type=int, default=100,
                    help="users set apart (seeded) to choose fusion weights on; never reported")
    ev.add_argument("--tune-on", choices=["users", "validation"], default="users",
                    help="choose hybrid retrieval's weight on --tune-users users set apart "
                         "(default), or on every user's validation item with the model "
                         "train --for-tuning saved (then every user can be reported)")
    ev.add_argument("--llm-tune-users", type=int, default=None, metavar="N",
                    help="LLM systems choose their weight on N of the tuning users (default: all)")
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("--resume", metavar="DIR",
                    help="keep each user's run of the LLM systems in DIR and reuse the ones "
                         "there, so an interrupted evaluation goes on where it stopped")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument("--report", metavar="FILE.md",
                    help="also write a Markdown table, a PNG plot of HR@10 and the JSON there")
    ev.add_argument("--hybrid-weight", type=float, default=None, metavar="W",
                    help="use this collaborative share for hybrid retrieval instead of tuning it")
    ev.add_argument("--save-weights", action="store_true",
                    help="save the chosen fusion weights beside the model for the app to use")
    ev.add_argument("--protocol", choices=["leave-one-out", "typed"], default="leave-one-out",
                    help="leave-one-out over whole histories (default), or typed histories: K "
                         "liked titles in no order, weights chosen per K on --tune-users "
                         "validation users")
    ev.add_argument("--typed", default="1,3,5", metavar="K,K,...",
                    help="how many titles the typed protocol types (default 1,3,5)")
    ev.set_defaults(run=commands.evaluate)


def _add_taste(sub) -> None:
    taste = sub.add_parser("taste", help="typed lists with one obvious taste, through the "
                                         "whole turn: do four of the first five carry it?")
    taste.add_argument("--part", choices=["validation", "held_out"], default="validation",
                       help="the lists that choose settings (default) or those only reported")
    taste.add_argument("--json", action="store_true", help="print one JSON object")
    taste.set_defaults(run=commands.taste)


def _add_finetune(sub) -> None:
    tune = sub.add_parser("finetune", help="LoRA-tune the bundled model on explanations from "
                                           "training users (one adapter for both catalogs)")
    tune.add_argument("--dataset", choices=["movielens", "beauty"], action="append",
                      help="train on this catalog's examples (repeatable; default both)")
    tune.add_argument("--examples", type=int, default=600,
                      help="examples per catalog (default 600)")
    tune.add_argument("--profiles", type=int, default=0,
                      help="profile examples per catalog besides the explanations (default 0)")
    tune.add_argument("--selection", type=int, default=0,
                      help="selection examples per catalog (the verbalizer's letter of a "
                           "training user's next item among 20 candidates from the "
                           "train --for-tuning twin; default 0)")
    tune.add_argument("--epochs", type=float, default=1.0)
    tune.add_argument("--batch-size", type=int, default=8)
    tune.add_argument("--rank", type=int, default=16)
    tune.add_argument("--learning-rate", type=float, default=5e-4)
    tune.add_argument("--max-tokens", type=int, default=512,
                      help="tokens an example keeps, its end (default 512: five picks' facts "
                           "and the history fit)")
    tune.add_argument("--out", help="the adapter file to write (default: the shipped one, "
                                    "assets/models/adapter/smollm2-135m-instruct.gguf)")
    tune.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    tune.add_argument("--users", type=int, help="only the first N users (small-data mode)")
    tune.set_defaults(run=commands.finetune)


def _size_range(text: str) -> tuple[int, int]:
    """``"3"`` → (3, 3); ``"2-5"`` → (2, 5)."""
    low, _, high = text.partition("-")
    try:
        sizes = (int(low), int(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: write a number of titles, or a range "
                                         "such as 2-5") from None
    if not 1 <= sizes[0] <= sizes[1]:
        raise argparse.ArgumentTypeError(f"{text!r}: the range must run from 1 upwards")
    return sizes


def _add_explanations(sub) -> None:
    exp = sub.add_parser("explanations", help="the explanations shown, base model against "
                                              "the adapter, on users kept out of fine-tuning")
    exp.add_argument("--users", type=int, default=30, help="histories per catalog (default 30)")
    exp.add_argument("--adapter", help="the adapter to compare (default: the one the app "
                                       "would load)")
    exp.add_argument("--part", choices=["validation", "test"], default="validation",
                     help="the half of the held-out users that chooses (default) or the "
                          "half only reported")
    exp.add_argument("--history", type=_size_range, default=(3, 3), metavar="N[-M]",
                     help="liked titles per history, or a range drawn from per user (default "
                          "3, as a person types them; issue 35 measures 2-5)")
    exp.add_argument("--also-adapter", metavar="GGUF",
                     help="a second adapter measured beside the first (as 'other'), on the "
                          "same histories and candidates")
    exp.add_argument("--score", metavar="FILE.json",
                     help="run nothing: score the lines of an earlier --json report (from any "
                          "version of the app) with today's catalog facts and checker")
    exp.add_argument("--domain", action="append", choices=["movies", "beauty"],
                     help="measure only this catalog (repeatable; default both)")
    exp.add_argument("--json", action="store_true", help="print one JSON object")
    exp.add_argument("--report", metavar="FILE.md",
                     help="also write the measurement as Markdown there, with 20 picks of "
                          "each catalog side by side")
    exp.add_argument("--audit-sample", metavar="FILE.csv",
                     help="also write 25 of each model's lines per catalog there, for a person "
                          "to label grounded / relevant / fluent (y or n)")
    exp.add_argument("--reading-sample", metavar="FILE.csv",
                     help="also write 25 of the lines each model showed per catalog there (with "
                          "--score: of that report), for a person to label informative / true "
                          "/ fluent")
    exp.add_argument("--reading", metavar="FILE.csv",
                     help="run nothing: the shares of lines labelled informative, true and "
                          "fluent in FILE, per catalog and model")
    exp.add_argument("--audit", metavar="FILE.csv",
                     help="run nothing: score the grounding checker against the labels in FILE")
    exp.set_defaults(run=commands.explanations)


def _add_benchmark(sub) -> None:
    bench = sub.add_parser("benchmark", help="measure start-up, streaming and turn latency")
    bench.add_argument("--conversations", type=int, default=20)
    bench.add_argument("--skip-startup", action="store_true")
    bench.add_argument("--skip-index-build", action="store_true")
    bench.add_argument("--through-servers", action="store_true",
                       help="start a Chroma server and an LLM server on loopback and measure "
                            "the app through them")
    bench.add_argument("--load", default="",
                       help="also send bursts of this many turns at once, in process, comma-"
                            "separated (e.g. 1,10,30): each burst's p50 and p95 seconds")
    bench.add_argument("--app-load", default="", metavar="N,N,...",
                       help="only this: start the app on loopback and send bursts of this many "
                            "fresh visitors at once through its chat (e.g. 1,10,30): seconds "
                            "each waited (p50, p95), errors, and answers holding another "
                            "visitor's films")
    bench.add_argument("--browser", type=int, default=0, metavar="N",
                       help="only this: start the app and time N fresh visitors' turns in "
                            "Chromium (Enter to first text, first pick, settled answer) against "
                            "the same lists through /recommend")
    bench.add_argument("--soak", type=int, default=0, metavar="TURNS",
                       help="only this: start the app and have --visitors visitors at once take "
                            "TURNS turns in all through /recommend and the chat (plain, hostile "
                            "and malformed input): errors, leaks between visitors, and the "
                            "app's memory after each turn")
    bench.add_argument("--visitors", type=int, default=6, help="visitors at once in --soak")
    bench.add_argument("--deployment", default="", metavar="BURSTS",
                       help="only this: start the replicated deployment (see deploy; "
                            "--replicas, --slots) and send bursts of fresh visitors through nginx "
                            "(e.g. 1,10,30): seconds, errors, leaks, CPU-seconds per turn of "
                            "each part, memory, and the capacity table computed from them")
    _add_deployment_shape(bench)
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--reading", action="store_true",
                       help="only measure how chat messages are read (rules, model, merged) "
                            "against assets/request_cases.json")
    bench.set_defaults(run=commands.benchmark)


def _add_study(sub) -> None:
    study = sub.add_parser("study", help="user studies: check a study file, export its results")
    study_sub = study.add_subparsers(required=True, metavar="ACTION")
    check = study_sub.add_parser("check", help="check a study file and show what it runs")
    check.add_argument("--study", required=True, metavar="FILE", help="the study file (TOML/YAML)")
    check.set_defaults(run=commands.study_check)
    export = study_sub.add_parser("export", help="write one row per rating, a summary and a plot")
    export.add_argument("--study", metavar="FILE",
                        help="the study file (default: RECOMMENDER_STUDY_FILE)")
    export.add_argument("--log", metavar="FILE", help="read this log instead of the study's own")
    export.add_argument("--out", required=True, metavar="CSV",
                        help="the ratings file; the summary, comments and plot go beside it")
    export.set_defaults(run=commands.study_export)
    measure = study_sub.add_parser(
        "measure", help="the share of the llm condition's explanations that are model text, "
                        "with simulated participants typing held-out users' titles")
    measure.add_argument("--study", metavar="FILE",
                         help="the study file (default: RECOMMENDER_STUDY_FILE)")
    measure.add_argument("--participants", type=int, default=30,
                         help="simulated participants, one round each (default 30)")
    measure.add_argument("--part", choices=["validation", "test"], default="test",
                         help="the half of the held-out users whose titles they type")
    measure.add_argument("--log", required=True, metavar="FILE",
                         help="a new log for the simulated participants (never the study's own)")
    measure.add_argument("--json", action="store_true", help="print one JSON object")
    measure.set_defaults(run=commands.study_measure)


def _add_deploy(sub) -> None:
    dep = sub.add_parser(
        "deploy", help="start the replicated deployment: llama-server, Chroma, app replicas, nginx",
        description="Starts llama.cpp's llama-server (parallel slots, continuous batching), a "
                    "Chroma server, several app replicas using both, and nginx in front with "
                    "sticky sessions, all on this machine; Ctrl-C stops them. Build llama-server "
                    "and install nginx once with `make deploy`. docs/deployment.md says how to "
                    "spread the parts over machines.")
    _add_deployment_shape(dep)
    dep.add_argument("--slot-context", type=int, default=2048, metavar="TOKENS",
                     help="each slot's context (default 2048; a turn's longest call needs ~900)")
    dep.add_argument("--threads", type=int, default=None,
                     help="llama-server's CPU threads (default: every core)")
    dep.add_argument("--port", type=int, default=8080, help="where visitors connect (default 8080)")
    dep.add_argument("--host", default="127.0.0.1",
                     help="address nginx listens on (default 127.0.0.1; 0.0.0.0 for others)")
    dep.add_argument("--folder", type=Path, default=Path(".deploy"),
                     help="logs, nginx's configuration and the Chroma server's data (default "
                          ".deploy)")
    dep.add_argument("--study", type=Path, metavar="FILE", default=None,
                     help="run this user study on every replica instead of the open chat")
    dep.set_defaults(run=commands.deploy)


def _add_deployment_shape(parser) -> None:
    """The deployment's shape, shared by ``deploy`` and ``benchmark --deployment``."""
    parser.add_argument("--replicas", type=int, default=2,
                        help="app processes in the deployment (default 2)")
    parser.add_argument("--slots", type=int, default=8,
                        help="llama-server's parallel slots: replies decoded together "
                             "(default 8)")
