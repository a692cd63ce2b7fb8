"""attune.engine.v1.ErasureService: the gateway lists the learners a DeleteLearner erased
and acknowledges each once it erased them from its own stores (engine/domain/erasures.py)."""

from __future__ import annotations

from grpc import aio

from attune.engine.grpc.auth import current_tenant
from attune.engine.grpc.convert import _set_time
from attune.engine.grpc.requests import check_ids
from attune.engine.service.engine import Engine
from attune.engine.v1 import erasures_pb2, erasures_pb2_grpc


class ErasureServicer(erasures_pb2_grpc.ErasureServiceServicer):
    """attune.engine.v1.ErasureService."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    async def ListPendingErasures(
        self, request: erasures_pb2.ListPendingErasuresRequest, context: aio.ServicerContext
    ) -> erasures_pb2.ListPendingErasuresResponse:
        check_ids(request, "learner_id")
        found = await self._engine.erasures.pending(
            current_tenant(), request.learner_id, request.page_size
        )
        reply = erasures_pb2.ListPendingErasuresResponse()
        for e in found:
            msg = reply.erasures.add(
                learner_id=e.learner_id, erasure_id=e.erasure_id, request_id=e.request_id
            )
            _set_time(msg.requested_at, e.requested_at)
        return reply

    async def AcknowledgeErasure(
        self, request: erasures_pb2.AcknowledgeErasureRequest, context: aio.ServicerContext
    ) -> erasures_pb2.AcknowledgeErasureResponse:
        check_ids(request, "learner_id", "erasure_id")
        done = await self._engine.erasures.acknowledge(
            current_tenant(), request.learner_id, request.erasure_id
        )
        return erasures_pb2.AcknowledgeErasureResponse(acknowledged=done)
