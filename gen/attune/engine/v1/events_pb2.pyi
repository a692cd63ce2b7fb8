import datetime

from attune.engine.v1 import learner_pb2 as _learner_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListEventsRequest(_message.Message):
    __slots__ = ("after_log_id", "page_size")
    AFTER_LOG_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    after_log_id: int
    page_size: int
    def __init__(self, after_log_id: _Optional[int] = ..., page_size: _Optional[int] = ...) -> None: ...

class LoggedResponse(_message.Message):
    __slots__ = ("log_id", "response", "reply", "recorded_at")
    LOG_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    REPLY_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    log_id: int
    response: _learner_pb2.RecordResponseRequest
    reply: _learner_pb2.RecordResponseResponse
    recorded_at: _timestamp_pb2.Timestamp
    def __init__(self, log_id: _Optional[int] = ..., response: _Optional[_Union[_learner_pb2.RecordResponseRequest, _Mapping]] = ..., reply: _Optional[_Union[_learner_pb2.RecordResponseResponse, _Mapping]] = ..., recorded_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events", "last_log_id")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    LAST_LOG_ID_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[LoggedResponse]
    last_log_id: int
    def __init__(self, events: _Optional[_Iterable[_Union[LoggedResponse, _Mapping]]] = ..., last_log_id: _Optional[int] = ...) -> None: ...
