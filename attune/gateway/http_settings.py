"""The knobs of the gateway's HTTP server (``GatewaySettings.http``, e.g.
``ATTUNE_GATEWAY__HTTP__HEADER_TIMEOUT_SECONDS=5``): connection limits and deadlines against
slow clients, body caps per route class, request rates, and the CSP's frame ancestors.

Every default is documented in the README ("Gateway hardening").
"""

from __future__ import annotations

from pydantic import BaseModel, Field

KIB = 1024
MIB = 1024 * KIB


class BodyLimits(BaseModel):
    """The largest request body each route class takes, in bytes; a larger declared (or,
    chunked, received) body is refused with 413 before it is read."""

    xapi: int = Field(default=5 * MIB, ge=KIB)  # POST/PUT /xapi/statements
    caliper: int = Field(default=5 * MIB, ge=KIB)  # POST /caliper
    lti: int = Field(default=64 * KIB, ge=KIB)  # the launch's form post (id_token), login
    admin: int = Field(default=1 * MIB, ge=KIB)  # /admin/...
    # POST /admin/tenants/<t>/content: a course package or quiz export, media included
    content: int = Field(default=64 * MIB, ge=KIB)
    practice: int = Field(default=16 * KIB, ge=KIB)  # the answer form and other page posts
    other: int = Field(default=16 * KIB, ge=0)  # every other route


class Rate(BaseModel):
    """A token bucket: ``burst`` requests at once, refilled at ``per_second``."""

    burst: int = Field(ge=1)
    per_second: float = Field(gt=0)


class RateLimits(BaseModel):
    """Requests per client address and per tenant, by route class (429 with Retry-After).

    The buckets live in each gateway process's memory (at most ``max_keys`` per table, least
    recently used dropped first): several gateways each allow the full rate."""

    enabled: bool = True
    # /demo, /lti/login and /lti/launch: each writes store rows before anyone is known. Sized
    # for a lecture hall of 300 launching at once from behind one campus NAT (a login and a
    # launch each), while an anonymous flood still writes at most 10 rows a second a client.
    sessions_per_client: Rate = Rate(burst=600, per_second=5.0)
    sessions_per_tenant: Rate = Rate(burst=3000, per_second=50.0)
    # POST/PUT /xapi/statements and POST /caliper.
    ingest_per_client: Rate = Rate(burst=120, per_second=20.0)
    ingest_per_tenant: Rate = Rate(burst=240, per_second=40.0)
    # Partner apps' statement reads: GET/HEAD /xapi/statements (attachments included),
    # GET /caliper, GET /xapi/about.
    reads_per_client: Rate = Rate(burst=120, per_second=20.0)
    reads_per_tenant: Rate = Rate(burst=240, per_second=40.0)
    # POST /oauth/token: each attempt costs a scrypt check of the secret (~60 ms of CPU).
    # A partner app needs a token every few minutes; a client id guessed at is slowed to
    # its own bucket's rate without draining its tenant's or another client's.
    token_per_client: Rate = Rate(burst=30, per_second=2.0)
    token_per_client_id: Rate = Rate(burst=10, per_second=0.2)
    token_per_tenant: Rate = Rate(burst=60, per_second=5.0)
    # /admin/...
    admin_per_client: Rate = Rate(burst=60, per_second=5.0)
    max_keys: int = Field(default=10_000, ge=10)


class HttpSettings(BaseModel):
    """The HTTP server's protection against slow and greedy clients."""

    # Open connections waitress keeps (poll(), not select(), so no 1024 descriptor cap).
    connection_limit: int = Field(default=1000, ge=10, le=100_000)
    # A request's headers must be complete this long after its first byte, even when the
    # client trickles bytes; the whole request (with its body) within request_timeout.
    header_timeout_seconds: float = Field(default=10.0, gt=0)
    request_timeout_seconds: float = Field(default=120.0, gt=0)
    # A connection with nothing in flight is closed after this many idle seconds.
    idle_timeout_seconds: int = Field(default=60, ge=1)
    # The reverse proxy whose X-Forwarded-For names the client (rate limits key on it);
    # empty: the peer address is the client.
    trusted_proxy: str = ""
    # Who may frame the token pages (CSP frame-ancestors): the LMSs run them in an iframe.
    # Production can name its platforms, e.g. "https://canvas.uni.edu https://moodle.uni.edu".
    frame_ancestors: str = "*"
    body_limits: BodyLimits = Field(default_factory=BodyLimits)
    rate_limits: RateLimits = Field(default_factory=RateLimits)
