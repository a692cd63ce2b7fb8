"""A tenant's settings for an OpenAI-compatible chat-completions server (OpenAI, Azure's
compatible endpoint, vLLM, Ollama, llama.cpp's server, ...). Off by default.

The key is a :class:`pydantic.SecretStr`: its ``repr``/``str`` (and so the settings' repr,
logs and error messages) show ``**********``; only the request's ``Authorization`` header
ever sees the value. The key travels only over HTTPS, except to a server on this machine
(``http://127.0.0.1``, ``localhost``, ``[::1]``), which is how local model servers run.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from attune.content.generation.http_post import LOOPBACK_HOSTS


def check_base_url(value: str) -> str:
    """``value`` without a trailing ``/`` when it is an https URL (or http on loopback) with
    a host and no credentials, query or fragment; otherwise ValueError saying why."""
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("base_url must be an https URL such as https://api.openai.com/v1")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError("base_url must use https (http only on this machine: 127.0.0.1)")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("base_url takes no credentials, query or fragment (the key is api_key)")
    return value.rstrip("/")


class GeneratorSettings(BaseModel):
    """``enabled`` turns generation by the model on for a tenant; ``base_url`` is the API root
    (``{base_url}/chat/completions`` is called), ``model`` the model name, ``api_key`` the
    bearer key and ``timeout_s`` the limit on one call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = False
    base_url: str = ""
    model: str = Field(default="", max_length=200)
    api_key: SecretStr = SecretStr("")
    timeout_s: float = Field(default=30.0, gt=0, le=300)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        return check_base_url(value)

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> GeneratorSettings:
        if self.enabled and not (self.base_url and self.model):
            raise ValueError("an enabled generator needs base_url and model")
        return self
