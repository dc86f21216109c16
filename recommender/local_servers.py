"""A Chroma server and an LLM server started on loopback, for the benchmark and the tests.

``chroma run`` keeps the indexes; ``python -m recommender llm-server`` serves the bundled
model (or ``model``). Both are stopped when the block ends::

    with local_servers(folder, threads=2, context_tokens=2048) as servers:
        ...  # RECOMMENDER_CHROMA_URL=servers.chroma_url, RECOMMENDER_LLM_SERVER_URL=servers.llm_url
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NamedTuple

import httpx

from .errors import RecommenderError
from .settings import PROJECT_ROOT

__all__ = ["LocalServers", "local_servers", "free_port", "running_process", "chroma_command",
           "chroma_health"]

_START_LIMIT_S = 180.0  # a bound on a hang, not a speed goal


def free_port() -> int:
    """A TCP port on loopback that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalServers(NamedTuple):
    chroma_url: str
    llm_url: str  # ends in /v1
    chroma_pid: int
    llm_pid: int


def chroma_command(folder: Path, port: int) -> list[str]:
    """``chroma run`` (chromadb's own server, installed beside this Python) keeping its data in
    ``folder``, on loopback at ``port``."""
    return [str(Path(sys.executable).with_name("chroma")), "run", "--path", str(folder),
            "--host", "127.0.0.1", "--port", str(port)]


def chroma_health(port: int) -> str:
    """The URL that answers once the Chroma server at ``port`` serves."""
    return f"http://127.0.0.1:{port}/api/v2/heartbeat"


@contextmanager
def local_servers(folder: Path, threads: int, context_tokens: int,
                  model: Path | None = None) -> Iterator[LocalServers]:
    """Start both servers (logs in ``folder``) and yield where they answer."""
    folder.mkdir(parents=True, exist_ok=True)
    chroma_port, llm_port = free_port(), free_port()
    llm_command = [sys.executable, "-m", "recommender", "llm-server", "--host", "127.0.0.1",
                   "--port", str(llm_port), "--n_ctx", str(context_tokens),
                   "--n_threads", str(threads)]
    if model is not None:
        llm_command += ["--model", str(model)]
    with ExitStack() as stack:
        chroma = stack.enter_context(running_process("chroma run",
                                                     chroma_command(folder / "chroma", chroma_port),
                                                     chroma_health(chroma_port),
                                                     folder / "chroma.log"))
        llm = stack.enter_context(running_process("python -m recommender llm-server", llm_command,
                                           f"http://127.0.0.1:{llm_port}/v1/models",
                                           folder / "llm-server.log"))
        yield LocalServers(f"http://127.0.0.1:{chroma_port}", f"http://127.0.0.1:{llm_port}/v1",
                           chroma.pid, llm.pid)


@contextmanager
def running_process(name: str, command: list[str], ready_url: str, log: Path,
                    env: dict[str, str] | None = None, limit_s: float = _START_LIMIT_S,
                    poll_s: float = 0.5) -> Iterator[subprocess.Popen]:
    """``command`` started from the project root (output in ``log``, ``env`` added to this
    environment) and answering 200 at ``ready_url`` within ``limit_s`` (asked every ``poll_s``);
    stopped when the block ends. A start that fails or hangs is a ``RecommenderError`` naming
    ``name`` and the log."""
    with log.open("wb") as handle:
        try:
            process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT,
                                       cwd=PROJECT_ROOT,
                                       env={**os.environ, "ANONYMIZED_TELEMETRY": "False",
                                            **(env or {})})
        except OSError as exc:
            raise RecommenderError(f"{name} could not be started ({exc.strerror}: "
                                   f"{command[0]}). Install the requirements (make install)."
                                   ) from None
        try:
            _wait_until_ready(name, process, ready_url, log, limit_s, poll_s)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_ready(name: str, process: subprocess.Popen, ready_url: str, log: Path,
                      limit_s: float, poll_s: float) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RecommenderError(f"{name} stopped at start (exit status "
                                   f"{process.returncode}). It printed:\n{_tail(log)}")
        try:
            if httpx.get(ready_url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(poll_s)
    raise RecommenderError(f"{name} did not answer at {ready_url} within "
                           f"{limit_s:g} s. It printed:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:].strip()
