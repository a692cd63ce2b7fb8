"""A course's experiment report for tenant administrators (issue 15 part 5).

- ``GET /admin/tenants/<t>/courses/<course>/experiment`` (admin token): the engine's report
  (ExperimentService.GetExperimentReport) as JSON: per arm, time to mastery, premature
  mastery and retention with 95 % intervals, and each arm against the first.
- ``GET .../experiment.csv``: one row per arm, every figure a number.

404 for an unknown tenant, an unknown course or a course without an experiment.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify
from google.protobuf.json_format import MessageToDict

from attune.gateway.app import current
from attune.gateway.dashboard.csv_export import CSV_MEDIA_TYPE, csv_filename, to_csv
from attune.gateway.experiment_view import experiment_table
from attune.gateway.web.credentials import authorise_admin

experiment_admin = Blueprint("experiment_admin", __name__, url_prefix="/admin")
experiment_admin.before_request(authorise_admin)


@experiment_admin.get("/tenants/<tenant>/courses/<course_id>/experiment")
def experiment_report(tenant: str, course_id: str) -> Any:
    """The course's experiment report as JSON."""
    report = current().engine.experiment_report(tenant, course_id)
    return jsonify(
        MessageToDict(
            report, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
    )


@experiment_admin.get("/tenants/<tenant>/courses/<course_id>/experiment.csv")
def experiment_csv(tenant: str, course_id: str) -> Any:
    """The course's experiment report as CSV, one row per arm."""
    header, rows = experiment_table(current().engine.experiment_report(tenant, course_id))
    name = csv_filename(course_id, "experiment")
    return Response(
        to_csv(header, rows),
        mimetype=CSV_MEDIA_TYPE.split(";")[0],
        headers={
            "Content-Type": CSV_MEDIA_TYPE,
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
