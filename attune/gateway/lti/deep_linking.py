"""Deep Linking 2.0: an instructor picks an adaptive activity (a course, or some of its skills)
and the tool answers with one ``ltiResourceLink`` carrying a line item (DL 2.0 §3.4, §4.1).

The activity is stored first, so the link's ``custom.activity_id`` resolves at launch. The
response JWT is signed by pylti1p3's DeepLink with the tool's current key; the auto-submit form
is built here, with the return URL escaped (pylti1p3 pastes it into HTML unescaped).
"""

from __future__ import annotations

import uuid
from html import escape

from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from attune.gateway.grades.grade import SCORE_MAXIMUM
from attune.gateway.lti.advantage import TAG
from attune.gateway.lti.tool_conf import AttuneRegistration
from attune.gateway.ports import Activity, ActivityStore
from attune.gateway.sessions import LaunchSession


def create_activity(
    activities: ActivityStore,
    session: LaunchSession,
    course_id: str,
    title: str,
    skill_ids: tuple[str, ...],
) -> Activity:
    """Store a new activity for the instructor's choice."""
    activity = Activity(session.tenant, str(uuid.uuid4()), course_id, title, skill_ids)
    activities.put_activity(activity)
    return activity


def response_form(
    session: LaunchSession, registration: AttuneRegistration, activity: Activity, launch_url: str
) -> str:
    """The HTML page that posts the signed LtiDeepLinkingResponse back to the platform."""
    line_item = (
        LineItem()
        .set_score_maximum(SCORE_MAXIMUM)
        .set_label(activity.title)
        .set_resource_id(activity.activity_id)
        .set_tag(TAG)
    )
    resource = (
        DeepLinkResource()
        .set_url(launch_url)
        .set_title(activity.title)
        .set_custom_params({"activity_id": activity.activity_id})
        .set_lineitem(line_item)
    )
    settings = session.deep_link
    link = DeepLink(registration, session.deployment_id, settings)  # type: ignore[arg-type]
    token = link.get_response_jwt([resource])
    url = escape(str(settings["deep_link_return_url"]), quote=True)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<title>Returning to your course</title></head><body>"
        f'<form id=dl action="{url}" method=post>'
        f'<input type="hidden" name="JWT" value="{escape(token, quote=True)}">'
        "<noscript><button type=submit>Return to the course</button></noscript></form>"
        "<script>document.getElementById('dl').submit()</script></body></html>"
    )
