"""A thin client of the engine's LearnerService for one tenant and course."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from attune.engine.v1 import learner_pb2


@dataclass(frozen=True)
class LearnerClient:
    """Calls LearnerService as one tenant (its bearer token) in one course."""

    stub: Any  # learner_pb2_grpc.LearnerServiceStub (the generated stubs are untyped)
    token: str
    course_id: str

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """The call metadata carrying the tenant's token."""
        return (("authorization", f"Bearer {self.token}"),)

    async def record(
        self,
        learner_id: str,
        event_id: str,
        item_id: str,
        correct: bool,
        response_time_ms: int,
        occurred_at: float,
    ) -> learner_pb2.RecordResponseResponse:
        """RecordResponse for one answer."""
        when = Timestamp()
        when.FromNanoseconds(round(occurred_at * 1e9))
        request = learner_pb2.RecordResponseRequest(
            event_id=event_id,
            learner_id=learner_id,
            course_id=self.course_id,
            item_id=item_id,
            correct=correct,
            response_time_ms=response_time_ms,
            occurred_at=when,
        )
        reply: learner_pb2.RecordResponseResponse = await self.stub.RecordResponse(
            request, metadata=self.metadata
        )
        return reply

    async def recommend(self, learner_id: str) -> Sequence[learner_pb2.Recommendation]:
        """The engine's next items for the learner, best first."""
        request = learner_pb2.RecommendRequest(learner_id=learner_id, course_id=self.course_id)
        reply = await self.stub.Recommend(request, metadata=self.metadata)
        return list(reply.recommendations)

    async def state(self, learner_id: str) -> learner_pb2.GetLearnerStateResponse:
        """The learner model (NOT_FOUND before the first response)."""
        request = learner_pb2.GetLearnerStateRequest(
            learner_id=learner_id, course_id=self.course_id
        )
        reply: learner_pb2.GetLearnerStateResponse = await self.stub.GetLearnerState(
            request, metadata=self.metadata
        )
        return reply
