"""``GatewaySettings.xapi_attachments`` (issue 19): statements' attachments received in
multipart/mixed requests, e.g. ``ATTUNE_GATEWAY__XAPI_ATTACHMENTS__MAX_BYTES=1048576``.
A request's whole body stays within ``http.body_limits.xapi`` besides."""

from __future__ import annotations

from pydantic import BaseModel, Field


class AttachmentSettings(BaseModel):
    """Whether multipart/mixed statements are taken, and the cap of one attachment."""

    enabled: bool = True  # false: multipart/mixed requests are refused with 415
    max_bytes: int = Field(default=4 * 1024 * 1024, ge=0)  # per attachment, stored per tenant
