"""A user study described by one TOML (or YAML) file: what participants read, which
explanation conditions exist, how participants are assigned to them, how many rounds they go
through and what they are asked. See ``studies/explanations.toml`` for a complete example."""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import StudyConfigError

__all__ = ["CONDITIONS", "Question", "Study", "load_study", "parse_study",
           "DEFAULT_ITEM_QUESTIONS", "DEFAULT_ROUND_QUESTIONS", "DEFAULT_GENERIC_TEXT"]

CONDITIONS = ("none", "generic", "llm", "features")
"""``none``: no explanation; ``generic``: one fixed sentence for every item; ``llm``: the
model's personalized explanation; ``features``: what the item shares with the participant's
history, from catalog data."""

DEFAULT_GENERIC_TEXT = "Popular with people who liked similar items."


@dataclass(frozen=True)
class Question:
    """One Likert item. ``aim`` names the construct it measures (for analysis)."""

    id: str
    text: str
    aim: str
    points: int = 7
    low: str = "Strongly disagree"
    high: str = "Strongly agree"


# Adapted from ResQue (Pu, Chen and Hu, RecSys 2011) and from Tintarev and Masthoff's aims for
# explanations (transparency, persuasiveness, effectiveness, trust, satisfaction).
DEFAULT_ITEM_QUESTIONS = (
    Question("transparency", "I understand why this item was recommended to me.",
             "transparency"),
    Question("persuasiveness", "This recommendation makes me want to try the item.",
             "persuasiveness"),
    Question("effectiveness", "What I was shown helps me judge whether I would like this item.",
             "effectiveness"),
)
DEFAULT_ROUND_QUESTIONS = (
    Question("trust", "I trust the recommendations this system gave me.", "trust"),
    Question("satisfaction", "Overall, I am satisfied with this set of recommendations.",
             "satisfaction"),
)

_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_KNOWN_KEYS = {"title", "consent", "instructions", "completion_code", "domain", "rounds",
               "recommendations", "min_titles", "conditions", "generic_text", "assignment",
               "seed", "scale", "item_questions", "round_questions", "comment", "log"}


@dataclass(frozen=True)
class Study:
    """A loaded, checked study file."""

    title: str
    consent: str
    completion_code: str
    conditions: tuple[str, ...]
    assignment: str
    """``balanced``: permuted blocks of the conditions, drawn with ``seed``; ``url``: the link's
    ``?condition=`` parameter decides."""
    seed: int
    rounds: int
    recommendations: int
    domain: str
    min_titles: int
    generic_text: str
    item_questions: tuple[Question, ...]
    round_questions: tuple[Question, ...]
    comment: str
    """The free-text prompt at the end of each round (optional to answer)."""
    instructions: str
    log: Path
    """The append-only event log (JSON lines)."""
    source: Path
    digest: str
    """SHA-256 of the study file's bytes, logged with every participant."""

    @property
    def questions(self) -> tuple[Question, ...]:
        """Every question, per item first, then per round."""
        return (*self.item_questions, *self.round_questions)

    @property
    def most_points(self) -> int:
        """The longest scale any question uses (the top of a plot's axis)."""
        return max(q.points for q in self.questions)

    @property
    def id(self) -> str:
        """A short name for logs and file names, from the file name."""
        return self.source.stem


def load_study(path: Path) -> Study:
    """Read and check a study file; every problem names the key and says what to write."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StudyConfigError(f"Cannot read the study file {path} ({exc.strerror}). Check "
                               "the path given to --study.") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise StudyConfigError(f"The study file {path} is not UTF-8 text.") from None
    if path.suffix.lower() == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise StudyConfigError(f"The study file {path} is not valid TOML: {exc}.") from None
    elif path.suffix.lower() in {".yaml", ".yml"}:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise StudyConfigError(f"The study file {path} is not valid YAML: {exc}.") from None
    else:
        raise StudyConfigError(f"The study file {path} must end in .toml, .yaml or .yml.")
    if not isinstance(data, Mapping):
        raise StudyConfigError(f"The study file {path} must hold a table of settings.")
    return parse_study(data, path, hashlib.sha256(raw).hexdigest())


def parse_study(data: Mapping, source: Path, digest: str = "") -> Study:
    """A :class:`Study` from already-parsed settings (``source`` places a relative log)."""
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise StudyConfigError(f"Unknown study setting(s): {', '.join(unknown)}. Known ones: "
                               f"{', '.join(sorted(_KNOWN_KEYS))}.")
    title = _text(data, "title", required=True)
    consent = _text(data, "consent", required=True)
    code = _text(data, "completion_code", required=True)
    conditions = _conditions(data.get("conditions", list(CONDITIONS)))
    assignment = data.get("assignment", "balanced")
    if assignment not in ("balanced", "url"):
        raise StudyConfigError('assignment must be "balanced" or "url".')
    scale = data.get("scale", 7)
    if scale not in (5, 7):
        raise StudyConfigError("scale must be 5 or 7 (points on every Likert item).")
    item_questions = _questions(data, "item_questions", DEFAULT_ITEM_QUESTIONS, scale)
    round_questions = _questions(data, "round_questions", DEFAULT_ROUND_QUESTIONS, scale)
    shared = {q.id for q in item_questions} & {q.id for q in round_questions}
    if shared:
        raise StudyConfigError(f"item_questions and round_questions share the id(s) "
                               f"{', '.join(sorted(shared))}; give each question its own id.")
    log = Path(_text(data, "log") or f"study-logs/{source.stem}.jsonl")
    if not log.is_absolute():
        log = source.parent / log
    return Study(
        title=title, consent=consent, completion_code=code, conditions=conditions,
        assignment=assignment,
        seed=_integer(data, "seed", 0, 0, 2**31),
        rounds=_integer(data, "rounds", 2, 1, 20),
        recommendations=_integer(data, "recommendations", 5, 1, 10),
        domain=_text(data, "domain") or "movies",
        min_titles=_integer(data, "min_titles", 3, 1, 20),
        generic_text=_text(data, "generic_text") or DEFAULT_GENERIC_TEXT,
        item_questions=item_questions, round_questions=round_questions,
        comment=_text(data, "comment") if "comment" in data else
        "Anything else you want to tell us about these recommendations? (optional)",
        instructions=_text(data, "instructions") or (
            "Name a few titles you enjoyed, separated by commas. You will then see "
            "recommendations; rate each one before going on."),
        log=log, source=source, digest=digest)


def _text(data: Mapping, key: str, required: bool = False) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise StudyConfigError(f"The study file needs {key} = \"...\".")
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise StudyConfigError(f"{key} must be a non-empty text.")
    return value.strip()


def _integer(data: Mapping, key: str, default: int, low: int, high: int) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StudyConfigError(f"{key} must be a whole number from {low} to {high}.")
    return value


def _conditions(value: object) -> tuple[str, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise StudyConfigError(f"conditions must be a list drawn from {', '.join(CONDITIONS)}.")
    bad = [str(v) for v in value if v not in CONDITIONS]
    if bad:
        raise StudyConfigError(f"Unknown condition(s) {', '.join(bad)}: use "
                               f"{', '.join(CONDITIONS)}.")
    if len(set(value)) != len(value):
        raise StudyConfigError("conditions lists a condition twice.")
    return tuple(value)


def _questions(data: Mapping, key: str, default: tuple[Question, ...],
               scale: int) -> tuple[Question, ...]:
    if key not in data:
        return tuple(Question(q.id, q.text, q.aim, scale, q.low, q.high) for q in default)
    rows = data[key]
    if not isinstance(rows, Sequence) or isinstance(rows, str):
        raise StudyConfigError(f"{key} must be a list of questions with id and text.")
    questions = []
    for n, row in enumerate(rows, 1):
        if not isinstance(row, Mapping) or not isinstance(row.get("id"), str) or \
                not isinstance(row.get("text"), str) or not row["text"].strip():
            raise StudyConfigError(f"{key} #{n} needs an id and a text.")
        if not _ID.match(row["id"]):
            raise StudyConfigError(f"{key} #{n}: id {row['id']!r} must be lower-case letters, "
                                   "digits and _ (up to 40), starting with a letter.")
        points = row.get("points", scale)
        if points not in (5, 7):
            raise StudyConfigError(f"{key} #{n}: points must be 5 or 7.")
        questions.append(Question(row["id"], row["text"].strip(), str(row.get("aim", row["id"])),
                                  points, str(row.get("low", "Strongly disagree")),
                                  str(row.get("high", "Strongly agree"))))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise StudyConfigError(f"{key} uses an id twice.")
    return tuple(questions)
