"""Whole-tenant export and delete on the live system (issue 16; see gateway/tenant_ops.py):

- ``GET /admin/tenants/<t>/export``: the tenant's ``.tar.gz`` (the layout and manifest of
  ``attune tenant export``), streamed. The tenant's administrators may export their own
  tenant; the admin token any tenant.
- ``POST /admin/tenants/<t>/delete`` with ``{"confirm_tenant": "<t>"}``: the tenant dropped
  from the engine, the gateway and the audit trail (but its anchor and one ``tenant.delete``
  record). The admin token only (role ``admin``): a tenant administrator cannot delete.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify

from attune.gateway.app import current
from attune.gateway.errors import BadRequestError, NotFoundError
from attune.gateway.web.credentials import require_admin
from attune.gateway.web.json_body import json_or_none

tenant_admin = Blueprint("tenant_admin", __name__, url_prefix="/admin")
tenant_admin.before_request(require_admin)
CHUNK = 64 * 1024


def _known(tenant: str) -> None:
    if not current().settings.serves_tenant(tenant):
        raise NotFoundError(f"tenant {tenant!r} has no engine credential configured")


def _trail() -> Any:
    from attune.gateway.audit.hook import audit_trail

    return audit_trail()


@tenant_admin.get("/tenants/<tenant>/export")
def export_tenant(tenant: str) -> Response:
    from attune.gateway.tenant_ops import export_tenant as export

    _known(tenant)
    work = Path(tempfile.mkdtemp(prefix="attune-tenant-"))
    try:
        tar = export(current(), _trail(), tenant, work)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise

    def body() -> Iterator[bytes]:
        try:
            with tar.open("rb") as f:
                while data := f.read(CHUNK):
                    yield data
        finally:
            shutil.rmtree(work, ignore_errors=True)

    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in tenant)[:64]
    return Response(
        body(),
        mimetype="application/gzip",
        headers={
            "Content-Disposition": f'attachment; filename="tenant-{safe}.tar.gz"',
            "Content-Length": str(tar.stat().st_size),
        },
    )


@tenant_admin.post("/tenants/<tenant>/delete")
def delete_tenant(tenant: str) -> Any:
    from attune.gateway.tenant_ops import delete_tenant as delete

    body = json_or_none()
    confirm = body.get("confirm_tenant") if isinstance(body, dict) else None
    if confirm != tenant:
        raise BadRequestError(
            "confirm_tenant: the JSON body must repeat the tenant's id "
            f'({{"confirm_tenant": "<tenant>"}}) to delete tenant {tenant!r}; this cannot be '
            "undone, export the tenant first"
        )
    _known(tenant)
    counts = delete(current(), _trail(), tenant, actor="admin")
    return jsonify(tenant=tenant, deleted=counts)
