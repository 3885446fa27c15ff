"""Typed models, one module per aggregate."""

from .attempts import Attempt, AttemptQuestion, AttemptState, Response, ResponseChoice
from .audit import AuditEvent
from .banks import Bank, Choice, Question, QuestionRevision, Subtopic
from .certification import (
    BODY_REGIONS,
    Accommodation,
    Certificate,
    Programme,
    ProgrammeBank,
    ProgrammeCriticalSubtopic,
    RegionMinimum,
    ReminderSent,
    SessionState,
    SupervisedSession,
)
from .people import Clinic, LoginSession, RateLimitCounter, Role, SharedClinicFigures, User
from .practice import MemoryCard, PracticeItem
from .standards import AngoffRating, CalibrationRun, ItemCalibration, PassMarkAdoption
from .time import utcnow

__all__ = [
    "AngoffRating",
    "CalibrationRun",
    "ItemCalibration",
    "PassMarkAdoption",
    "BODY_REGIONS",
    "Accommodation",
    "Certificate",
    "Programme",
    "ProgrammeBank",
    "ProgrammeCriticalSubtopic",
    "RegionMinimum",
    "ReminderSent",
    "SessionState",
    "SupervisedSession",
    "Attempt",
    "AttemptQuestion",
    "AttemptState",
    "AuditEvent",
    "Bank",
    "Choice",
    "Clinic",
    "LoginSession",
    "RateLimitCounter",
    "Question",
    "QuestionRevision",
    "Response",
    "ResponseChoice",
    "MemoryCard",
    "PracticeItem",
    "Role",
    "SharedClinicFigures",
    "Subtopic",
    "User",
    "utcnow",
]
