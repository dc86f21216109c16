"""What each command of ``python -m recommender`` does, given its parsed options."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from recommender.catalog import DOMAINS
from recommender.errors import RecommenderError
from recommender.settings import Settings

__all__ = ["SYSTEMS", "report_text", "recommend", "index", "llm_server", "deploy", "train", "study_check",
           "study_export", "evaluate", "benchmark"]


def recommend(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.loading import load_recommender

    if not args.titles and not args.message and not args.state:
        raise RecommenderError("Name at least one title, e.g. "
                               "`python -m recommender recommend \"Alien\" \"The Matrix\"`.")
    if args.domain not in DOMAINS:
        from recommender.errors import UnknownDomainError

        raise UnknownDomainError(args.domain, list(DOMAINS))
    state_file = _read_state_file(args.state) if args.state else None
    recommender = load_recommender(_only(settings, args.domain))
    data = _converse(recommender, args, state_file)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(_as_text(data))
    return 0


def _read_state_file(name: str) -> dict | None:

    path = Path(name)
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RecommenderError(f"--state {name} cannot be read as JSON ({exc}). Point it at "
                               "the file an earlier call wrote, or at a new file to start "
                               "a conversation.") from None


def _converse(recommender, args: argparse.Namespace, saved: dict | None) -> dict:
    """The conversation's turn on the message (or the titles), going on from the state file
    when one is named; the new state is written back to it."""
    from recommender.collaborative.artifacts import write_atomically
    from recommender.conversation.turn import ConversationState, answer, new_conversation

    state = (ConversationState.from_dict(saved, recommender) if saved else
             new_conversation(recommender, args.domain))
    message = args.message if args.message is not None else ", ".join(args.titles)
    result = answer(recommender, state, message, domain=args.domain)
    if args.state:
        write_atomically(Path(args.state), (json.dumps(result.state.to_dict(), ensure_ascii=False,
                                                       indent=1) + "\n").encode())
    return result.to_dict()


def _as_text(data: dict) -> str:
    lines = ["Linked:"]
    for link in data["linked"]:
        lines.append(f"  {link['input']} → {link['title'] or 'no match'}")
    lines += ["", f"Profile: {data['profile']}", "", "Recommendations:"]
    for n, rec in enumerate(data["recommendations"], 1):
        lines.append(f"  {n}. {rec['title']}: {rec['explanation']}")
    lines += [""] + [f"Note: {n}" for n in data["notices"]]
    lines.append("Timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in data["timings"].items()))
    return "\n".join(lines)


def index(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.catalog import load_catalog
    from recommender.vectors.embeddings import EMBEDDER_NAME, load_embedder
    from recommender.vectors.index import ItemIndex
    from recommender.vectors.shipped import SHIPPED_DIR, ShippedVectors, shipped_path
    from recommender.vectors.store import open_client

    embedder = load_embedder()
    client = open_client(settings.index_dir, settings.chroma_url)
    for domain in settings.domains:
        catalog = load_catalog(domain, settings.data_dir)
        index = ItemIndex(client, catalog, embedder, EMBEDDER_NAME,
                          shipped_dir=None if args.rebuild else SHIPPED_DIR)
        if args.rebuild:
            index.rebuild()
            print(f"{domain}: rebuilt, every item embedded")
        elif index.ensure():
            print(f"{domain}: built ({len(catalog) - index.embedded:,} items from shipped "
                  f"vectors, {index.embedded:,} embedded)")
        else:
            print(f"{domain}: current")
        if args.ship:
            path = shipped_path(domain)
            ShippedVectors.of(catalog.items, index.vectors([i.item_id for i in catalog.items]),
                              EMBEDDER_NAME).save(path)
            print(f"{domain}: wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    return 0


def deploy(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.deployment import serve_until_stopped

    plan = _deployment_plan(
        settings, folder=args.folder, replicas=args.replicas, slots=args.slots,
        context_tokens=args.slot_context, port=args.port, host=args.host,
        turns_at_once=args.slots, **({"threads": args.threads} if args.threads else {}),
        **({"study_file": args.study} if args.study else {}))
    return serve_until_stopped(plan)


def _deployment_benchmark(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.catalog import load_catalog
    from recommender.evaluation.deployment_load import deployment_load

    try:
        bursts = [int(n) for n in args.deployment.split(",") if n.strip()]
    except ValueError:
        print(f"error: --deployment {args.deployment!r}: give numbers of visitors, e.g. "
              "1,10,30", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="deployment-") as folder:
        plan = _deployment_plan(settings, folder=Path(folder), port=0, replicas=args.replicas,
                                slots=args.slots, turns_at_once=args.slots)
        report = deployment_load(load_catalog("movies", settings.data_dir), plan, bursts)
    print(json.dumps(report, indent=2) if args.json else report_text(report))
    return 0


def _deployment_plan(settings: Settings, **given):
    from recommender.deployment import DeploymentPlan
    from recommender.models.adapters import resolve_adapter
    from recommender.models.packaged import default_gguf_path

    given.setdefault("threads", os.cpu_count() or 2)
    given.setdefault("study_file", settings.study_file)
    return DeploymentPlan(model=settings.model_path or default_gguf_path(),
                          adapter=resolve_adapter(settings.adapter_path, settings.model_path),
                          **given)


def llm_server(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.models.llama_cpp.compat import serve

    serve(args.server_args, settings.adapter_path)
    return 0


_AT_LEAST_ONE = (lambda v: v >= 1, "at least 1")
_TRAIN_OPTIONS = {  # train's options that set a model's setting: (valid?, what is wanted)
    "epochs": _AT_LEAST_ONE, "max_len": _AT_LEAST_ONE, "batch_size": _AT_LEAST_ONE,
    "dim": _AT_LEAST_ONE, "blocks": _AT_LEAST_ONE, "heads": _AT_LEAST_ONE,
    "dropout": (lambda v: 0 <= v < 1, "from 0 up to (not including) 1"),
    "weight_decay": (lambda v: v >= 0, "0 or more"),
    "learning_rate": (lambda v: v > 0, "above 0"),
    "members": _AT_LEAST_ONE,
    "seed": (lambda v: True, "an integer"),
}


def train(args: argparse.Namespace, settings: Settings) -> int:

    import torch

    from recommender.collaborative.artifacts import served_architecture
    from recommender.collaborative.training import (
        LRU_TRAINING,
        TRAINING,
        fit,
        model_dir,
        tuning_dir,
        validation_curve,
    )

    torch.set_num_threads(settings.threads)
    args.model = args.model or served_architecture(args.dataset)
    if args.model == "item-item":
        return _train_item_item(args, settings)
    if args.out is not None:
        raise RecommenderError("--out is for --model item-item; sequence models save beside "
                               "the index.")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise RecommenderError("--device cuda: torch sees no CUDA device here. Train with "
                               "--device cpu, or on a machine with an NVIDIA GPU and torch's "
                               "CUDA build.")
    config = (LRU_TRAINING if args.model == "lrurec" else TRAINING)[args.dataset]
    for option, (ok, wanted) in _TRAIN_OPTIONS.items():
        value = getattr(args, option)
        if value is not None:
            if not hasattr(config, option):
                raise RecommenderError(f"--{option.replace('_', '-')} is not a setting of "
                                       f"{args.model}.")
            if not ok(value):
                raise RecommenderError(f"--{option.replace('_', '-')} must be {wanted}.")
            config = replace(config, **{option: value})
            if option == "dropout" and hasattr(config, "recurrent_dropout"):
                config = replace(config, recurrent_dropout=value)  # LRURec's: one rate for all
    if config.dim % getattr(config, "heads", 1):
        raise RecommenderError(f"--heads ({config.heads}) must divide --dim ({config.dim}).")
    if args.validate_every is not None:
        if args.validate_every < 1:
            raise RecommenderError("--validate-every must be at least 1.")
        curve = validation_curve(args.dataset, settings.data_dir, config, args.validate_every,
                                 users=args.users, preparation=args.prep, device=args.device)
        print("epoch  validation HR@10  NDCG@10  seconds")
        for row in curve:
            print(f"{row['epoch']:5d}  {row['HR@10']:16.4f}  {row['NDCG@10']:7.4f}  "
                  f"{row['seconds']:7.1f}")
        best = max(curve, key=lambda row: (row["NDCG@10"], -row["epoch"]))
        print(f"best: {best['epoch']} epochs (validation NDCG@10 {best['NDCG@10']:.4f})")
        return 0
    meta = fit(args.dataset, settings.data_dir, settings.index_dir, config, users=args.users,
               for_tuning=args.for_tuning, preparation=args.prep, device=args.device)
    folder = model_dir(settings.index_dir, args.dataset, args.prep)
    print(f"trained {args.model} on {meta['users']} users in {meta['train_seconds']} s; saved "
          f"to {tuning_dir(folder) if args.for_tuning else folder}")
    return 0


def _train_item_item(args: argparse.Namespace, settings: Settings) -> int:

    from recommender.collaborative.interactions import DATASETS
    from recommender.collaborative.training import TYPED_TRAINING, fit_typed, model_dir
    from recommender.loading import default_embedder, load_domains

    given = [f"--{o.replace('_', '-')}" for o in (*_TRAIN_OPTIONS, "validate_every")
             if getattr(args, o) is not None] + (["--for-tuning"] if args.for_tuning else []) \
        + ([f"--prep {args.prep}"] if args.prep != "full" else []) \
        + ([f"--device {args.device}"] if args.device != "cpu" else [])
    if given:
        raise RecommenderError(f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for "
                               "the sequence models (--model sasrec or lrurec); the item-item "
                               "model has no epochs or shape and reads every rating.")
    domain = DATASETS[args.dataset]
    served = load_domains(replace(settings, domains=(domain,)),
                          *default_embedder(settings))[domain]  # no LLM: only the index
    folder = Path(args.out) if args.out else model_dir(settings.index_dir, args.dataset)
    meta = fit_typed(args.dataset, settings.data_dir, served.catalog, served.index.vectors,
                     folder, TYPED_TRAINING[args.dataset], users=args.users)
    print(f"fitted on {meta['users']} users and {meta['items']} items in "
          f"{meta['fit_seconds']} s; saved to {folder}")
    return 0


def _study_file(args: argparse.Namespace, settings: Settings):
    from recommender.study import load_study

    path = args.study or settings.study_file
    if path is None:
        raise RecommenderError("Name the study file: --study FILE (or set "
                               "RECOMMENDER_STUDY_FILE).")

    return load_study(Path(path))


def study_check(args: argparse.Namespace, settings: Settings) -> int:
    study = _study_file(args, settings)
    print(f"{study.title}: {study.rounds} round(s) of {study.recommendations} recommendations "
          f"from {study.domain}; conditions {', '.join(study.conditions)} "
          f"({study.assignment} assignment, seed {study.seed})")
    for scope, questions in (("per item", study.item_questions),
                             ("per round", study.round_questions)):
        for q in questions:
            print(f"  {scope}: [{q.id}, {q.points}-point] {q.text}")
    print(f"log: {study.log}")
    return 0


def study_export(args: argparse.Namespace, settings: Settings) -> int:

    from recommender.study import EventLog, export_study
    from recommender.study.log import LogReadReport

    study = _study_file(args, settings)
    log_path = Path(args.log) if args.log else study.log
    if not log_path.is_file():
        raise RecommenderError(f"No study log at {log_path}. Run the study first (python app.py "
                               f"--study {study.source}), or pass --log.")
    report = LogReadReport()
    events = EventLog(log_path).events(report)
    files = export_study(study, events, Path(args.out))
    ratings = sum(1 for e in events if e.get("event") == "rated")
    print(f"read {len(events)} events ({ratings} rated rounds) from {log_path}"
          + (f"; skipped unreadable line(s) {report.bad_lines}" if report.bad_lines else ""))
    for name, path in vars(files).items():
        print(f"{name}: {path}")
    return 0


def study_measure(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.collaborative.training import dataset_of
    from recommender.evaluation.explanations import held_out_histories
    from recommender.loading import load_recommender
    from recommender.study.measure import measure_llm_condition

    study = _study_file(args, settings)
    dataset = dataset_of(study.domain)
    if dataset is None:
        raise RecommenderError(f"{study.domain} has no held-out users to type titles from.")
    if args.participants < 1:
        raise RecommenderError("--participants must be at least 1.")
    recommender = load_recommender(_only(settings, study.domain), progress=not args.json)
    catalog = recommender.domain(study.domain).catalog
    typed = [", ".join(catalog.get(i).label for i in history) for history in
             held_out_histories(dataset, settings.data_dir, args.participants, args.part,
                                size=max(3, study.min_titles))]
    report = measure_llm_condition(study, recommender, typed, Path(args.log))
    report["model"] = recommender.model.name
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        share = report["model_text_share"]
        print(f"{report['rounds_shown']} rounds of {report['participants']} simulated "
              f"participants showed {report['explanations_shown']} llm explanations; model "
              f"text {share:.1%}" if share is not None else "no llm explanation was shown")
    return 0


SYSTEMS = ("popularity", "content", "sasrec", "lrurec", "hybrid", "palr", "llmrank",
           "verbalizer")


def evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.evaluation.run import run_evaluation

    names = [s.strip() for s in args.systems.split(",") if s.strip()]
    if args.protocol == "typed":
        return _evaluate_typed(args, settings, names)
    if args.hybrid_weight is not None and not 0.0 <= args.hybrid_weight <= 1.0:
        raise RecommenderError("--hybrid-weight must be between 0 and 1.")
    unknown = [n for n in names if n not in SYSTEMS]
    if unknown or not names:
        raise RecommenderError(f"Unknown system {', '.join(map(repr, unknown)) or '(none)'}. "
                               f"Choose from: {', '.join(SYSTEMS)}.")
    report = run_evaluation(settings, args.dataset, names, users=args.users,
                            tune_users=args.tune_users, seed=args.seed,
                            progress=not args.json, save_weights=args.save_weights,
                            hybrid_weight=args.hybrid_weight,
                            llm_tune_users=args.llm_tune_users, tune_on=args.tune_on,
                            resume=Path(args.resume) if args.resume else None,
                            preparation=args.prep)
    if args.report:
        from recommender.evaluation.report import write_report

        written = write_report(report, Path(args.report), command=" ".join(sys.argv[1:]))
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    print(json.dumps(report, indent=2) if args.json else _evaluation_table(report))
    return 0


def taste(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.evaluation.taste_lists import load_taste_lists, run_taste_lists, taste_summary
    from recommender.loading import load_recommender

    lists = load_taste_lists(args.part)
    domains = tuple(dict.fromkeys(t.domain for t in lists))
    recommender = load_recommender(replace(settings, domains=domains), progress=not args.json)
    report = run_taste_lists(recommender, lists)
    print(json.dumps(report, indent=2) if args.json else taste_summary(report))
    return 0


def finetune(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.finetune.lora import LoraConfig
    from recommender.finetune.run import finetune as run_finetune
    from recommender.models.adapters import SHIPPED_ADAPTER

    for name, value, least in (("--examples", args.examples, 1), ("--batch-size",
                               args.batch_size, 1), ("--rank", args.rank, 1),
                               ("--max-tokens", args.max_tokens, 64)):
        if value < least:
            raise RecommenderError(f"{name} must be at least {least}.")
    if args.profiles < 0 or args.selection < 0:
        raise RecommenderError("--profiles and --selection must be 0 or more.")
    if args.epochs <= 0 or args.learning_rate <= 0:
        raise RecommenderError("--epochs and --learning-rate must be more than 0.")
    config = LoraConfig(rank=args.rank, alpha=2.0 * args.rank, epochs=args.epochs,
                        batch_size=args.batch_size, learning_rate=args.learning_rate,
                        max_tokens=args.max_tokens)
    out = Path(args.out) if args.out else SHIPPED_ADAPTER
    meta = run_finetune(settings, args.dataset or ["movielens", "beauty"], args.examples,
                        config, out, device=args.device, users=args.users,
                        profiles=args.profiles, selection=args.selection)
    made = {**meta["examples"], **{f"{k} profiles": v for k, v in meta["profiles"].items()},
            **{f"{k} selection": v for k, v in meta["selection"].items() if v}}
    print(f"trained on {sum(made.values())} examples "
          f"({', '.join(f'{k} {v}' for k, v in made.items())}) in "
          f"{meta['steps']} steps, {meta['train_seconds']} s; final loss {meta['final_loss']}; "
          f"wrote {out} ({meta['bytes'] / 2**20:.1f} MiB)")
    return 0


def explanations(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.collaborative.training import dataset_of
    from recommender.evaluation.explanations import held_out_histories, measure_explanations

    if args.audit or args.reading:
        print(json.dumps(_labels_report(args), indent=2))
        return 0
    if args.score:
        return _score_report(Path(args.score), settings, args.reading_sample)
    adapter, models = _compared_models(args, settings)
    report = {"adapter": str(adapter), "part": args.part, "history": list(args.history),
              "other": args.also_adapter}
    for domain in settings.domains:
        dataset = dataset_of(domain)
        if dataset is None or (args.domain and domain not in args.domain):
            continue
        histories = held_out_histories(dataset, settings.data_dir, args.users, args.part,
                                       size=tuple(args.history))
        report[domain] = measure_explanations(models, domain, histories)
    if args.audit_sample:
        from recommender.evaluation.audit import sample_lines, write_sample

        write_sample(sample_lines(report, per_group=25), Path(args.audit_sample))
    if args.reading_sample:
        _write_reading_sample(report, Path(args.reading_sample))
    if args.report:
        from recommender.evaluation.explanations_report import write_explanations_report

        written = write_explanations_report(report, Path(args.report), " ".join(sys.argv[1:]))
        print(f"wrote {written}", file=sys.stderr)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_explanations(report)
    return 0


def _labels_report(args: argparse.Namespace) -> dict:
    """``--audit``: the checker against hand labels; ``--reading``: the shares of lines read
    as informative, true and fluent."""
    from recommender.evaluation.audit import (
        READING_FIELDS,
        checker_agreement,
        read_labels,
        reading_shares,
    )

    path = Path(args.audit or args.reading)
    try:
        rows = (read_labels(path) if args.audit else
                read_labels(path, labels=READING_FIELDS[-3:], optional=()))
    except (OSError, ValueError, KeyError) as exc:
        raise RecommenderError(f"Cannot read the labels in {path}: {exc}") from exc
    return checker_agreement(rows) if args.audit else reading_shares(rows)


def _compared_models(args: argparse.Namespace, settings: Settings):
    """The adapter compared, and the recommenders to compare: the base model, the tuned one
    and, with ``--also-adapter``, another, sharing one set of domains."""
    from recommender.core.pipeline import Recommender
    from recommender.loading import load_recommender
    from recommender.models.adapters import resolve_adapter
    from recommender.models.llama_cpp import load_chat_model

    adapter = resolve_adapter(Path(args.adapter) if args.adapter else
                              settings.adapter_path or Path("shipped"), settings.model_path)
    if adapter is None:
        raise RecommenderError("No adapter to compare with: train one (python -m recommender "
                               "finetune) or name it with --adapter.")
    base = load_recommender(replace(settings, adapter_path=Path("none")), progress=not args.json)

    def tuned(path: Path) -> Recommender:
        model = load_chat_model(settings.model_path, settings.threads, settings.context_tokens,
                                settings.llm_timeout_s, path)
        return Recommender(settings, model, base.domains)

    models = {"base": base, "tuned": tuned(adapter)}
    if args.also_adapter:
        models["other"] = tuned(resolve_adapter(Path(args.also_adapter), settings.model_path))
    return adapter, models


def _print_explanations(report: dict) -> None:
    for domain, rows in report.items():
        if not isinstance(rows, dict):  # the report's own settings: adapter, part, history
            continue
        for name, row in rows.items():
            print(f"{domain} {name}: kept {row['kept_from_model']:.0%} of {row['shown']}, "
                  f"naming a shared fact {row['kept_naming_a_shared_fact']:.0%}, distinct-2 "
                  f"{row['distinct_2']}, {row['seconds_per_turn']} s a turn")
            print("    " + _quality_text(row["quality"]))
            for reason, count in row["replaced"].items():
                print(f"    replaced {count}: {reason}")
            for example in row["examples"][:5]:
                print(f"    {example['pick']}: {example['explanation']}")


def _quality_text(measured: dict) -> str:
    if not measured.get("lines"):
        return "no lines"
    return (f"of {measured['lines']} shown: only genre/year/type {measured['only_broad']:.0%}, "
            f"a distinctive shared fact {measured['distinctive_shared']:.0%}, distinct-2 "
            f"without titles {measured['distinct_2_untitled']}, top opening "
            f"“{measured['top_opening']}” {measured['top_opening_share']:.0%}, from the model "
            f"{measured['kept_from_model']:.0%}, ungrounded shown {measured['ungrounded_shown']}")


def _write_reading_sample(report: dict, path: Path) -> None:
    from recommender.evaluation.audit import READING_FIELDS, sample_shown, write_sample

    write_sample(sample_shown(report, per_group=25), path, READING_FIELDS)
    print(f"wrote {path}", file=sys.stderr)


def _score_report(path: Path, settings: Settings, reading_sample: str | None = None) -> int:
    """Score each model's lines of a saved ``explanations --json`` report with today's catalog
    facts and checker (``evaluation.explanation_quality``) and print them as JSON."""
    from recommender.catalog import load_catalog
    from recommender.core.grounding import GroundingChecker
    from recommender.evaluation.explanation_quality import quality

    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RecommenderError(f"Cannot read the report {path}: {exc}") from exc
    scored = {}
    for domain, rows in report.items():
        if not isinstance(rows, dict) or domain not in settings.domains:
            continue
        catalog = load_catalog(domain, settings.data_dir)
        checker = GroundingChecker(catalog)
        scored[domain] = {}
        for name, row in rows.items():
            if "lines" not in row or any("pick_id" not in line for line in row["lines"]):
                raise RecommenderError(f"{path}: the {domain} {name} lines carry no item ids; "
                                       "score a report written with --json by this version.")
            scored[domain][name] = quality(row["lines"], catalog, checker)
            print(f"{domain} {name}: " + _quality_text(scored[domain][name]), file=sys.stderr)
    if reading_sample:
        _write_reading_sample(report, Path(reading_sample))
    print(json.dumps(scored, indent=2))
    return 0


def _evaluate_typed(args: argparse.Namespace, settings: Settings, names: list[str]) -> int:
    from recommender.evaluation.typed_report import typed_table, write_typed_report
    from recommender.evaluation.typed_run import run_typed

    try:
        ks = sorted({int(k) for k in args.typed.split(",") if k.strip()})
    except ValueError:
        raise RecommenderError("--typed takes whole numbers, e.g. --typed 1,3,5.") from None
    if not ks or ks[0] < 1:
        raise RecommenderError("--typed takes whole numbers of 1 or more, e.g. --typed 1,3,5.")
    report = run_typed(settings, args.dataset, names, ks, validation_users=args.tune_users,
                       users=args.users, seed=args.seed, progress=not args.json)
    if args.report:
        written = write_typed_report(report, Path(args.report), " ".join(sys.argv[1:]))
        print("wrote " + ", ".join(str(p) for p in written), file=sys.stderr)
    print(json.dumps(report, indent=2) if args.json else typed_table(report))
    return 0


def _evaluation_table(report: dict) -> str:
    names = ["HR@5", "HR@10", "NDCG@10", "HR@20", "NDCG@20", "MRR@20", "retrieval_recall@50"]
    lines = [f"{report['dataset']}: {report['users']} of {report['of_users']} users "
             + (f"(weights tuned on {report['tune_users']} users' validation items)"
                if report.get("tune_on") == "validation" else
                f"({report['tune_users']} more for tuning)") + f", seed {report['seed']}",
             "system".ljust(24) + "".join(n.rjust(22) for n in names)]
    for system, scores in report["systems"].items():
        cells = [f"{scores[n]['mean']:.4f} [{scores[n]['ci95'][0]:.3f},{scores[n]['ci95'][1]:.3f}]"
                 for n in names]
        lines.append(system.ljust(24) + "".join(c.rjust(22) for c in cells))
    for anchor, scores in report["anchors"].items():
        lines.append(f"{anchor} (published)".ljust(24) + "".rjust(22) +
                     f"{scores['HR@10']:.4f}".rjust(22) + f"{scores['NDCG@10']:.4f}".rjust(22))
    return "\n".join(lines)


def benchmark(args: argparse.Namespace, settings: Settings) -> int:
    from recommender.evaluation.benchmark import run_benchmark

    if args.reading:
        from recommender.evaluation.reading_benchmark import run_reading_benchmark
        from recommender.loading import load_recommender

        report = run_reading_benchmark(load_recommender(_only(settings, "movies")))
        print(json.dumps(report, indent=2) if args.json else report_text(report))
        return 0

    try:
        bursts = tuple(int(n) for n in args.load.split(",") if n.strip())
        visitors = tuple(int(n) for n in args.app_load.split(",") if n.strip())
    except ValueError:
        print(f"error: --load {args.load!r} / --app-load {args.app_load!r}: give numbers of "
              "turns, e.g. 1,10,30", file=sys.stderr)
        return 2
    if args.deployment:
        return _deployment_benchmark(args, settings)
    if args.soak:
        from recommender.catalog import load_catalog
        from recommender.evaluation.soak import soak

        report = soak(load_catalog("movies", settings.data_dir), args.soak, args.visitors)
        print(json.dumps(report, indent=2) if args.json else report_text(report))
        return 0
    if args.browser:
        from recommender.evaluation.benchmark import browser_turns

        report = browser_turns(settings, args.browser)
        print(json.dumps(report, indent=2) if args.json else report_text(report))
        return 0
    if visitors:
        from recommender.catalog import load_catalog
        from recommender.evaluation.app_load import app_load

        report = app_load(load_catalog("movies", settings.data_dir), visitors)
        print(json.dumps(report, indent=2) if args.json else report_text(report))
        return 0
    report = run_benchmark(settings, conversations=args.conversations,
                           startup=not args.skip_startup, index_build=not args.skip_index_build,
                           through_servers=args.through_servers, bursts=bursts)
    print(json.dumps(report, indent=2) if args.json else report_text(report))
    return 0


def report_text(report: dict) -> str:
    return "\n".join(f"{key}: {value}" for key, value in report.items())


def _only(settings: Settings, domain: str) -> Settings:
    return replace(settings, domains=(domain,))
