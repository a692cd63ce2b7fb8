"""Key names of the Redis store. Every key is scoped by tenant, and hash-tagged so that all
of one learner's keys share one cluster slot (``{t=<tenant>:l=<learner>}``) and all of a
tenant's shared keys another (``{t=<tenant>}``).

Ids are escaped before they go into a key (:func:`attune.infra.redis.escape`, shared with the
gateway): a ``}`` in an id cannot end a hash tag early, and a ``:`` in a tenant cannot make two
(tenant, learner) pairs spell the same tag.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from redis.crc import REDIS_CLUSTER_HASH_SLOTS, key_slot

from attune.infra.redis import escape, unescape

PREFIX = "attune"
COURSE_CHANNEL = f"{PREFIX}:course-changed"
SWEEP_LOCK = f"{PREFIX}:relay-sweep-lock"


@dataclass(frozen=True, slots=True)
class LearnerKeys:
    """The keys of one learner in one tenant; all in the learner's slot."""

    tenant: str
    learner_id: str

    @property
    def tag(self) -> str:
        return f"{{t={escape(self.tenant)}:l={escape(self.learner_id)}}}"

    def state(self, course_id: str) -> str:
        """String ``<version>|<state JSON>`` of one course."""
        return f"{PREFIX}:{self.tag}:state:{escape(course_id)}"

    def sequence(self, course_id: str) -> str:
        """List of the event ids applied in one course, in the order they were accepted."""
        return f"{PREFIX}:{self.tag}:seq:{escape(course_id)}"

    @property
    def events(self) -> str:
        """Hash event id -> logged event JSON (with its reply): the learner's log and the
        idempotency index."""
        return f"{PREFIX}:{self.tag}:events"

    @property
    def meta(self) -> str:
        """Hash: ``gen`` (this incarnation of the learner), ``n`` (outbox counter) and one
        ``c:<course>`` field per course the learner has state in."""
        return f"{PREFIX}:{self.tag}:meta"

    @property
    def outbox(self) -> str:
        """List ``<n>|<event id>`` of events committed but not yet on the tenant stream."""
        return f"{PREFIX}:{self.tag}:outbox"

    @property
    def member(self) -> str:
        """The learner as a member of a dirty set."""
        return f"{escape(self.tenant)}:{escape(self.learner_id)}"

    @classmethod
    def from_member(cls, member: str) -> LearnerKeys:
        """Inverse of :attr:`member`."""
        tenant, learner = member.split(":", 1)
        return cls(unescape(tenant), unescape(learner))

    def slot(self) -> int:
        """The cluster slot of every key of this learner."""
        return key_slot(self.tag.encode())


@dataclass(frozen=True, slots=True)
class TenantKeys:
    """The tenant's shared keys; all in the tenant's slot."""

    tenant: str

    @property
    def tag(self) -> str:
        return f"{{t={escape(self.tenant)}}}"

    @property
    def courses(self) -> str:
        """Hash course id -> course JSON."""
        return f"{PREFIX}:{self.tag}:courses"

    @property
    def course_ids(self) -> str:
        """Sorted set of course ids (all scores 0), for pages in id order."""
        return f"{PREFIX}:{self.tag}:course-ids"

    @property
    def log(self) -> str:
        """The tenant's event stream."""
        return f"{PREFIX}:{self.tag}:log"

    @property
    def marks(self) -> str:
        """Hash learner member -> ``<gen>|<n>``: the last outbox entry put on the stream."""
        return f"{PREFIX}:{self.tag}:relayed"

    def stream_ids(self, learner_id: str) -> str:
        """List of the stream entry ids of one learner's events (for erasure)."""
        return f"{PREFIX}:{self.tag}:stream-ids:{escape(learner_id)}"

    @property
    def erasures(self) -> str:
        """Hash learner id -> pending erasure JSON (redis_erasures.py)."""
        return f"{PREFIX}:{self.tag}:erasures"

    def tombstone(self, gen: str) -> str:
        """Set when a learner incarnation is erased: late relays of it are dropped."""
        return f"{PREFIX}:{self.tag}:erased:{gen}"


@cache
def _slot_tags() -> tuple[str, ...]:
    """For every cluster slot, a short string whose hash lands in that slot."""
    tags: dict[int, str] = {}
    i = 0
    while len(tags) < REDIS_CLUSTER_HASH_SLOTS:
        tag = f"d{i}"
        tags.setdefault(key_slot(tag.encode()), tag)
        i += 1
    return tuple(tags[s] for s in range(REDIS_CLUSTER_HASH_SLOTS))


def dirty_key(slot: int | None) -> str:
    """The set of learners with a non-empty outbox in ``slot`` (None: the one set of a
    standalone server). It lives in that same slot, so a commit adds to it atomically."""
    if slot is None:
        return f"{PREFIX}:{{dirty}}:dirty"
    return f"{PREFIX}:{{{_slot_tags()[slot]}}}:dirty"
