"""TLS (and mTLS) from the gateway to the engine (issue 16 part 1, optional).

The engine serves TLS when its ``auth.tls_cert_file``/``tls_key_file`` are set, and demands a
client certificate signed by ``auth.tls_client_ca_file`` when that is set (engine/auth_setup.py).
The gateway's side, e.g.::

    ATTUNE_GATEWAY__ENGINE_TLS__CA_FILE=/etc/attune/engine-ca.pem
    ATTUNE_GATEWAY__ENGINE_TLS__CERT_FILE=/etc/attune/gateway.pem     # mTLS: the client cert
    ATTUNE_GATEWAY__ENGINE_TLS__KEY_FILE=/etc/attune/gateway-key.pem
    ATTUNE_GATEWAY__ENGINE_TLS__SERVER_NAME=engine.internal           # if not the address host

All empty (the default): a plaintext channel, as before.
"""

from __future__ import annotations

from pathlib import Path

import grpc
from pydantic import BaseModel, model_validator


class EngineTlsSettings(BaseModel):
    """The CA that signed the engine's certificate, and the gateway's client certificate."""

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    # The name to check the engine's certificate against, when it is not the host of
    # engine_address (e.g. an IP address with a certificate for a DNS name).
    server_name: str = ""

    @model_validator(mode="after")
    def _complete(self) -> EngineTlsSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("engine_tls.cert_file and engine_tls.key_file go together")
        if self.cert_file is not None and self.ca_file is None:
            raise ValueError("engine_tls.cert_file needs engine_tls.ca_file (the engine's CA)")
        if self.server_name and self.ca_file is None:
            raise ValueError("engine_tls.server_name needs engine_tls.ca_file")
        return self

    @property
    def enabled(self) -> bool:
        return self.ca_file is not None


def channel_credentials(tls: EngineTlsSettings) -> grpc.ChannelCredentials | None:
    """The channel credentials ``tls`` describes (reads the files), or None: plaintext."""
    if tls.ca_file is None:
        return None
    key = tls.key_file.read_bytes() if tls.key_file is not None else None
    cert = tls.cert_file.read_bytes() if tls.cert_file is not None else None
    return grpc.ssl_channel_credentials(tls.ca_file.read_bytes(), key, cert)


def channel_options(tls: EngineTlsSettings) -> list[tuple[str, str]]:
    """Channel options: the TLS name override when ``server_name`` is set."""
    return [("grpc.ssl_target_name_override", tls.server_name)] if tls.server_name else []


def open_channel(target: str, tls: EngineTlsSettings | None) -> grpc.Channel:
    """A channel to the engine at ``target``: secure when ``tls`` names a CA."""
    creds = channel_credentials(tls) if tls is not None else None
    if creds is None or tls is None:
        return grpc.insecure_channel(target)
    return grpc.secure_channel(target, creds, options=channel_options(tls))
