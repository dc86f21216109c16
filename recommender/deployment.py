"""The replicated deployment on one machine: one llama.cpp ``llama-server`` (parallel slots,
continuous batching), one Chroma server, several app replicas using both, and nginx in front
with sticky sessions. ``python -m recommender deploy`` starts it all on loopback; each part is
a process with its own address, so spreading it over machines is a matter of pointing the
replicas' ``RECOMMENDER_LLM_SERVER_URL`` / ``RECOMMENDER_CHROMA_URL`` and nginx's ``upstream``
at other hosts (docs/deployment.md).

A visitor stays on one replica (a ``replica`` cookie set by nginx picks it), because Gradio's
streamed answers need every request of a page on the server that holds its queue. When that
replica dies, nginx sends the page's next request to another one, and the conversation goes
on there: its state travels in the page (``web.handlers``). A study's participants go on the
same way: every replica reads the others' answers from the shared event log
(``study.log.EventLog.transaction``).
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from recommender.errors import RecommenderError
from recommender.local_servers import chroma_command, chroma_health, free_port, running_process
from recommender.settings import PROJECT_ROOT

__all__ = ["DeploymentPlan", "Deployment", "deployment", "nginx_config", "llama_server_command",
           "find_llama_server", "find_nginx", "serve_until_stopped"]

LLAMA_SERVER = Path(sys.executable).with_name("llama-server")
"""Where ``scripts/build_llama_server.sh`` (``make deploy``) puts llama.cpp's server."""

_REPLICA_COOKIE = "replica"


@dataclass(frozen=True)
class DeploymentPlan:
    """What to start. Ports left at 0 are picked free on loopback."""

    folder: Path
    """Logs, nginx's configuration and the Chroma server's data (``chroma/``)."""
    model: Path
    adapter: Path | None = None
    replicas: int = 2
    slots: int = 8
    """llama-server's parallel slots: turns whose replies are decoded together."""
    threads: int = field(default_factory=lambda: os.cpu_count() or 2)
    context_tokens: int = 2048
    """Each slot's context; the server's is this times ``slots``."""
    port: int = 8080
    """Where nginx listens: the address visitors open."""
    host: str = "127.0.0.1"
    study_file: Path | None = None
    llama_server: Path = LLAMA_SERVER
    turns_at_once: int = 8
    """Turns each replica runs at once (they wait for the server's slots)."""

    def check(self) -> None:
        if self.replicas < 1 or self.slots < 1 or self.threads < 1:
            raise RecommenderError("deploy: --replicas, --slots and --threads must each be at "
                                   "least 1.")


class _Parts:
    """The deployment's processes by name: started in order, each once it answers at its
    ``ready`` address, stopped in reverse when the deployment ends; one can be killed and
    started again (as the fault tests do)."""

    def __init__(self, stack: ExitStack, folder: Path) -> None:
        self._stack, self._folder = stack, folder
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self._how: dict[str, tuple[list[str], str, dict[str, str] | None]] = {}
        self._starts: dict[str, int] = {}

    def start(self, name: str, command: list[str], ready: str,
              env: dict[str, str] | None = None) -> None:
        self._how[name] = (command, ready, env)
        self._starts[name] = self._starts.get(name, 0) + 1
        suffix = "" if self._starts[name] == 1 else f"-{self._starts[name]}"
        self.logs[name] = self._folder / f"{name}{suffix}.log"
        self.processes[name] = self._stack.enter_context(
            running_process(name, command, ready, self.logs[name], env=env))

    def start_together(self, parts: list[tuple[str, list[str], str]],
                       env: dict[str, str]) -> None:
        """Start ``parts`` at once and wait for all; the first failure is raised after all
        end."""
        failures: list[BaseException] = []

        def one(part: tuple[str, list[str], str]) -> None:
            try:
                self.start(*part, env)
            except BaseException as exc:  # re-raised below, in the caller's thread
                failures.append(exc)

        threads = [threading.Thread(target=one, args=(part,)) for part in parts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]

    def kill(self, name: str) -> None:
        """Stop one part at once (SIGKILL), as a crash would."""
        process = self.processes[name]
        process.kill()
        process.wait()

    def restart(self, name: str) -> None:
        """Start a killed part again, as it was started (same address); log ``NAME-2.log``."""
        if self.processes[name].poll() is None:
            self.kill(name)
        self.start(name, *self._how[name])


@dataclass
class Deployment:
    """A started deployment: where visitors go, and each part's process and log."""

    url: str
    llm_url: str
    chroma_url: str
    replica_urls: list[str]
    parts: _Parts

    @property
    def processes(self) -> dict[str, subprocess.Popen]:
        return self.parts.processes

    @property
    def logs(self) -> dict[str, Path]:
        return self.parts.logs


def find_llama_server(path: Path = LLAMA_SERVER) -> Path:
    if path.is_file() and os.access(path, os.X_OK):
        return path
    raise RecommenderError(
        f"llama.cpp's server is not built ({path} is missing). Build it once with "
        "`make deploy` or `scripts/build_llama_server.sh` (about 10 minutes on two cores).")


def find_nginx() -> Path:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)
    if found is None:
        raise RecommenderError("nginx is not installed. Install it (Debian: `sudo apt-get "
                               "install nginx`, or `make deploy`), then start again.")
    return Path(found)


def llama_server_command(plan: DeploymentPlan, port: int) -> list[str]:
    """llama-server with ``slots`` parallel sequences batched together, no web UI, and the
    weights loaded as the app loads them (no repacking: AMX buffers crash on our VMs,
    ``models.llama_cpp.compat``)."""
    command = [str(plan.llama_server), "--model", str(plan.model), "--host", "127.0.0.1",
               "--port", str(port), "--parallel", str(plan.slots), "--cont-batching",
               "--ctx-size", str(plan.context_tokens * plan.slots), "--threads",
               str(plan.threads), "--no-webui", "--jinja", "--cache-ram", "256", "--no-repack",
               "--alias", plan.model.stem]
    if plan.adapter is not None:
        command += ["--lora", str(plan.adapter)]
    return command


def nginx_config(folder: Path, port: int, replica_ports: list[int], host: str = "127.0.0.1"
                 ) -> str:
    """nginx in front of the replicas: a visitor's requests all go to one replica (hashed on
    the ``replica`` cookie, which nginx sets on the first response), answers stream through
    unbuffered, and a replica that does not answer is skipped until it does."""
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;"
                        for p in replica_ports)
    return f"""# Written by `python -m recommender deploy`; changes are overwritten.
worker_processes 1;
user {getpass.getuser()};
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    client_max_body_size 50m;
    map $cookie_{_REPLICA_COOKIE} $replica_key {{
        "" $request_id;
        default $cookie_{_REPLICA_COOKIE};
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        "" "";
    }}
    upstream replicas {{
        hash $replica_key consistent;
{servers}
    }}
    server {{
        listen {host}:{port};
        location / {{
            proxy_pass http://replicas;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 1h;
            proxy_next_upstream error timeout http_502 http_503;
            proxy_connect_timeout 2s;
            add_header Set-Cookie "{_REPLICA_COOKIE}=$replica_key; Path=/; HttpOnly; SameSite=Lax" always;
            add_header X-Replica $upstream_addr always;
        }}
    }}
}}
"""


@contextmanager
def deployment(plan: DeploymentPlan, environment: dict[str, str] | None = None
               ) -> Iterator[Deployment]:
    """Start every part, each once the one it needs answers; stop them all when the block
    ends. The first replica starts alone (it builds what the shared index lacks), the others
    together after it. ``environment`` is added to the replicas' (``RECOMMENDER_*``)."""
    plan.check()
    llama_server, nginx = find_llama_server(plan.llama_server), find_nginx()
    folder = plan.folder.resolve()
    (folder / "nginx").mkdir(parents=True, exist_ok=True)
    llm_port, chroma_port = free_port(), free_port()
    replica_ports = [free_port() for _ in range(plan.replicas)]
    port = plan.port or free_port()
    with ExitStack() as stack:
        parts = _Parts(stack, folder)
        parts.start("llm-server", llama_server_command(replace(plan, llama_server=llama_server),
                                                       llm_port),
                    f"http://127.0.0.1:{llm_port}/health")
        parts.start("chroma", chroma_command(folder / "chroma", chroma_port),
                    chroma_health(chroma_port))
        llm_url, chroma_url = f"http://127.0.0.1:{llm_port}/v1", f"http://127.0.0.1:{chroma_port}"
        env = {**(environment or {}), "RECOMMENDER_LLM_SERVER_URL": llm_url,
               "RECOMMENDER_CHROMA_URL": chroma_url, "RECOMMENDER_HOST": "127.0.0.1",
               "RECOMMENDER_TURNS_AT_ONCE": str(plan.turns_at_once)}
        app = [sys.executable, str(PROJECT_ROOT / "app.py")]
        if plan.study_file is not None:
            app += ["--study", str(plan.study_file)]
        first, *rest = replica_ports
        parts.start("replica-1", [*app, "--port", str(first)], f"http://127.0.0.1:{first}/",
                    env)
        parts.start_together([(f"replica-{n}", [*app, "--port", str(p)],
                               f"http://127.0.0.1:{p}/") for n, p in enumerate(rest, 2)], env)
        config = folder / "nginx" / "nginx.conf"
        config.write_text(nginx_config(folder / "nginx", port, replica_ports, plan.host))
        parts.start("nginx", [str(nginx), "-p", str(folder / "nginx"), "-c", str(config),
                              "-g", "daemon off;"], f"http://127.0.0.1:{port}/")
        yield Deployment(f"http://{plan.host}:{port}", llm_url, chroma_url,
                         [f"http://127.0.0.1:{p}" for p in replica_ports], parts)


def serve_until_stopped(plan: DeploymentPlan) -> int:
    """Start the deployment, say where it answers, and keep it up until Ctrl-C or SIGTERM."""
    stopped = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stopped.set())
    with deployment(plan) as running:
        print(f"Deployment ready: open {running.url}\n"
              f"  LLM server {running.llm_url} ({plan.slots} slots), Chroma {running.chroma_url}"
              f"\n  replicas {', '.join(running.replica_urls)}\n  logs in {plan.folder}/\n"
              "Press Ctrl-C to stop.", flush=True)
        said: set[str] = set()
        while not stopped.wait(1.0):
            for name, process in running.processes.items():
                if name not in said and process.poll() is not None:
                    said.add(name)  # the rest go on: nginx skips a replica that is gone
                    print(f"warning: {name} stopped (exit status {process.returncode}); see "
                          f"{running.logs[name]}", file=sys.stderr, flush=True)
    return 0
