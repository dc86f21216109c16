"""Work-arounds for llama-cpp-python, kept in one place: loading weights without AMX buffers
(which crash on the virtual machines we run on), and starting its OpenAI-compatible server with
that load and our default model, without touching ``sys.argv``."""

from __future__ import annotations

import argparse
import json
import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from recommender.errors import ModelLoadError
from recommender.models.adapters import check_adapter, resolve_adapter
from recommender.models.packaged import default_gguf_path

__all__ = ["without_amx_repacking", "with_parallel_sequences", "serve"]

log = logging.getLogger(__name__)


@contextmanager
def without_amx_repacking() -> Iterator[None]:
    """Load weights without llama.cpp's AMX buffers when the build uses AMX.

    A native build on a Xeon with AMX repacks weights for AMX tiles; on the virtual machines we
    run on, the first decode with those buffers crashes the process (SIGSEGV). Plain CPU buffers
    work everywhere; for the default Q4_1 model they cost nothing, as AMX is its only repacking.
    """
    import llama_cpp.llama_cpp as low

    if "AMX_INT8 = 1" not in low.llama_print_system_info().decode(errors="replace"):
        yield
        return
    with _defaults_changed("llama_model_default_params", use_extra_bufts=False):
        log.info("llama.cpp was built with AMX: loading without extra buffer types")
        yield


@contextmanager
def with_parallel_sequences(count: int) -> Iterator[None]:
    """Make the context a ``Llama`` builds here hold ``count`` sequences in one shared (unified)
    cache, so a prompt cached once serves several replies; ``Llama()`` has no argument for
    either (``batch_decoding``)."""
    with _defaults_changed("llama_context_default_params", n_seq_max=count, kv_unified=True):
        yield


_LOAD_LOCK = threading.RLock()  # the patches nest


@contextmanager
def _defaults_changed(function: str, **fields) -> Iterator[None]:
    """While inside, llama.cpp's ``function`` (``llama_model_default_params`` or
    ``llama_context_default_params``, which ``Llama()`` calls) returns its defaults with
    ``fields`` changed."""
    import llama_cpp.llama_cpp as low

    with _LOAD_LOCK:
        original = getattr(low, function)

        def changed():
            params = original()
            for name, value in fields.items():
                setattr(params, name, value)
            return params

        setattr(low, function, changed)
        try:
            yield
        finally:
            setattr(low, function, original)


def serve(argv: Sequence[str], adapter_setting: Path | None = None) -> None:
    """``python -m llama_cpp.server`` with three differences: ``--model`` defaults to the
    bundled SmolLM2, ``--lora_path`` to the adapter the app would apply to that model
    (``RECOMMENDER_ADAPTER_PATH``, ``adapter_setting``, or the shipped one; see
    ``adapters.resolve_adapter``), and weights load without AMX buffers where this build would
    use them (the crash ``without_amx_repacking`` avoids takes the server down on its first
    answer too).

    Built from llama_cpp.server's own parts (its argument table, settings and ``create_app``),
    with ``argv`` parsed here rather than read from ``sys.argv``."""
    import uvicorn
    from llama_cpp.server.app import create_app
    from llama_cpp.server.cli import add_args_from_model
    from llama_cpp.server.settings import Settings


    args = list(argv)
    named = any(a == "--model" or a.startswith("--model=") or a == "--config_file" for a in args)
    if not named:
        args = ["--model", str(default_gguf_path()), *args]
    adapter = resolve_adapter(adapter_setting, Path("named") if named else None)
    if adapter is not None and not any(a.startswith("--lora_path") for a in args):
        if not named:
            check_adapter(adapter, default_gguf_path())
        args += ["--lora_path", str(adapter)]
    parser = argparse.ArgumentParser(prog="python -m recommender llm-server",
                                     description="llama.cpp's OpenAI-compatible server.")
    add_args_from_model(parser, Settings)
    parser.add_argument("--config_file", type=str, help="Path to a config file to load.")
    parsed = parser.parse_args(args)
    server_settings, model_settings = _server_settings(parsed)
    try:
        with without_amx_repacking():
            app = create_app(server_settings=server_settings, model_settings=model_settings)
    except (ValueError, RuntimeError, OSError) as exc:  # the model loads before serving starts
        raise ModelLoadError(
            f"llama_cpp.server could not start ({exc}). Check that --model names a complete "
            "GGUF file, or leave --model out to serve the bundled SmolLM2-135M-Instruct."
        ) from exc
    uvicorn.run(app, host=server_settings.host, port=server_settings.port,
                ssl_keyfile=server_settings.ssl_keyfile, ssl_certfile=server_settings.ssl_certfile)


def _server_settings(parsed: argparse.Namespace) -> tuple:
    """(server settings, [model settings]) from the parsed arguments, or from
    ``--config_file`` as llama_cpp.server reads it."""
    from llama_cpp.server.cli import parse_model_from_args
    from llama_cpp.server.settings import ConfigFileSettings, ModelSettings, ServerSettings

    if not parsed.config_file:
        return (parse_model_from_args(ServerSettings, parsed),
                [parse_model_from_args(ModelSettings, parsed)])

    path = Path(parsed.config_file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelLoadError(f"--config_file {path} cannot be read ({exc}).") from exc
    if path.suffix in (".yaml", ".yml"):
        import yaml

        text = json.dumps(yaml.safe_load(text))
    config = ConfigFileSettings.model_validate_json(text)
    return ServerSettings.model_validate(config), config.models
