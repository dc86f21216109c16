"""Visitors at once through the replicated deployment (``recommender.deployment``), and what a
turn costs each part of it: CPU-seconds per turn for llama-server, the Chroma server, the
replicas and nginx (from /proc, each process with its children), their memory, and the
capacity table computed from those costs.

``benchmark --deployment 1,10,30`` starts the deployment on loopback and runs it."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from recommender.catalog import Catalog
from recommender.core.linking import TitleLinker
from recommender.deployment import DeploymentPlan, deployment
from recommender.evaluation.app_load import plain_pairs, send_bursts
from recommender.evaluation.soak import resident_mib

__all__ = ["deployment_load", "tree_cpu_seconds", "capacity_table", "CORES", "TARGET_P95_S"]

CORES = (2, 8, 32)
TARGET_P95_S = 10.0
_HEADROOM = 0.9  # never plan the machine busier than this


def tree_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of ``pid`` and every live process under it, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick
    family, changed = {pid}, True
    while changed:
        grown = family | {child for child, parent in parents.items() if parent in family}
        changed, family = grown != family, grown
    return sum(times.get(p, 0.0) for p in family)


def _part(name: str) -> str:
    return "replicas" if name.startswith("replica-") else name


def _costs(processes: Mapping[str, object]) -> dict[str, float]:
    costs: dict[str, float] = {}
    for name, process in processes.items():
        costs[_part(name)] = costs.get(_part(name), 0.0) + tree_cpu_seconds(process.pid)
    return costs


def capacity_table(cpu_s_per_turn: Mapping[str, float], alone_p50_s: float,
                   spread: float, cores: Sequence[int] = CORES) -> list[dict]:
    """Visitors (turns) per minute a machine of ``cores`` cores serves with p95 within
    ``TARGET_P95_S``, computed, not measured: the cores turn ``60 * cores / cpu-seconds per
    turn`` turns a minute when fully busy; a machine busy a share ``rho`` of the time makes a
    turn take about ``alone_p50_s / (1 - rho)`` (processor sharing), and the p95 is ``spread``
    times that (the p95/p50 measured under load), so ``rho`` is the most that keeps it within
    the target (never above 0.9). With a GPU server the LLM's share leaves the CPUs (its own
    speed was not measured here)."""
    total = sum(cpu_s_per_turn.values())
    without_llm = total - cpu_s_per_turn.get("llm-server", 0.0)
    rho = max(0.0, min(_HEADROOM, 1.0 - alone_p50_s * spread / TARGET_P95_S))
    rows = []
    for count in cores:
        rows.append({"cores": count, "busy_share": round(rho, 2),
                     "turns_per_min": round(rho * 60 * count / total, 1) if total else None,
                     "turns_per_min_llm_on_gpu": round(rho * 60 * count / without_llm, 1)
                     if without_llm else None})
    return rows


def deployment_load(catalog: Catalog, plan: DeploymentPlan, bursts: Sequence[int]) -> dict:
    """Start the deployment, send each burst of fresh visitors through nginx (``send_bursts``:
    seconds, errors, leaks), and measure what each burst cost each part."""
    pairs = plain_pairs(catalog, TitleLinker(catalog), max(bursts))
    started = time.monotonic()
    with deployment(plan) as running:
        report: dict = {"ready_s": round(time.monotonic() - started, 1),
                        "replicas": plan.replicas, "slots": plan.slots,
                        "threads": plan.threads, "cores": os.cpu_count(), "bursts": {}}
        total_cpu: dict[str, float] = {}
        turns = 0
        for size in bursts:
            before, wall = _costs(running.processes), time.monotonic()
            burst = send_bursts(running.url + "/", pairs, [size])["bursts"][size]
            after, wall = _costs(running.processes), time.monotonic() - wall
            spent = {part: after[part] - before.get(part, 0.0) for part in after}
            burst["wall_s"] = round(wall, 1)
            burst["cpu_s_per_turn"] = {part: round(s / size, 3) for part, s in spent.items()}
            report["bursts"][size] = burst
            turns += size
            for part, seconds in spent.items():
                total_cpu[part] = total_cpu.get(part, 0.0) + seconds
        report["memory_mib"] = {name: resident_mib(p.pid) for name, p in running.processes.items()}
    per_turn = {part: round(s / turns, 3) for part, s in total_cpu.items()}
    alone = report["bursts"][min(bursts)]["p50_s"] or 0.0
    loaded = report["bursts"][max(bursts)]
    spread = (loaded["p95_s"] / loaded["p50_s"]) if loaded["p50_s"] else 1.0
    report["cpu_s_per_turn"] = per_turn
    report["capacity"] = {"target_p95_s": TARGET_P95_S, "alone_p50_s": alone,
                          "p95_over_p50": round(spread, 2),
                          "rows": capacity_table(per_turn, alone, spread)}
    return {"deployment_load": report}
