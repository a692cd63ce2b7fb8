from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BktParams(_message.Message):
    __slots__ = ("prior", "learn", "guess", "slip", "forget")
    PRIOR_FIELD_NUMBER: _ClassVar[int]
    LEARN_FIELD_NUMBER: _ClassVar[int]
    GUESS_FIELD_NUMBER: _ClassVar[int]
    SLIP_FIELD_NUMBER: _ClassVar[int]
    FORGET_FIELD_NUMBER: _ClassVar[int]
    prior: float
    learn: float
    guess: float
    slip: float
    forget: float
    def __init__(self, prior: _Optional[float] = ..., learn: _Optional[float] = ..., guess: _Optional[float] = ..., slip: _Optional[float] = ..., forget: _Optional[float] = ...) -> None: ...

class MasteryPolicy(_message.Message):
    __slots__ = ("threshold", "min_attempts", "consecutive_correct")
    THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    MIN_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CONSECUTIVE_CORRECT_FIELD_NUMBER: _ClassVar[int]
    threshold: float
    min_attempts: int
    consecutive_correct: int
    def __init__(self, threshold: _Optional[float] = ..., min_attempts: _Optional[int] = ..., consecutive_correct: _Optional[int] = ...) -> None: ...

class Skill(_message.Message):
    __slots__ = ("skill_id", "name", "bkt", "prerequisites", "mastery")
    SKILL_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    BKT_FIELD_NUMBER: _ClassVar[int]
    PREREQUISITES_FIELD_NUMBER: _ClassVar[int]
    MASTERY_FIELD_NUMBER: _ClassVar[int]
    skill_id: str
    name: str
    bkt: BktParams
    prerequisites: _containers.RepeatedScalarFieldContainer[str]
    mastery: MasteryPolicy
    def __init__(self, skill_id: _Optional[str] = ..., name: _Optional[str] = ..., bkt: _Optional[_Union[BktParams, _Mapping]] = ..., prerequisites: _Optional[_Iterable[str]] = ..., mastery: _Optional[_Union[MasteryPolicy, _Mapping]] = ...) -> None: ...

class IrtParams(_message.Message):
    __slots__ = ("a", "b", "c")
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    C_FIELD_NUMBER: _ClassVar[int]
    a: float
    b: float
    c: float
    def __init__(self, a: _Optional[float] = ..., b: _Optional[float] = ..., c: _Optional[float] = ...) -> None: ...

class Item(_message.Message):
    __slots__ = ("item_id", "skill_ids", "irt", "content")
    ITEM_ID_FIELD_NUMBER: _ClassVar[int]
    SKILL_IDS_FIELD_NUMBER: _ClassVar[int]
    IRT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    item_id: str
    skill_ids: _containers.RepeatedScalarFieldContainer[str]
    irt: IrtParams
    content: str
    def __init__(self, item_id: _Optional[str] = ..., skill_ids: _Optional[_Iterable[str]] = ..., irt: _Optional[_Union[IrtParams, _Mapping]] = ..., content: _Optional[str] = ...) -> None: ...

class Course(_message.Message):
    __slots__ = ("course_id", "title", "skills", "items", "mastery", "diagnostic", "dkt_model")
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    SKILLS_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    MASTERY_FIELD_NUMBER: _ClassVar[int]
    DIAGNOSTIC_FIELD_NUMBER: _ClassVar[int]
    DKT_MODEL_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    title: str
    skills: _containers.RepeatedCompositeFieldContainer[Skill]
    items: _containers.RepeatedCompositeFieldContainer[Item]
    mastery: MasteryPolicy
    diagnostic: DiagnosticPolicy
    dkt_model: str
    def __init__(self, course_id: _Optional[str] = ..., title: _Optional[str] = ..., skills: _Optional[_Iterable[_Union[Skill, _Mapping]]] = ..., items: _Optional[_Iterable[_Union[Item, _Mapping]]] = ..., mastery: _Optional[_Union[MasteryPolicy, _Mapping]] = ..., diagnostic: _Optional[_Union[DiagnosticPolicy, _Mapping]] = ..., dkt_model: _Optional[str] = ...) -> None: ...

class DiagnosticPolicy(_message.Message):
    __slots__ = ("disabled", "min_items", "max_items", "target_se")
    DISABLED_FIELD_NUMBER: _ClassVar[int]
    MIN_ITEMS_FIELD_NUMBER: _ClassVar[int]
    MAX_ITEMS_FIELD_NUMBER: _ClassVar[int]
    TARGET_SE_FIELD_NUMBER: _ClassVar[int]
    disabled: bool
    min_items: int
    max_items: int
    target_se: float
    def __init__(self, disabled: _Optional[bool] = ..., min_items: _Optional[int] = ..., max_items: _Optional[int] = ..., target_se: _Optional[float] = ...) -> None: ...

class PutCourseRequest(_message.Message):
    __slots__ = ("course",)
    COURSE_FIELD_NUMBER: _ClassVar[int]
    course: Course
    def __init__(self, course: _Optional[_Union[Course, _Mapping]] = ...) -> None: ...

class PutCourseResponse(_message.Message):
    __slots__ = ("course",)
    COURSE_FIELD_NUMBER: _ClassVar[int]
    course: Course
    def __init__(self, course: _Optional[_Union[Course, _Mapping]] = ...) -> None: ...

class GetCourseRequest(_message.Message):
    __slots__ = ("course_id",)
    COURSE_ID_FIELD_NUMBER: _ClassVar[int]
    course_id: str
    def __init__(self, course_id: _Optional[str] = ...) -> None: ...

class GetCourseResponse(_message.Message):
    __slots__ = ("course",)
    COURSE_FIELD_NUMBER: _ClassVar[int]
    course: Course
    def __init__(self, course: _Optional[_Union[Course, _Mapping]] = ...) -> None: ...

class ListCoursesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCoursesResponse(_message.Message):
    __slots__ = ("courses", "next_page_token")
    COURSES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    courses: _containers.RepeatedCompositeFieldContainer[Course]
    next_page_token: str
    def __init__(self, courses: _Optional[_Iterable[_Union[Course, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
