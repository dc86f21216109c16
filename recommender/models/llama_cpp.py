"""The local LLM: llama-cpp-python running a GGUF file on the CPU, as a :class:`ChatModel`.

The pipeline keeps its prompts in one growing conversation (profile, then the explanations), so
the cached prompt (``batch_decoding.BatchDecoder``) covers all but the new tokens of each step,
and a turn's explanation lines are decoded together, as parallel sequences over their shared
prompt (``stream_many``).

The same prompt must give the same reply whatever was evaluated before it, and whether it was
decoded alone or beside others: a user study shows two participants who typed the same titles
the same explanation. ``batch_decoding`` says how that is kept
(``tests/test_llm.py::test_the_same_prompt_scores_the_same_whatever_the_cache_held``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from recommender.errors import ModelLoadError, ModelNotFoundError
from recommender.models.adapters import check_adapter, resolve_adapter
from recommender.models.batch_decoding import MAX_SEQUENCES, BatchDecoder, Decoding
from recommender.models.chat import (
    CHATML,
    GoOn,
    Message,
    ModelTimeoutError,
    Reply,
    chat_formatter,
    compact_grammar,
    neutralized,
    repeatable_words,
)
from recommender.models.compat import with_parallel_sequences, without_amx_repacking
from recommender.models.packaged import default_gguf_path
from recommender.models.word_guard import (
    QuotationGuard,
    TokenTable,
    VocabularyGuard,
    trailing_word,
)
from recommender.vocabulary import names_any

__all__ = ["LlamaCppChatModel", "load_chat_model"]

log = logging.getLogger(__name__)


class LlamaCppChatModel:
    """A GGUF model loaded once and shared by every session: calls from any thread are
    decoded together (``batch_decoding``)."""

    def __init__(self, model_path: Path, threads: int, context_tokens: int,
                 timeout_s: float = 60.0, adapter_path: Path | None = None) -> None:
        from llama_cpp import Llama

        if not model_path.is_file():
            raise ModelNotFoundError(
                f"No model file at {model_path}. Set RECOMMENDER_MODEL_PATH to a .gguf file, "
                "or unset it to use the bundled SmolLM2-135M-Instruct."
            )
        if adapter_path is not None:
            check_adapter(adapter_path, model_path)
        try:
            with without_amx_repacking(), with_parallel_sequences(MAX_SEQUENCES):
                self._llama = Llama(
                    model_path=str(model_path),
                    lora_path=None if adapter_path is None else str(adapter_path),
                    n_ctx=context_tokens,
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_batch=512,
                    seed=0,
                    flash_attn=True,  # a sequence's numbers then do not depend on its neighbours
                    verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelLoadError(
                f"llama.cpp could not load {model_path} ({exc}). Check that it is a complete GGUF "
                "file, or point RECOMMENDER_MODEL_PATH at another one."
            ) from exc
        self.name = model_path.name + (f" + {adapter_path.name}" if adapter_path else "")
        self.path = model_path
        self.adapter_path = adapter_path
        self.timeout_s = timeout_s
        self._formatter, self._end_of_turn = _chat_formatter(self._llama)
        self._decoder = BatchDecoder(self._llama)
        self._shared = _tokenizer_tables(model_path)

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int,
        json_schema: dict | None = None,
        prefix: str = "",
        stop: Sequence[str] = (),
        avoid: Sequence[str] = (),
        no_repeats: bool = False,
        only_words: Collection[str] = (),
        quoted_words: Collection[str] | None = None,
    ) -> Iterator[str]:
        prompt = self._tokens_of(messages, prefix)
        if json_schema is not None:
            yield from self._stream_constrained(prompt, max_tokens, json_schema, stop, avoid)
            return
        yield from (piece for _, piece in self._decode(max_tokens, [Reply(
            prefix, stop, avoid, no_repeats, only_words, quoted_words)], [prompt]) if piece)

    def stream_many(self, messages: Sequence[Message], max_tokens: int,
                    replies: Sequence[Reply]) -> Iterator[tuple[int, str | None]]:
        """Every reply decoded at once, one batch per step (``stream_replies``); ``(index,
        piece)`` as each reply's text is final. A reply reads the same as ``stream`` alone."""
        prompts = [self._tokens_of(messages, reply.prefix) for reply in replies]
        yield from self._decode(max_tokens, replies, prompts)

    def _decode(self, max_tokens: int, replies: Sequence[Reply],
                prompts: Sequence[list[int]]) -> Iterator[tuple[int, str | None]]:
        decodings = [
            Decoding(prompt, max_tokens, stop=[*reply.stop, self._end_of_turn],
                     processor=self._processors(reply.avoid, reply.no_repeats, reply.only_words,
                                                reply.quoted_words, reply.prefix, len(prompt),
                                                go_on=reply.go_on))
            for reply, prompt in zip(replies, prompts)]
        try:
            yield from self._decoder.run(decodings, time.monotonic() + self.timeout_s)
        except TimeoutError:
            raise ModelTimeoutError(f"no answer within {self.timeout_s:g} s") from None

    def _stream_constrained(self, tokens: list[int], max_tokens: int, json_schema: dict,
                            stop: Sequence[str], avoid: Sequence[str]) -> Iterator[str]:
        """A reply under a JSON-schema grammar, through llama-cpp-python's own completion (the
        selection and reading steps, off the default path), with the context to itself: the
        prompt evaluated as any other, then its last token and the reply one at a time."""
        from llama_cpp import LlamaGrammar

        compact = compact_grammar(json_schema)
        grammar = (LlamaGrammar.from_string(compact, verbose=False) if compact else
                   LlamaGrammar.from_json_schema(json.dumps(json_schema), verbose=False))
        llama, cached = self._llama, tokens[:-1]

        def complete() -> Iterator[str]:
            self._decoder.fill(cached)
            llama.n_tokens = len(cached)
            llama.input_ids[:len(cached)] = cached
            chunks = llama.create_completion(
                prompt=tokens, max_tokens=max_tokens, temperature=0.0, stream=True,
                grammar=grammar, stop=[*stop, self._end_of_turn],
                logits_processor=self._processors(avoid, False, (), None, "", len(tokens),
                                                  prose=False))
            try:
                for chunk in chunks:
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text
            finally:
                chunks.close()  # stop decoding now, not when the generator is collected
                llama.n_tokens = 0

        try:
            yield from self._decoder.run_alone(complete, time.monotonic() + self.timeout_s)
        except TimeoutError:
            raise ModelTimeoutError(f"no answer within {self.timeout_s:g} s") from None

    def _tokens_of(self, messages: Sequence[Message], prefix: str) -> list[int]:
        prompt = self._formatter(messages=neutralized(messages)).prompt + prefix
        return self._llama.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)

    def option_scores(self, messages: Sequence[Message], prefix: str,
                      options: Sequence[str]) -> list[float]:
        import numpy as np

        first = [self._llama.tokenize(o.encode("utf-8"), add_bos=False, special=False)[0]
                 for o in options]
        if len(set(first)) != len(first):
            raise ValueError(f"options {list(options)} do not start with distinct tokens")
        captured: list[np.ndarray] = []

        def capture(_input_ids, scores):
            captured.append(np.array(scores[first], dtype=np.float64))
            return scores

        decoding = Decoding(self._tokens_of(messages, prefix), 1, processor=capture)
        for _ in self._decoder.run([decoding], time.monotonic() + self.timeout_s):
            pass
        chosen = captured[0] - captured[0].max()
        return (chosen - np.log(np.exp(chosen).sum())).tolist()

    @property
    def most_in_flight(self) -> int:
        """The most calls the model has decoded together so far (``batch_decoding``)."""
        return self._decoder.most_in_flight

    def warm_up(self) -> None:
        """Build now what the first turn would otherwise wait for: every token's text, which the
        decoding guards read (about a second on two cores)."""
        self._token_table()

    def speed(self, batch_sizes: Sequence[int] = (1, 2, 3, 5, 8, 14)) -> dict:
        """This machine's speed now, as the turns use the model: prompt tokens/s (a 400-token
        prompt in ``MAX_BATCH`` pieces) and, per number of replies decoded together, generated
        tokens/s over all of them (32 tokens each, after one shared prompt)."""
        text = f"Run {time.monotonic_ns()}: " + " ".join(  # a prompt nothing has cached
            ["The Matrix (1999): Action, Sci-Fi, Thriller."] * 40)
        prompt = self._llama.tokenize(text.encode("utf-8"), add_bos=False)
        started = time.perf_counter()
        for _ in self._decoder.run([Decoding(prompt, 1)]):
            pass
        result = {"prompt_tokens_per_s": round(len(prompt) / (time.perf_counter() - started))}
        curve, never_ending = {}, _never_ending(self._llama)
        for size in batch_sizes:  # each after the prompt cached above
            decodings = [Decoding(prompt + self._llama.tokenize(f" {n}".encode(), add_bos=False),
                                  32, processor=never_ending)
                         for n in range(size)]
            started = time.perf_counter()
            for _ in self._decoder.run(decodings):
                pass
            seconds = time.perf_counter() - started
            curve[size] = round(sum(len(d.tokens) for d in decodings) / seconds)
        result["generated_tokens_per_s"] = curve[batch_sizes[0]]
        result["generated_tokens_per_s_by_batch"] = curve
        return result

    def _processors(self, avoid: Sequence[str], no_repeats: bool, only_words: Collection[str],
                    quoted_words: Collection[str] | None, prefix: str, start: int,
                    prose: bool = True, go_on: GoOn | None = None):
        """The guards for one reply, or ``None``; ``start``: where the reply's tokens begin,
        after ``prefix``; ``prose``: a reply in English, not JSON (its articles are guarded);
        ``go_on``: where it may not end yet (``GoOn``, applied last, over the others)."""
        from llama_cpp import LogitsProcessorList

        # with ``only_words`` the vocabulary guard also keeps words from coming back, whatever
        # their tokens, so the token-level repeat guard would only do its work again
        processors = ([self._blocking(avoid)] if avoid else []) + \
            ([self._keeping_to(only_words, prefix, start, no_repeats)] if only_words else
             [self._blocking_repeats(start)] if no_repeats else []) + \
            ([self._quoting(quoted_words, start)] if quoted_words is not None else [])
        if prose:
            processors.append(self._spelling())
        if go_on is not None:
            processors.append(self._going_on(go_on, start))
        return LogitsProcessorList(processors) if processors else None

    def _going_on(self, go_on: GoOn, start: int):
        """A logits processor that writes ``go_on.text`` where the reply (from token ``start``
        on) would end before naming one of ``go_on.names``: the likeliest next token is a full
        stop, a newline or the end of the turn. Its tokens are then written one by one, once."""
        import numpy as np

        forced = self._llama.tokenize(go_on.text.encode("utf-8"), add_bos=False, special=False)
        ends = self._ends()

        def force(scores, token: int):
            kept = scores[token]
            scores[:] = -np.inf
            scores[token] = kept if np.isfinite(kept) else 0.0
            return scores

        def keep(input_ids, scores):
            written = [int(t) for t in input_ids[start:]]
            for done in range(len(forced) - 1, 0, -1):  # part of the text written: the rest
                if written[-done:] == forced[:done]:
                    return force(scores, forced[done])
            if int(np.argmax(scores)) not in ends:
                return scores
            text = self._llama.detokenize(written).decode("utf-8", "ignore")
            if go_on.text in text or names_any(text, go_on.names):
                return scores
            return force(scores, forced[0])

        return keep

    def _ends(self) -> frozenset[int]:
        """The tokens that end a reply: a full stop or newline alone, the end of the turn."""
        if self._shared.ends is None:
            tokenize = self._llama.tokenize
            self._shared.ends = frozenset(
                {t for text in (".", ".\n", ".\n\n", "\n", "\n\n")
                 if len(ids := tokenize(text.encode("utf-8"), add_bos=False, special=False)) == 1
                 for t in ids} |
                {self._llama.token_eos(),
                 *tokenize(self._end_of_turn.encode("utf-8"), add_bos=False, special=True)})
        return self._shared.ends

    def _spelling(self):
        """A logits processor for what may not follow the last token (``TokenTable.not_next``):
        "a" before a vowel and "an" before a consonant ("an drama", "this time a oil"), and a
        space inside a number, so "from 2 017" cannot slip past the year guard."""
        import numpy as np

        barred = {token: np.array(ids, dtype=np.intp)
                  for token, ids in self._token_table().not_next().items()}

        def keep(input_ids, scores):
            ids = barred.get(int(input_ids[-1])) if len(input_ids) else None
            if ids is not None:
                scores[ids] = -np.inf
            return scores

        return keep

    def _quoting(self, words: Collection[str], start: int):
        """A logits processor that keeps whatever the reply (from token ``start`` on) puts in
        quotation marks to ``words`` (``QuotationGuard``)."""
        import numpy as np

        guard = QuotationGuard(self._token_table(), words)
        blocked_outside = np.array(guard.blocked_outside, dtype=np.intp)

        def keep(input_ids, scores):
            reply = self._llama.detokenize([int(t) for t in input_ids[start:]]).decode(
                "utf-8", "ignore")
            quoted = guard.quoting(reply)
            if quoted is None:
                scores[blocked_outside] = -np.inf
                return scores
            allowed = np.fromiter(guard.allowed(quoted), dtype=np.intp)
            if not len(allowed):  # a word no token goes on with: leave it to the checker
                return scores
            kept = scores[allowed]
            scores[:] = -np.inf
            scores[allowed] = kept
            return scores

        return keep

    def _keeping_to(self, words: Collection[str], prefix: str, start: int, no_repeats: bool):
        """A logits processor that lets through only the tokens that keep every word of the
        reply in ``words`` (``word_guard``): the product profile's vocabulary guard. With
        ``no_repeats``, a content word the reply has finished leaves the set, with its plural
        or singular: however it is split into tokens, "lavender" is not written twice."""
        import numpy as np

        table, allowed_words = self._token_table(), frozenset(words)
        said: set[str] = set()
        guard = VocabularyGuard(table, allowed_words)

        def keep(input_ids, scores):
            nonlocal guard
            reply = self._llama.detokenize([int(t) for t in input_ids[start:]]).decode(
                "utf-8", "ignore")
            finished = repeatable_words(reply) if no_repeats else set()
            if not finished <= said:
                said.update(finished)
                forms = {*said, *(f"{w}s" for w in said), *(w[:-1] for w in said if
                                                             w.endswith("s"))}
                guard = VocabularyGuard(table, allowed_words - forms)
            allowed = np.fromiter(guard.allowed(*trailing_word(prefix + reply)), dtype=np.intp)
            kept = scores[allowed]
            scores[:] = -np.inf
            scores[allowed] = kept
            return scores

        return keep

    def _token_table(self) -> TokenTable:
        """Every token's text, sorted for the vocabulary guard (built on first use)."""
        if self._shared.table is None:
            texts: list[str | None] = []
            for token in range(self._llama.n_vocab()):
                try:
                    texts.append(self._llama.detokenize([token]).decode("utf-8"))
                except UnicodeDecodeError:
                    texts.append(None)  # a piece of a character
            self._shared.table = TokenTable.from_texts(texts)
        return self._shared.table

    def _blocking_repeats(self, start: int):
        """A logits processor that keeps each content word the reply has written from being
        written again (from token ``start`` on): the profile's guard against "soap, soap and
        soap". The blocked set grows as words are finished."""
        said: set[str] = set()
        guard = None  # the blocking processor for ``said``, rebuilt when a word is added

        def block(input_ids, scores):
            nonlocal guard
            text = self._llama.detokenize([int(t) for t in input_ids[start:]]).decode(
                "utf-8", "ignore")
            words = repeatable_words(text)
            if not words <= said:
                said.update(words)
                guard = self._blocking(sorted(said))
            return guard(input_ids, scores) if guard is not None else scores

        return block

    def _blocking(self, words: Sequence[str]):
        """A logits processor that keeps each word of ``words`` (after a space, in lower case or
        capitalised) from being written: the decoding guard. A word of one token is ruled out
        outright; for a longer one, its last token is ruled out after the tokens before it (" thr"
        may still start "three", but not "thriller")."""
        import numpy as np

        single: set[int] = set()
        last: dict[int, list[tuple[tuple[int, ...], int]]] = {}  # token before → (pieces, next)
        for word in words:
            for pieces in self._word_pieces(word):
                if len(pieces) == 1:
                    single.add(pieces[0])
                else:
                    last.setdefault(pieces[-2], []).append((pieces[:-1], pieces[-1]))
        blocked = np.array(sorted(single), dtype=np.intp)

        def block(input_ids, scores):
            scores[blocked] = -np.inf
            for before, after in last.get(int(input_ids[-1]), ()) if len(input_ids) else ():
                if tuple(int(t) for t in input_ids[-len(before):]) == before:
                    scores[after] = -np.inf
            return scores

        return block

    def _word_pieces(self, word: str) -> list[tuple[int, ...]]:
        """The token sequences that write ``word`` as a word: after a space or an opening
        quotation mark (“action”), in lower case or capitalised. A quoted word is one token
        longer, so only its last token is ruled out, after the quotation mark."""
        pieces = self._shared.pieces.get(word)
        if pieces is None:
            pieces = self._shared.pieces[word] = list(dict.fromkeys(
                tuple(self._llama.tokenize(f"{before}{w}".encode("utf-8"), add_bos=False,
                                           special=False))
                for w in dict.fromkeys((word, word.capitalize()))
                for before in (" ", " “", "“")))
        return pieces


@dataclass
class _TokenizerTables:
    """What the guards read of a model file's tokenizer, built once per file and shared by
    every model loaded from it (the app's, the base model beside an adapter, each test's):
    every token's text, and the token sequences of each guarded word."""

    table: TokenTable | None = None
    pieces: dict[str, list[tuple[int, ...]]] = field(default_factory=dict)
    ends: frozenset[int] | None = None
    """The tokens that end a reply (``LlamaCppChatModel._ends``)."""


_TABLES: dict[tuple[str, int], _TokenizerTables] = {}


def _tokenizer_tables(model_path: Path) -> _TokenizerTables:
    """The shared tables of ``model_path`` (an adapter leaves the tokenizer as it is)."""
    key = (str(model_path.resolve()), model_path.stat().st_size)
    return _TABLES.setdefault(key, _TokenizerTables())


def _never_ending(llama):
    """A logits processor that rules out every end-of-generation token (for ``speed``)."""
    import numpy as np

    import llama_cpp.llama_cpp as low

    vocab = llama._model.vocab
    ends = np.array([t for t in range(llama.n_vocab()) if low.llama_vocab_is_eog(vocab, t)],
                    dtype=np.intp)

    def keep(_input_ids, scores):
        scores[ends] = -np.inf
        return scores

    return keep


def _chat_formatter(llama):
    """The GGUF's own chat template (ChatML when it has none) and its end-of-turn text."""
    template = llama.metadata.get("tokenizer.chat_template") or CHATML
    eos = llama.detokenize([llama.token_eos()], special=True).decode("utf-8", errors="ignore")
    bos = llama.detokenize([llama.token_bos()], special=True).decode("utf-8", errors="ignore")
    return chat_formatter(template, eos, bos), eos or "<|im_end|>"


def load_chat_model(model_path: Path | None, threads: int, context_tokens: int,
                    timeout_s: float = 60.0,
                    adapter_path: Path | None = None) -> LlamaCppChatModel:
    """The model named by the settings, or the bundled SmolLM2 when none is named, with the
    adapter ``resolve_adapter`` names."""
    path = model_path or default_gguf_path()
    adapter = resolve_adapter(adapter_path, model_path)
    log.info("loading LLM from %s%s", path, f" with the adapter {adapter}" if adapter else "")
    return LlamaCppChatModel(path, threads=threads, context_tokens=context_tokens,
                             timeout_s=timeout_s, adapter_path=adapter)
