"""User studies of recommendation explanations: a study file (``config``), assignment to
conditions (``assignment``), the participant's path (``session``), the append-only event log
(``log``) and the analysis export (``export``)."""

from .config import CONDITIONS, Question, Study, load_study
from .export import export_study
from .log import EventLog
from .session import Participant, ShownItem, StudyRunner

__all__ = ["CONDITIONS", "Question", "Study", "load_study", "export_study", "EventLog",
           "Participant", "ShownItem", "StudyRunner"]
