"""The gateway's one settings object (``attune gateway``; ``attune serve`` builds it next to
the engine's), e.g. ``ATTUNE_GATEWAY__PORT=8000`` or
``ATTUNE_GATEWAY__PUBLIC_URL=https://attune.example.edu``. It imports nothing of the engine:
the gateway reaches the engine only through the gRPC contract, at ``engine_address``.

A few names predate the split and keep working: ``ATTUNE_DATA_DIR``, ``ATTUNE_LOG_FORMAT`` and
``ATTUNE_LOG_LEVEL`` (shared with the engine) and ``ATTUNE_LRS_URL``, ``ATTUNE_LRS_USERNAME``,
``ATTUNE_LRS_PASSWORD``, ``ATTUNE_LRS_XAPI_VERSION``. A gateway-specific name
(``ATTUNE_GATEWAY__DATA_DIR``, ``ATTUNE_GATEWAY__LRS__URL``, ...) wins over them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from attune.content.generation.settings import GeneratorSettings
from attune.gateway.engine_tls import EngineTlsSettings
from attune.gateway.http_settings import HttpSettings
from attune.gateway.oauth.settings import OAuthSettings
from attune.gateway.sso.settings import SsoSettings
from attune.gateway.xapi_attachment_settings import AttachmentSettings
from attune.infra.audit.settings import AuditSettings

DEV_ADMIN_TOKEN = "dev-admin-token"

# Engine-wide names the gateway reads when its own is not set: field -> variable.
SHARED_ENV = {
    "data_dir": "ATTUNE_DATA_DIR",
    "log_format": "ATTUNE_LOG_FORMAT",
    "log_level": "ATTUNE_LOG_LEVEL",
}
# The default tenant's LRS under its names from before the split: LrsSettings field -> variable.
LEGACY_LRS_ENV = {
    "url": "ATTUNE_LRS_URL",
    "username": "ATTUNE_LRS_USERNAME",
    "password": "ATTUNE_LRS_PASSWORD",
    "xapi_version": "ATTUNE_LRS_XAPI_VERSION",
}
_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?")


class LrsSettings(BaseModel):
    """The default tenant's learning record store (issue 7), e.g.
    ``ATTUNE_GATEWAY__LRS__URL`` (or ``ATTUNE_LRS_URL``). Other tenants' LRSs are set through
    the admin API. An empty URL: no statements are sent for the default tenant."""

    url: str = ""
    username: str = ""
    password: SecretStr = SecretStr("")
    xapi_version: Literal["1.0.3", "2.0.0"] = "1.0.3"


def check_engine_address(value: str) -> str:
    """``value`` when it is a gRPC target the gateway can dial: ``host:port`` (a name, an IPv4
    address or a bracketed IPv6 address; port 1-65535), the same behind ``dns:///``, or
    ``unix:<path>``; otherwise ValueError naming it."""
    if value.startswith("unix:") and len(value) > len("unix:"):
        return value
    address = re.sub(r"^dns:(//[^/]*)?/", "", value)
    host, sep, port = address.rpartition(":")
    if (
        sep
        and _HOST.fullmatch(host)
        and port.isascii()
        and port.isdigit()
        and 0 < int(port) <= 65535
    ):
        return value
    raise ValueError(
        f"{value!r} is not an engine address: expected host:port (e.g. 127.0.0.1:50051), "
        "dns:///host:port or unix:<path>"
    )


class SharedEnvSource(PydanticBaseSettingsSource):
    """The engine-wide and pre-split variable names (see the module docstring), below the
    ``ATTUNE_GATEWAY__*`` ones in priority."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # __call__ reads every name at once

    def __call__(self) -> dict[str, Any]:
        env = {name.upper(): value for name, value in os.environ.items()}
        found: dict[str, Any] = {f: env[v] for f, v in SHARED_ENV.items() if v in env}
        lrs = {f: env[v] for f, v in LEGACY_LRS_ENV.items() if v in env}
        if lrs:
            found["lrs"] = lrs
        return found


class GatewaySettings(BaseSettings):
    """Every knob of the HTTP gateway. Environment variables use the ``ATTUNE_GATEWAY__``
    prefix, nested with ``__`` (``ATTUNE_GATEWAY__HTTP__RATE_LIMITS__ENABLED=false``)."""

    model_config = SettingsConfigDict(env_prefix="ATTUNE_GATEWAY__", env_nested_delimiter="__")

    # ``attune serve`` only: false serves the engine without the gateway (--no-gateway).
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    # The engine's gRPC address (``attune gateway --engine-address``); ``attune serve`` sets
    # it to the engine it starts.
    engine_address: str = "127.0.0.1:50051"
    # The embedded store's folder (gateway.db) when store_url is empty.
    data_dir: Path = Path(".attune")
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # The URL platforms reach the gateway at. Empty: http://host:port (development only;
    # LTI platforms need HTTPS in production).
    public_url: str = ""
    threads: int = Field(default=8, ge=1, le=256)
    # Set by `attune gateway --workers N` for its workers, not by hand: share the port
    # (SO_REUSEPORT), and which worker this is (0 when not supervised).
    reuse_port: bool = False
    worker_index: int = Field(default=0, ge=0)
    # Where the gateway keeps its state: empty for the embedded SQLite file under the data
    # directory; redis://, rediss:// or redis+cluster:// to share it between gateways.
    store_url: str = ""
    # How the gateway authenticates its own calls to the engine (the engine takes the tenant
    # from the credential): "jwt" mints a short-lived access token per tenant, signed with the
    # tool's key (the engine trusts the gateway's JWKS; ``attune serve`` wires that itself);
    # "static" sends engine_tokens (development).
    engine_auth: Literal["jwt", "static"] = "jwt"
    # The tenants the gateway acts for at the engine. Empty: the keys of engine_tokens.
    engine_tenants: list[str] = Field(default_factory=list)
    # A minted engine token is replaced this long before it expires (at most half its life).
    engine_token_margin_seconds: int = Field(default=60, ge=1)
    # The static engine credential of each tenant (engine_auth=static).
    engine_tokens: dict[str, str] = Field(default_factory=lambda: {"default": "dev-token"})
    # TLS/mTLS to the engine (ATTUNE_GATEWAY__ENGINE_TLS__CA_FILE, __CERT_FILE, __KEY_FILE,
    # __SERVER_NAME; see gateway/engine_tls.py); empty: plaintext.
    engine_tls: EngineTlsSettings = Field(default_factory=EngineTlsSettings)
    # Under ``attune serve`` only: make the unary engine calls in process, through the
    # engine's own interceptors and servicers but without loopback gRPC (issue 17;
    # gateway/engine_local.py). False: every call over the network, as a separate gateway.
    engine_in_process: bool = True
    # Item generation with a language model, per tenant: off unless a tenant's entry says
    # enabled (ATTUNE_GATEWAY__GENERATORS='{"default": {"enabled": true, "base_url": ...,
    # "model": ..., "api_key": ...}}'); any OpenAI-compatible chat-completions server.
    generators: dict[str, GeneratorSettings] = Field(default_factory=dict)
    # The prerequisite-drift check of every course runs once per this many days (the
    # dashboard's report is live besides); the worker looks for due courses every poll.
    drift_check_days: float = Field(default=30.0, gt=0)
    drift_poll_seconds: float = Field(default=3600.0, gt=0)
    # How often the gateway asks the engine for learners erased there (a partner's
    # DeleteLearner) to erase them from its own stores too (gateway/audit/propagation.py).
    erasure_poll_seconds: float = Field(default=10.0, gt=0)
    # Bearer token of the admin surface (registrations); production sets its own.
    admin_token: str = DEV_ADMIN_TOKEN
    # Operators (issue 16 part 3, gateway.rbac): health, the API description and metrics,
    # never learner data. Empty: no operator credential.
    operator_token: str = ""
    # Bearer token of GET /metrics (issue 17; the operator token is accepted too). Both
    # empty: /metrics answers loopback clients only.
    metrics_token: str = ""
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
    # every poll, sends up to statement_batch statements per POST, statement_in_flight POSTs
    # per target at once, and backs off like grades.
    statement_poll_seconds: float = Field(default=1.0, gt=0)
    statement_batch: int = Field(default=50, ge=1, le=500)
    statement_in_flight: int = Field(default=2, ge=1, le=8)
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

    # The default tenant's learning record store.
    lrs: LrsSettings = Field(default_factory=LrsSettings)

    # The HTTP server against slow and greedy clients: deadlines, body caps, rate limits
    # (issue 11), e.g. ATTUNE_GATEWAY__HTTP__RATE_LIMITS__ENABLED=false.
    http: HttpSettings = Field(default_factory=HttpSettings)

    # The OAuth 2.0 authorization server for partner apps (issue 16 part 1), e.g.
    # ATTUNE_GATEWAY__OAUTH__AUDIENCE=attune-engine.
    oauth: OAuthSettings = Field(default_factory=OAuthSettings)

    # The audit trail and the log pseudonyms (issue 16 parts 4 and 6), e.g.
    # ATTUNE_GATEWAY__AUDIT__RETENTION_DAYS=3650.
    audit: AuditSettings = Field(default_factory=AuditSettings)

    # Staff sign-in with OIDC and SAML (issue 16 part 2): identity providers per tenant,
    # sessions, cookies, e.g. ATTUNE_GATEWAY__SSO__IDLE_SECONDS=900.
    sso: SsoSettings = Field(default_factory=SsoSettings)

    # Attachments of xAPI statements in multipart/mixed requests (issue 19), e.g.
    # ATTUNE_GATEWAY__XAPI_ATTACHMENTS__MAX_BYTES=1048576.
    xapi_attachments: AttachmentSettings = Field(default_factory=AttachmentSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then ``ATTUNE_GATEWAY__*``, then the shared and pre-split names."""
        shared = SharedEnvSource(settings_cls)
        return init_settings, env_settings, shared, dotenv_settings, file_secret_settings

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("engine_address")
    @classmethod
    def _dialable(cls, value: str) -> str:
        return check_engine_address(value)

    def serves_tenant(self, tenant: str) -> bool:
        """Whether the gateway has an engine credential for ``tenant``."""
        return tenant in self.engine_tenant_names()

    def engine_tenant_names(self) -> tuple[str, ...]:
        """The tenants the gateway acts for at the engine."""
        if self.engine_auth == "jwt" and self.engine_tenants:
            return tuple(self.engine_tenants)
        return tuple(self.engine_tokens)

    def oauth_issuer(self, base_url: str) -> str:
        """The ``iss`` of the tokens the gateway signs (partners' and its own)."""
        return self.oauth.issuer or base_url

    @property
    def worker(self) -> int | None:
        """This process's worker index under ``attune gateway --workers N`` (None: alone)."""
        return self.worker_index if self.reuse_port else None

    def base_url(self, bound_port: int) -> str:
        """The public base URL, falling back to the bound address."""
        return self.public_url or f"http://{self.host}:{bound_port}"
