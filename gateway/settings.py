"""The gateway's part of the one settings object (``EngineSettings.gateway``), e.g.
``ATTUNE_GATEWAY__PORT=8000`` or ``ATTUNE_GATEWAY__PUBLIC_URL=https://attune.example.edu``."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from gateway.http_settings import HttpSettings

DEV_ADMIN_TOKEN = "dev-admin-token"


class GatewaySettings(BaseModel):
    """Every knob of the HTTP gateway that ``attune serve`` starts next to the engine."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # The URL platforms reach the gateway at. Empty: http://host:port (development only;
    # LTI platforms need HTTPS in production).
    public_url: str = ""
    threads: int = Field(default=8, ge=1, le=256)
    # Where the gateway keeps its state: empty for the embedded SQLite file under the data
    # directory; redis://, rediss:// or redis+cluster:// to share it between gateways.
    store_url: str = ""
    # The engine credential used for each tenant (the engine takes the tenant from it).
    engine_tokens: dict[str, str] = Field(default_factory=lambda: {"default": "dev-token"})
    # Bearer token of the admin surface (registrations); production sets its own.
    admin_token: str = DEV_ADMIN_TOKEN
    # Bounded leeway for the id_token's iat/exp/nbf: platform clocks drift (pylti1p3 #146).
    clock_skew_seconds: int = Field(default=60, ge=0, le=600)
    nonce_ttl_seconds: int = Field(default=3600, ge=60)
    state_ttl_seconds: int = Field(default=600, ge=30)
    session_ttl_seconds: int = Field(default=8 * 3600, ge=60)
    jwks_cache_seconds: int = Field(default=3600, ge=0)
    # A kid the cached JWKS lacks triggers a refetch, at most once per this many seconds.
    jwks_refetch_seconds: float = Field(default=10.0, ge=0)
    # Service tokens are dropped this long before the platform says they expire.
    token_margin_seconds: int = Field(default=60, ge=0)
    # The tool's signing keys: a new one every rotate_days; the old stays published a while.
    key_rotate_days: float = Field(default=30.0, gt=0)
    key_overlap_days: float = Field(default=7.0, ge=0)
    # Grade passback outbox: retries with exponential backoff and full jitter.
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_base_delay_seconds: float = Field(default=2.0, gt=0)
    outbox_max_delay_seconds: float = Field(default=600.0, gt=0)
    # The course an LTI resource link gets when the activity names none (deep linking does).
    default_course_id: str = "demo"
    # Statements to learning record stores (issue 7): the outbox reads the engine's event log
    # every poll, sends up to statement_batch statements per POST, and backs off like grades.
    statement_poll_seconds: float = Field(default=1.0, gt=0)
    statement_batch: int = Field(default=50, ge=1, le=500)
    statement_base_delay_seconds: float = Field(default=2.0, gt=0)
    statement_max_delay_seconds: float = Field(default=600.0, gt=0)
    # GET /demo opens the practice page for a fresh anonymous learner of the default tenant,
    # without an LMS. For trying Attune out; production turns it off.
    demo_page: bool = True
    default_tenant: str = "default"
    # Bearer tokens of statement ingestion (POST/PUT /xapi/statements, POST /caliper): token ->
    # tenant. The default is a development token for the default tenant; production sets its
    # own, e.g. ATTUNE_GATEWAY__INGEST_TOKENS='{"<long random token>": "default"}'.
    ingest_tokens: dict[str, str] = Field(default_factory=lambda: {"dev-ingest-token": "default"})
    # Dynamic Registration fetches URLs a platform names. Loopback, private and link-local
    # addresses are refused (no SSRF into the gateway's network) unless this allows them, as the
    # tests and a platform emulator on 127.0.0.1 need.
    allow_private_registration_targets: bool = False

    # The HTTP server against slow and greedy clients: deadlines, body caps, rate limits
    # (issue 11), e.g. ATTUNE_GATEWAY__HTTP__RATE_LIMITS__ENABLED=false.
    http: HttpSettings = Field(default_factory=HttpSettings)

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def base_url(self, bound_port: int) -> str:
        """The public base URL, falling back to the bound address."""
        return self.public_url or f"http://{self.host}:{bound_port}"
