"""The engine's one settings object (``attune engine``; ``attune serve`` builds it next to the
gateway's). Built once at startup and passed down; nothing reads the environment anywhere
else. The gateway's settings are its own (gateway/settings.py): neither imports the other."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from attune.engine.admission_settings import AdmissionSettings
from attune.engine.artifacts_path import shipped_models_dir
from attune.engine.domain.credibility import CredibilityPolicy
from attune.engine.domain.tutoring import HOUR, GapPolicy, ReviewPolicy, Schedule, TutorPolicy
from attune.engine.limits_settings import TenantLimitSettings
from attune.infra.audit.settings import AuditSettings

DEV_TOKEN = "dev-token"


class AuthSettings(BaseModel):
    """Who may call the engine.

    - Static bearer tokens, each mapped to the tenant it acts for: for development. The
      default maps ``dev-token`` to the tenant ``default`` (with a warning at startup);
      ``ATTUNE_AUTH__TOKENS='{}'`` turns them off.
    - JWT access tokens from the gateway's authorization server (issue 16), on when
      ``jwks_url`` is set, e.g. ``ATTUNE_AUTH__JWKS_URL=https://gw.example.edu/lti/jwks``,
      ``ATTUNE_AUTH__ISSUER=https://gw.example.edu``, ``ATTUNE_AUTH__AUDIENCE=attune-engine``.
      Static tokens, when configured, are checked first.
    - mTLS (optional): the server's certificate and key, and the CA whose client
      certificates it requires (``tls_client_ca_file``; empty: TLS without client certs).
    """

    tokens: dict[str, str] = Field(default_factory=lambda: {DEV_TOKEN: "default"})
    jwks_url: str = ""
    issuer: str = ""
    audience: str = "attune-engine"
    leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    jwks_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    jwks_cache_seconds: float = Field(default=300.0, ge=0)
    # An unknown kid refetches the JWKS at most once per this many seconds.
    jwks_min_refetch_seconds: float = Field(default=10.0, ge=0)
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    tls_client_ca_file: Path | None = None
    # ``attune serve`` only: the engine trusts the tokens of the gateway it starts, checked
    # against that gateway's keys in process (set by serve when it starts the gateway).
    trust_gateway: bool = False

    @model_validator(mode="after")
    def _complete(self) -> AuthSettings:
        if self.jwks_url and not self.issuer:
            raise ValueError("auth.issuer is required with auth.jwks_url")
        if self.jwks_url and not self.jwks_url.startswith(("https://", "http://")):
            raise ValueError("auth.jwks_url must be an http(s) URL")
        if not self.tokens and not self.jwks_url and not self.trust_gateway:
            raise ValueError("auth: set tokens or jwks_url, or no call can be authenticated")
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("auth.tls_cert_file and auth.tls_key_file go together")
        if self.tls_client_ca_file is not None and self.tls_cert_file is None:
            raise ValueError("auth.tls_client_ca_file needs auth.tls_cert_file and tls_key_file")
        return self


class TutorSettings(BaseModel):
    """The engine-wide tutoring policy (see engine/domain/tutoring.py), e.g.
    ``ATTUNE_TUTOR__TOO_FAST_FLOOR_MS=3000``."""

    too_fast_floor_ms: int = Field(default=2000, ge=0)
    too_fast_fraction: float = Field(default=0.10, ge=0, le=1)
    too_fast_weight: float = Field(default=0.2, ge=0, le=1)
    # Reviews (engine/domain/review.py). "recall": due when the predicted recall of a
    # mastered skill falls to review_target_recall; the first review comes
    # review_interval_hours after mastery; a review answered right when due multiplies the
    # memory half-life by review_growth (later: more, up to review_max_growth; earlier: less),
    # a wrong answer by review_lapse. "doubling": the interval doubles per overdue review.
    # review_reopen: a failed review (a wrong answer when due) withdraws mastery.
    review_schedule: Schedule = "recall"
    review_interval_hours: float = Field(default=24.0, gt=0)
    review_target_recall: float = Field(default=0.9, gt=0, lt=1)
    review_growth: float = Field(default=2.0, ge=1)
    review_max_growth: float = Field(default=4.0, ge=1)
    review_lapse: float = Field(default=0.5, gt=0, le=1)
    review_reopen: bool = True
    # The course is COMPLETE when every skill is mastered and each one's predicted recall is
    # at least this: skills from earlier sessions are checked first (0 turns checks off).
    review_complete_recall: float = Field(default=0.97, ge=0, lt=1)
    gap_failures: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _growth_within_max(self) -> TutorSettings:
        if self.review_growth > self.review_max_growth:
            raise ValueError("review_growth must be <= review_max_growth")
        return self

    def policy(self) -> TutorPolicy:
        """The domain policy these settings describe."""
        return TutorPolicy(
            credibility=CredibilityPolicy(
                floor_ms=self.too_fast_floor_ms,
                fraction=self.too_fast_fraction,
                weight=self.too_fast_weight,
            ),
            review=ReviewPolicy(
                interval_s=self.review_interval_hours * HOUR,
                growth=self.review_growth,
                schedule=self.review_schedule,
                target_recall=self.review_target_recall,
                max_growth=self.review_max_growth,
                lapse=self.review_lapse,
                reopen=self.review_reopen,
                complete_recall=self.review_complete_recall,
            ),
            gaps=GapPolicy(
                failures=self.gap_failures, suspect_failures=max(5, self.gap_failures + 2)
            ),
        )


class RefitSettings(BaseModel):
    """Parameters that improve with use (``attune refit`` and the engine's background job;
    see models/refit), e.g. ``ATTUNE_REFIT__INTERVAL_HOURS=24``. Every refit compares the
    new parameters with the old on held-out learners and adopts only better ones."""

    interval_hours: float = Field(default=0.0, ge=0)  # 0: the background job is off
    min_sequences: int = Field(default=200, ge=1)  # learner sequences a skill needs (fit part)
    min_item_responses: int = Field(default=50, ge=1)  # responses an item needs (fit part)
    holdout_fraction: float = Field(default=0.2, gt=0, lt=1)  # learners held out, by hash
    min_holdout_responses: int = Field(default=20, ge=1)  # held-out evidence for a decision
    bkt_margin: float = Field(default=0.001, ge=0)  # nats per held-out response to adopt
    irt_margin: float = Field(default=0.001, ge=0)
    forgets: bool = False  # fit BKT's forget too (off: classic BKT, as the courses ship)
    seed: int = 42  # pyBKT's random seed
    timeout_seconds: float = Field(default=1800.0, gt=0)  # one course's refit in the job


class EngineSettings(BaseSettings):
    """Every knob of the engine. Environment variables use the ``ATTUNE_`` prefix."""

    model_config = SettingsConfigDict(env_prefix="ATTUNE_", env_nested_delimiter="__")

    host: str = "127.0.0.1"
    port: int = Field(default=50051, ge=0, le=65535)
    # Empty: the embedded store under data_dir. Also sqlite:///path/to/file.db.
    store_url: str = ""
    data_dir: Path = Path(".attune")
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    grace_seconds: float = Field(default=10.0, ge=0)
    demo_course: bool = True  # load the bundled demo course into the default tenant
    default_tenant: str = "default"
    # DKT artifacts: <models_dir>/<name>/<version>/{model.onnx, manifest.json}; empty
    # disables DKT serving. Default: the artifacts shipped with the distribution.
    models_dir: Path | None = Field(default_factory=shipped_models_dir)
    models_poll_seconds: float = Field(default=5.0, ge=0)  # 0: reload on SIGHUP only
    dkt_batching: bool = True  # micro-batch concurrent DKT steps into one session.run
    auth: AuthSettings = Field(default_factory=AuthSettings)
    tutor: TutorSettings = Field(default_factory=TutorSettings)
    refit: RefitSettings = Field(default_factory=RefitSettings)
    # The audit trail of partners' reads of learner data (issue 16 part 4), e.g.
    # ATTUNE_AUDIT__STORE_URL; empty: audit.db in data_dir, or the Redis of store_url.
    audit: AuditSettings = Field(default_factory=AuditSettings)
    # Per-tenant request budgets of the gRPC API (issue 16 part 6), e.g.
    # ATTUNE_LIMITS__RESPONSES_PER_SECOND=50; ATTUNE_LIMITS__ENABLED=false turns them off.
    limits: TenantLimitSettings = Field(default_factory=TenantLimitSettings)
    # Load shedding (issue 17): bounded in-flight work, tutoring before analytics, e.g.
    # ATTUNE_ADMISSION__MAX_IN_FLIGHT=64; ATTUNE_ADMISSION__ENABLED=false turns it off.
    admission: AdmissionSettings = Field(default_factory=AdmissionSettings)
    # Observability (issue 17): Prometheus /metrics on its own port (ATTUNE_METRICS_PORT;
    # 0: no metrics at all), on metrics_host; the store's health is checked every
    # health_interval_seconds for the gRPC health service.
    metrics_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    health_interval_seconds: float = Field(default=5.0, gt=0)
    # Set by `attune engine --workers N` for its workers, not by hand: share the port
    # (SO_REUSEPORT), and which worker this is (0 when not supervised).
    reuse_port: bool = False
    worker_index: int = Field(default=0, ge=0)

    @property
    def worker(self) -> int | None:
        """This process's worker index under ``attune engine --workers N`` (None: alone)."""
        return self.worker_index if self.reuse_port else None
