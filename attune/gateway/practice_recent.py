"""The learner's state as the answer left it, kept briefly for the page that follows.

After an answer the feedback page links to the next question, and that page needs the
state the answer has just fetched from the engine. Keeping it here (in this process, for
``ttl`` seconds, taken once) saves the page a GetLearnerState call. A page served by another
gateway process, or later than ``ttl``, or after a restart, asks the engine as before; a
change made meanwhile by someone else (a teacher's pin, an ingested statement) shows on the
page after that one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from attune.engine.v1 import learner_pb2

TTL_S = 30.0
MAX_ENTRIES = 20_000


class RecentStates:
    """Session token -> (state, when kept); least recently kept dropped past ``max_entries``."""

    def __init__(
        self, clock: Callable[[], float], ttl: float = TTL_S, max_entries: int = MAX_ENTRIES
    ) -> None:
        self._clock = clock
        self._ttl = ttl
        self._max = max_entries
        self._kept: OrderedDict[str, tuple[learner_pb2.GetLearnerStateResponse, float]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def put(self, token: str, state: learner_pb2.GetLearnerStateResponse) -> None:
        """Keep ``state`` for the session's next page."""
        with self._lock:
            self._kept.pop(token, None)
            self._kept[token] = (state, self._clock())
            while len(self._kept) > self._max:
                self._kept.popitem(last=False)

    def pop(self, token: str) -> learner_pb2.GetLearnerStateResponse | None:
        """The kept state, once, if it is younger than the TTL."""
        with self._lock:
            kept = self._kept.pop(token, None)
        if kept is None or self._clock() - kept[1] > self._ttl:
            return None
        return kept[0]
