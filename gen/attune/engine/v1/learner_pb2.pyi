import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Predictor(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PREDICTOR_UNSPECIFIED: _ClassVar[Predictor]
    PREDICTOR_BKT: _ClassVar[Predictor]
    PREDICTOR_DKT: _ClassVar[Predictor]

class ResponseFlag(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RESPONSE_FLAG_UNSPECIFIED: _ClassVar[ResponseFlag]
    RESPONSE_FLAG_TOO_FAST: _ClassVar[ResponseFlag]

class LearnerPhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEARNER_PHASE_UNSPECIFIED: _ClassVar[LearnerPhase]
    LEARNER_PHASE_DIAGNOSTIC: _ClassVar[LearnerPhase]
    LEARNER_PHASE_PRACTICE: _ClassVar[LearnerPhase]

class SkillStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SKILL_STATUS_UNSPECIFIED: _ClassVar[SkillStatus]
    SKILL_STATUS_LOCKED: _ClassVar[SkillStatus]
    SKILL_STATUS_READY: _ClassVar[SkillStatus]
    SKILL_STATUS_MASTERED: _ClassVar[SkillStatus]

class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REASON_UNSPECIFIED: _ClassVar[Reason]
    REASON_DIAGNOSTIC: _ClassVar[Reason]
    REASON_REMEDIATION: _ClassVar[Reason]
    REASON_READY: _ClassVar[Reason]
    REASON_ZPD: _ClassVar[Reason]
    REASON_CONTINUITY: _ClassVar[Reason]
    REASON_NOVELTY: _ClassVar[Reason]
    REASON_EXPLORATION: _ClassVar[Reason]
    REASON_REVIEW: _ClassVar[Reason]
    REASON_GAP: _ClassVar[Reason]
PREDICTOR_UNSPECIFIED: Predictor
PREDICTOR_BKT: Predictor
PREDICTOR_DKT: Predictor
RESPONSE_FLAG_UNSPECIFIED: ResponseFlag
RESPONSE_FLAG_TOO_FAST: ResponseFlag
LEARNER_PHASE_UNSPECIFIED: LearnerPhase
LEARNER_PHASE_DIAGNOSTIC: LearnerPhase
LEARNER_PHASE_PRACTICE: LearnerPhase
SKILL_STATUS_UNSPECIFIED: SkillStatus
SKILL_STATUS_LOCKED: SkillStatus
SKILL_STATUS_READY: SkillStatus
SKILL_STATUS_MASTERED: SkillStatus
REASON_UNSPECIFIED: Reason
REASON_DIAGNOSTIC: Reason
REASON_REMEDIATION: Reason
REASON_READY: Reason
REASON_ZPD: Reason
REASON_CONTINUITY: Reason
REASON_NOVELTY: Reason
REASON_EXPLORATION: Reason
REASON_REVIEW: Reason
REASON_GAP: Reason

class RecordResponseRequest(_message.Message):
    __slots__ = ("event_id", "learner_id", "course_id", "item_id", "correct", "score", "response_time_ms", "occurred_at", "max_recommendations")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    CORRECT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    MAX_RECOMMENDATIONS_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    learner_id: str
    course_id: str
    item_id: str
    correct: bool
    score: float
    response_time_ms: int
    occurred_at: _timestamp_pb2.Timestamp
    max_recommendations: int
    def __init__(self, event_id: _Optional[str] = ..., learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., item_id: _Optional[str] = ..., correct: _Optional[bool] = ..., score: _Optional[float] = ..., response_time_ms: _Optional[int] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_recommendations: _Optional[int] = ...) -> None: ...

class RecordResponseResponse(_message.Message):
    __slots__ = ("event_id", "skills", "mastery_events", "recommendations", "duplicate", "sequence", "credibility", "flags", "ability", "phase", "revoked_skill_ids", "predictor", "predictor_note")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    MASTERY_EVENTS_FIELD_NUMBER: _ClassVar[int]
    RECOMMENDATIONS_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    CREDIBILITY_FIELD_NUMBER: _ClassVar[int]
    FLAGS_FIELD_NUMBER: _ClassVar[int]
    ABILITY_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    REVOKED_SKILL_IDS_FIELD_NUMBER: _ClassVar[int]
    PREDICTOR_FIELD_NUMBER: _ClassVar[int]
    PREDICTOR_NOTE_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    skills: _containers.RepeatedCompositeFieldContainer[SkillState]
    mastery_events: _containers.RepeatedCompositeFieldContainer[MasteryEvent]
    recommendations: _containers.RepeatedCompositeFieldContainer[Recommendation]
    duplicate: bool
    sequence: int
    credibility: float
    flags: _containers.RepeatedScalarFieldContainer[ResponseFlag]
    ability: Ability
    phase: LearnerPhase
    revoked_skill_ids: _containers.RepeatedScalarFieldContainer[str]
    predictor: Predictor
    predictor_note: str
    def __init__(self, event_id: _Optional[str] = ..., skills: _Optional[_Iterable[_Union[SkillState, _Mapping]]] = ..., mastery_events: _Optional[_Iterable[_Union[MasteryEvent, _Mapping]]] = ..., recommendations: _Optional[_Iterable[_Union[Recommendation, _Mapping]]] = ..., duplicate: _Optional[bool] = ..., sequence: _Optional[int] = ..., credibility: _Optional[float] = ..., flags: _Optional[_Iterable[_Union[ResponseFlag, str]]] = ..., ability: _Optional[_Union[Ability, _Mapping]] = ..., phase: _Optional[_Union[LearnerPhase, str]] = ..., revoked_skill_ids: _Optional[_Iterable[str]] = ..., predictor: _Optional[_Union[Predictor, str]] = ..., predictor_note: _Optional[str] = ...) -> None: ...

class Ability(_message.Message):
    __slots__ = ("theta", "standard_error")
    THETA_FIELD_NUMBER: _ClassVar[int]
    STANDARD_ERROR_FIELD_NUMBER: _ClassVar[int]
    theta: float
    standard_error: float
    def __init__(self, theta: _Optional[float] = ..., standard_error: _Optional[float] = ...) -> None: ...

class SkillState(_message.Message):
    __slots__ = ("skill_id", "p_mastery", "p_correct", "attempts", "mastered", "status", "correct_streak", "last_practiced_at", "review_due_at", "review_interval_hours", "reviews", "prior", "dkt_p_correct")
    SKILL_ID_FIELD_NUMBER: _ClassVar[int]
    P_MASTERY_FIELD_NUMBER: _ClassVar[int]
    P_CORRECT_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MASTERED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    CORRECT_STREAK_FIELD_NUMBER: _ClassVar[int]
    LAST_PRACTICED_AT_FIELD_NUMBER: _ClassVar[int]
    REVIEW_DUE_AT_FIELD_NUMBER: _ClassVar[int]
    REVIEW_INTERVAL_HOURS_FIELD_NUMBER: _ClassVar[int]
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    PRIOR_FIELD_NUMBER: _ClassVar[int]
    DKT_P_CORRECT_FIELD_NUMBER: _ClassVar[int]
    skill_id: str
    p_mastery: float
    p_correct: float
    attempts: int
    mastered: bool
    status: SkillStatus
    correct_streak: int
    last_practiced_at: _timestamp_pb2.Timestamp
    review_due_at: _timestamp_pb2.Timestamp
    review_interval_hours: float
    reviews: int
    prior: float
    dkt_p_correct: float
    def __init__(self, skill_id: _Optional[str] = ..., p_mastery: _Optional[float] = ..., p_correct: _Optional[float] = ..., attempts: _Optional[int] = ..., mastered: _Optional[bool] = ..., status: _Optional[_Union[SkillStatus, str]] = ..., correct_streak: _Optional[int] = ..., last_practiced_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., review_due_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., review_interval_hours: _Optional[float] = ..., reviews: _Optional[int] = ..., prior: _Optional[float] = ..., dkt_p_correct: _Optional[float] = ...) -> None: ...

class KnowledgeGap(_message.Message):
    __slots__ = ("skill_id", "blocked_skill_id", "failures", "p_mastery", "mastered", "suspected", "evidence_event_ids", "explanation")
    SKILL_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCKED_SKILL_ID_FIELD_NUMBER: _ClassVar[int]
    FAILURES_FIELD_NUMBER: _ClassVar[int]
    P_MASTERY_FIELD_NUMBER: _ClassVar[int]
    MASTERED_FIELD_NUMBER: _ClassVar[int]
    SUSPECTED_FIELD_NUMBER: _ClassVar[int]
    EVIDENCE_EVENT_IDS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    skill_id: str
    blocked_skill_id: str
    failures: int
    p_mastery: float
    mastered: bool
    suspected: bool
    evidence_event_ids: _containers.RepeatedScalarFieldContainer[str]
    explanation: str
    def __init__(self, skill_id: _Optional[str] = ..., blocked_skill_id: _Optional[str] = ..., failures: _Optional[int] = ..., p_mastery: _Optional[float] = ..., mastered: _Optional[bool] = ..., suspected: _Optional[bool] = ..., evidence_event_ids: _Optional[_Iterable[str]] = ..., explanation: _Optional[str] = ...) -> None: ...

class MasteryEvent(_message.Message):
    __slots__ = ("skill_id", "p_mastery", "attempts", "mastered_at", "event_id")
    SKILL_ID_FIELD_NUMBER: _ClassVar[int]
    P_MASTERY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    MASTERED_AT_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    skill_id: str
    p_mastery: float
    attempts: int
    mastered_at: _timestamp_pb2.Timestamp
    event_id: str
    def __init__(self, skill_id: _Optional[str] = ..., p_mastery: _Optional[float] = ..., attempts: _Optional[int] = ..., mastered_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., event_id: _Optional[str] = ...) -> None: ...

class Recommendation(_message.Message):
    __slots__ = ("item_id", "skill_id", "score", "reasons", "components", "content")
    class ComponentsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: float
        def __init__(self, key: _Optional[str] = ..., value: _Optional[float] = ...) -> None: ...
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    SKILL_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    skill_id: str
    score: float
    reasons: _containers.RepeatedScalarFieldContainer[Reason]
    components: _containers.ScalarMap[str, float]
    content: str
    def __init__(self, item_id: _Optional[str] = ..., skill_id: _Optional[str] = ..., score: _Optional[float] = ..., reasons: _Optional[_Iterable[_Union[Reason, str]]] = ..., components: _Optional[_Mapping[str, float]] = ..., content: _Optional[str] = ...) -> None: ...

class StreamResponsesRequest(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: RecordResponseRequest
    def __init__(self, record: _Optional[_Union[RecordResponseRequest, _Mapping]] = ...) -> None: ...

class StreamError(_message.Message):
    __slots__ = ("code", "message", "field")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    code: str
    message: str
    field: str
    def __init__(self, code: _Optional[str] = ..., message: _Optional[str] = ..., field: _Optional[str] = ...) -> None: ...

class StreamResponsesResponse(_message.Message):
    __slots__ = ("event_id", "reply", "error")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    reply: RecordResponseResponse
    error: StreamError
    def __init__(self, event_id: _Optional[str] = ..., reply: _Optional[_Union[RecordResponseResponse, _Mapping]] = ..., error: _Optional[_Union[StreamError, _Mapping]] = ...) -> None: ...

class RecommendRequest(_message.Message):
    __slots__ = ("learner_id", "course_id", "max_items")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_ITEMS_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    max_items: int
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., max_items: _Optional[int] = ...) -> None: ...

class RecommendResponse(_message.Message):
    __slots__ = ("recommendations", "phase")
    RECOMMENDATIONS_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    recommendations: _containers.RepeatedCompositeFieldContainer[Recommendation]
    phase: LearnerPhase
    def __init__(self, recommendations: _Optional[_Iterable[_Union[Recommendation, _Mapping]]] = ..., phase: _Optional[_Union[LearnerPhase, str]] = ...) -> None: ...

class GetLearnerStateRequest(_message.Message):
    __slots__ = ("learner_id", "course_id")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ...) -> None: ...

class GetLearnerStateResponse(_message.Message):
    __slots__ = ("learner_id", "course_id", "skills", "mastered_skill_ids", "ready_skill_ids", "locked_skill_ids", "responses", "ability", "phase", "gaps", "dkt_model")
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    MASTERED_SKILL_IDS_FIELD_NUMBER: _ClassVar[int]
    READY_SKILL_IDS_FIELD_NUMBER: _ClassVar[int]
    LOCKED_SKILL_IDS_FIELD_NUMBER: _ClassVar[int]
    RESPONSES_FIELD_NUMBER: _ClassVar[int]
    ABILITY_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    GAPS_FIELD_NUMBER: _ClassVar[int]
    DKT_MODEL_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    course_id: str
    skills: _containers.RepeatedCompositeFieldContainer[SkillState]
    mastered_skill_ids: _containers.RepeatedScalarFieldContainer[str]
    ready_skill_ids: _containers.RepeatedScalarFieldContainer[str]
    locked_skill_ids: _containers.RepeatedScalarFieldContainer[str]
    responses: int
    ability: Ability
    phase: LearnerPhase
    gaps: _containers.RepeatedCompositeFieldContainer[KnowledgeGap]
    dkt_model: str
    def __init__(self, learner_id: _Optional[str] = ..., course_id: _Optional[str] = ..., skills: _Optional[_Iterable[_Union[SkillState, _Mapping]]] = ..., mastered_skill_ids: _Optional[_Iterable[str]] = ..., ready_skill_ids: _Optional[_Iterable[str]] = ..., locked_skill_ids: _Optional[_Iterable[str]] = ..., responses: _Optional[int] = ..., ability: _Optional[_Union[Ability, _Mapping]] = ..., phase: _Optional[_Union[LearnerPhase, str]] = ..., gaps: _Optional[_Iterable[_Union[KnowledgeGap, _Mapping]]] = ..., dkt_model: _Optional[str] = ...) -> None: ...

class DeleteLearnerRequest(_message.Message):
    __slots__ = ("learner_id",)
    LEARNER_ID_FIELD_NUMBER: _ClassVar[int]
    learner_id: str
    def __init__(self, learner_id: _Optional[str] = ...) -> None: ...

class DeleteLearnerResponse(_message.Message):
    __slots__ = ("courses", "events")
    COURSES_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    courses: int
    events: int
    def __init__(self, courses: _Optional[int] = ..., events: _Optional[int] = ...) -> None: ...
