"""Course content through the real stack (issue 13): ``attune serve`` on the embedded store,
the admin import API and ``attune content import``, the practice page for every item type,
hints as evidence, unscored answers, resources, media, the deep-link picker and the
instructor's preview; then one import and answer on a gateway over Redis."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import re
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from attune.content.model import ContentItem, CoursePackage, Resource, TextAnswer
from attune.engine.v1 import course_pb2
from tests.support.content_courses import (
    SVG,
    TENANT,
    TYPE_CASES,
    Learner,
    TypeCase,
    course,
    engine_course,
    engine_events,
    imported,
    learner_state,
    media_item,
    one_item_course,
    put_engine_course,
    result,
    skill,
    status,
    stem_item,
    tiny_png,
    upload,
    zipped,
)
from tests.support.gateway_stack import Stack, data, running_stack, token_of
from tests.support.lti_platform import PlatformEmulator
from tests.support.lti_platform_spec import MESSAGE_DEEP_LINKING, ROLE_INSTRUCTOR, ROLE_LEARNER
from tests.support.redis_server import RedisServer
from tests.support.serve_proc import attune_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DATA = Path(__file__).parent.parent / "data"
_IMG = re.compile(r'<img[^>]*\ssrc="([^"]+)"')


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("content-stack")) as s:
        yield s


# -- 1. import, practise, re-import ---------------------------------------------------------


def _flow_v1() -> CoursePackage:
    skills = (skill("s-one", "One"), skill("s-two", "Two"), skill("s-three", "Three"))
    items = (
        stem_item("q1", ("s-one",)),
        stem_item("q2", ("s-two",)),
        stem_item("q3", ("s-three",)),
        stem_item("q4", ("s-one",)),
    )
    return course("flow", skills, items)


def _flow_v2(v1: CoursePackage) -> CoursePackage:
    q1, q2, q3, _ = v1.items
    skills = (*v1.skills[:2], dataclasses.replace(v1.skills[2], name="Three, renamed"))
    changed = dataclasses.replace(q2, stem_html="<p>Question q2, reworded: 1 + 3?</p>")
    items = (q1, changed, q3, stem_item("q5", ("s-two",)))
    return dataclasses.replace(v1, version="2", skills=skills, items=items)


def test_import_practise_and_reimport_keeps_progress_and_reports_the_change(
    stack: Stack,
) -> None:
    v1 = _flow_v1()
    dry = imported(stack, v1, dry_run=True)
    assert dry["dry_run"] and dry["report"]["new_course"]
    assert status(stack, "flow").status_code == 404  # the dry run changed nothing

    first = imported(stack, v1)
    report = first["report"]
    assert report["new_course"] and not first["dry_run"]
    assert report["skills_added"] == ["s-one", "s-two", "s-three"]
    assert report["items_added"] == ["q1", "q2", "q3", "q4"]
    assert status(stack, "flow").json()["digest"] == first["digest"]

    # Practise (right and wrong by turns) until every skill has an answer.
    skill_of = {i.item_id: i.skill_ids[0] for i in v1.items}
    learner = Learner.start(stack, "flow")
    answered: set[str] = set()
    for n in range(12):
        answered.add(skill_of[data(learner.page, "item")])
        assert result(learner.answer("4" if n % 2 == 0 else "5")) in ("right", "wrong")
        if len(answered) == len(v1.skills):
            break
        learner.refresh()
    learner_id = learner.learner_id()
    before = learner.progress(learner_id)
    assert all(row["p_mastery"] != 0.2 for row in before.values()), before

    v2 = _flow_v2(v1)
    preview = imported(stack, v2, dry_run=True)
    assert status(stack, "flow").json()["digest"] == first["digest"]
    second = imported(stack, v2)
    assert preview["report"] == second["report"] and preview["digest"] == second["digest"]
    report = second["report"]
    assert not report["new_course"]
    assert report["items_removed"] == ["q4"]
    assert report["items_added"] == ["q5"]
    assert report["items_changed"] == ["q2"]
    assert report["items_unchanged"] == 2
    assert report["skills_changed"] == ["s-three"]
    assert report["skills_added"] == [] and report["skills_removed"] == []

    after = learner.progress(learner_id)
    assert after.keys() == before.keys()
    for skill_id, row in before.items():
        assert after[skill_id]["p_mastery"] == row["p_mastery"], skill_id
        assert after[skill_id]["status"] == row["status"], skill_id
    assert after["s-three"]["name"] == "Three, renamed"
    current = status(stack, "flow").json()
    assert current["digest"] == second["digest"] and current["version"] == "2"
    assert [i["digest"] for i in current["imports"]] == [second["digest"], first["digest"]]
    assert {i.item_id for i in engine_course(stack, "flow").items} == {"q1", "q2", "q3", "q5"}


def test_a_question_whose_item_a_reimport_removed_gives_way_to_another(stack: Stack) -> None:
    v1 = course("shifting", (skill("s"),), (stem_item("old-item"),))
    imported(stack, v1)
    learner = Learner.start(stack, "shifting")
    assert data(learner.page, "item") == "old-item"  # now pending for this learner
    imported(stack, dataclasses.replace(v1, version="2", items=(stem_item("new-item"),)))
    learner.refresh()
    assert data(learner.page, "item") == "new-item"
    assert result(learner.answer("4")) == "right"


# -- 2. packages with problems ----------------------------------------------------------------


def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def test_a_package_with_problems_is_refused_with_every_problem_located(stack: Stack) -> None:
    good = one_item_course("kept", stem_item("k1"))
    digest = imported(stack, good)["digest"]
    engine_before = engine_course(stack, "kept")

    broken = upload(stack, _zip_folder(DATA / "packages" / "broken"), filename="broken.zip")
    assert broken.status_code == 422, broken.text
    problems = broken.json()["problems"]
    assert len(problems) >= 5
    assert any(p.startswith("course.yaml: ") and "cycle" in p for p in problems), problems
    assert any(p.startswith("items/items.yaml: ") and "ghost" in p for p in problems), problems
    assert status(stack, "broken").status_code == 404

    moodle = upload(
        stack, (DATA / "moodle" / "quiz.xml").read_bytes(), filename="quiz.xml", course_id="kept"
    )
    assert moodle.status_code == 422, moodle.text
    assert any(
        p.startswith("quiz.xml: question 9 (Broken fraction): answer[1]/@fraction")
        for p in moodle.json()["problems"]
    ), moodle.json()
    assert moodle.json()["skipped"]  # the unsupported questions are listed too

    # A new version of the same course that tags an item with an unknown skill.
    bad_version = dataclasses.replace(good, version="2", items=(stem_item("k1", ("nowhere",)),))
    refused = upload(stack, zipped(bad_version), format="package", filename="kept.zip")
    assert refused.status_code == 422
    assert any("nowhere" in p and "item k1" in p for p in refused.json()["problems"])

    after = status(stack, "kept").json()
    assert after["digest"] == digest and after["version"] == "1"
    assert len(after["imports"]) == 1
    assert engine_course(stack, "kept") == engine_before


# -- 3. media ---------------------------------------------------------------------------------


def test_media_of_a_rendered_stem_is_served_immutable_and_per_tenant(stack: Stack) -> None:
    png = tiny_png()
    item = media_item("pic", ("media/dot.png", "image/png"), ("media/box.svg", "image/svg+xml"))
    files = {"media/dot.png": png, "media/box.svg": SVG}
    first = imported(stack, one_item_course("media", item, **files))
    page = Learner.start(stack, "media").page
    sources = _IMG.findall(page)
    png_sha, svg_sha = hashlib.sha256(png).hexdigest(), hashlib.sha256(SVG).hexdigest()
    assert sources == [f"/media/{TENANT}/{png_sha}", f"/media/{TENANT}/{svg_sha}"]

    served = requests.get(stack.url + sources[0], timeout=10)
    assert served.status_code == 200 and served.content == png
    assert served.headers["Content-Type"] == "image/png"
    assert "immutable" in served.headers["Cache-Control"]
    assert served.headers["ETag"] == f'"{png_sha}"'
    again = requests.get(
        stack.url + sources[0], headers={"If-None-Match": served.headers["ETag"]}, timeout=10
    )
    assert again.status_code == 304 and again.content == b""

    assert requests.get(f"{stack.url}/media/other/{png_sha}", timeout=10).status_code == 404
    for bad in ("zz" * 32, png_sha.upper(), png_sha[:-1], "..%2Fgateway.db"):
        assert requests.get(f"{stack.url}/media/{TENANT}/{bad}", timeout=10).status_code == 404

    svg = requests.get(stack.url + sources[1], timeout=10)
    assert svg.status_code == 200 and svg.content == SVG
    assert svg.headers["Content-Type"].split(";")[0] == "image/svg+xml"
    csp = svg.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp

    # The export is a package that imports back as the same version, media included.
    export = stack.admin("GET", f"/admin/tenants/{TENANT}/content/media/package")
    assert export.status_code == 200 and export.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        assert archive.read("media/dot.png") == png and archive.read("media/box.svg") == SVG
    again = upload(stack, export.content, format="package", filename="media.zip").json()
    assert again["digest"] == first["digest"] and not again["report"]["changed"]


# -- 4. every item type, right and wrong --------------------------------------------------


@pytest.fixture(scope="module")
def type_courses(stack: Stack) -> None:
    for case in TYPE_CASES:
        imported(stack, case.package)


def _assert_answered(case: TypeCase, page: str) -> None:
    assert 'id="worked-answer"' in page
    assert 'id="solution"' in page and f"Worked solution for {case.kind}." in page


@pytest.mark.parametrize("case", TYPE_CASES, ids=[c.kind for c in TYPE_CASES])
def test_every_item_type_is_shown_and_checked_right_and_wrong(
    stack: Stack, type_courses: None, case: TypeCase
) -> None:
    for answer in case.right:
        learner = Learner.start(stack, case.course_id)
        assert data(learner.page, "item") == case.item.item_id
        assert data(learner.page, "type") == case.kind
        assert 'id="solution"' not in learner.page  # only after answering
        page = learner.answer(*answer)
        assert result(page) == "right", (answer, page)
        _assert_answered(case, page)
        if case.right_feedback:
            assert 'id="feedback"' in page and case.right_feedback in page

    learner = Learner.start(stack, case.course_id)
    page = learner.answer(*case.wrong)
    assert result(page) == "wrong", page
    _assert_answered(case, page)
    if case.wrong_feedback:
        assert 'id="feedback"' in page and case.wrong_feedback in page
    for other in case.other_feedback:
        assert other not in page  # an option not chosen gives no feedback

    if case.partial:
        learner = Learner.start(stack, case.course_id)
        page = learner.answer(*case.partial)
        assert result(page) == "partial", page
        _assert_answered(case, page)


# -- 5. hints -------------------------------------------------------------------------------


def test_a_hint_is_shown_on_request_and_lowers_the_credit(stack: Stack) -> None:
    item = stem_item("hinted", hints_html=("<p>First hint: count.</p>", "<p>Second hint: add.</p>"))
    imported(stack, one_item_course("hints", item))

    hinted = Learner.start(stack, "hints")
    assert 'id="hints"' in hinted.page and "First hint" not in hinted.page
    shown = hinted.hint()
    assert shown.status_code == 200 and shown.url.endswith(f"/practice/{hinted.token}#hints")
    hinted.page = shown.text
    assert "First hint: count." in hinted.page and "Second hint" not in hinted.page
    assert 'id="hint"' in hinted.page  # a second hint is still on offer
    page = hinted.answer("4")
    assert result(page) == "right" and 'id="hint-credit"' in page

    plain = Learner.start(stack, "hints")
    page = plain.answer("4")
    assert result(page) == "right" and 'id="hint-credit"' not in page

    p_hinted = hinted.progress(hinted.learner_id())["s"]["p_mastery"]
    p_plain = plain.progress(plain.learner_id())["s"]["p_mastery"]
    assert 0.2 < p_hinted < p_plain

    assert hinted.hint(hinted.last_event).status_code == 400  # already answered
    hinted.refresh()
    assert hinted.hint("not-the-pending-event").status_code == 400


# -- 6. unscored answers ----------------------------------------------------------------------


def test_an_unscored_answer_is_not_recorded_and_is_listed_for_operators(stack: Stack) -> None:
    essay = ContentItem("essay-1", "extended_text", "<p>Why is the sky blue?</p>", ("s",))
    imported(stack, one_item_course("essays", essay))
    before = len(engine_events(stack))
    learner = Learner.start(stack, "essays")
    page = learner.answer("Because of Rayleigh scattering.")
    assert result(page) == "unscored"
    assert len(engine_events(stack)) == before
    [record] = status(stack, "essays").json()["unscored"]
    assert record["item_id"] == "essay-1" and record["event_id"] == learner.last_event
    assert learner_state(stack, record["learner_id"], "essays") is None
    progress = learner.progress(record["learner_id"])
    assert progress["s"]["p_mastery"] == 0.2  # still the prior


# -- 7. resources ---------------------------------------------------------------------------


def test_two_wrong_answers_in_a_row_offer_the_skills_resources(stack: Stack) -> None:
    link = Resource("Adding, slowly", "https://example.org/adding", "video")
    package = course("resources", (skill("s", "Adding", resources=(link,)),), (stem_item("r1"),))
    imported(stack, package)
    learner = Learner.start(stack, "resources")
    # A new course starts with the diagnostic, whose picks name no gap: the first wrong
    # answer alone offers nothing, the second in a row does.
    first = learner.answer("5")
    assert result(first) == "wrong" and 'id="resources"' not in first
    learner.refresh()
    second = learner.answer("6")
    assert result(second) == "wrong" and 'id="resources"' in second
    assert 'href="https://example.org/adding"' in second and "Adding, slowly" in second


# -- 8. the command line --------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = attune_env()
    env.pop("ATTUNE_GATEWAY__ADMIN_TOKEN", None)  # the gateway's development default
    return subprocess.run(
        [sys.executable, "-m", "attune", "content", "import", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_import_command_uploads_reports_and_exits_by_outcome(stack: Stack) -> None:
    valid = str(DATA / "packages" / "valid")
    dry = _cli(valid, "--gateway", stack.url, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would import fractions-101 version 1.0" in dry.stdout
    assert status(stack, "fractions-101").status_code == 404

    done = _cli(valid, "--gateway", stack.url)
    assert done.returncode == 0, done.stderr
    assert "imported fractions-101 version 1.0" in done.stdout
    digest = status(stack, "fractions-101").json()["digest"]
    assert digest and f"({digest})" in done.stdout

    broken = _cli(str(DATA / "packages" / "broken"), "--gateway", stack.url)
    assert broken.returncode == 1
    assert "course.yaml: " in broken.stdout and "items/items.yaml: item i-1" in broken.stdout
    assert "nothing imported" in broken.stderr

    away = _cli(valid, "--gateway", f"http://127.0.0.1:{_closed_port()}")
    assert away.returncode == 2 and "cannot reach the gateway" in away.stderr


# -- 9. the deep-link picker and the instructor's preview ----------------------------------


@pytest.fixture
def lms(stack: Stack) -> Iterator[PlatformEmulator]:
    with PlatformEmulator() as platform:
        stack.connect(platform)
        yield platform


def test_the_picker_hides_unrenderable_courses_and_instructors_preview_items(
    stack: Stack, lms: PlatformEmulator
) -> None:
    item = stem_item(
        "previewed",
        hints_html=("<p>Hint one.</p>", "<p>Hint two.</p>"),
        solution_html="<p>Two and two make four.</p>",
    )
    imported(stack, one_item_course("previews", item))
    raw = course_pb2.Course(course_id="raw-urls", title="Raw URLs")
    raw.skills.add(skill_id="s", name="S")
    raw.items.add(item_id="x", skill_ids=["s"], content="https://example.org/x")
    put_engine_course(stack, raw)

    http = requests.Session()
    picker = lms.launch(http, message_type=MESSAGE_DEEP_LINKING, roles=[ROLE_INSTRUCTOR])
    assert picker.status_code == 200, picker.text
    offered = set(re.findall(r'name="course_id" value="([^"]+)"', picker.text))
    assert "previews" in offered and "raw-urls" not in offered
    assert re.search(r'id="hidden-courses">1 course ', picker.text), picker.text
    refused = http.post(
        f"{stack.url}/lti/deep-link/{token_of(picker)}", data={"course_id": "raw-urls"}, timeout=10
    )
    assert refused.status_code == 400 and "cannot show" in refused.text

    teacher = lms.launch(
        http, sub="teacher-preview", roles=[ROLE_INSTRUCTOR], custom={"course_id": "previews"}
    )
    assert "/instructor/" in teacher.url
    token = token_of(teacher)
    listing = http.get(f"{stack.url}/instructor/{token}/items", timeout=10)
    assert listing.status_code == 200 and 'data-item="previewed"' in listing.text
    preview = http.get(f"{stack.url}/instructor/{token}/items/previewed", timeout=10)
    assert preview.status_code == 200
    assert re.search(r'id="worked-answer">\s*4\s*<', preview.text), preview.text
    for shown in ("Hint one.", "Hint two.", "Two and two make four.", "Question previewed"):
        assert shown in preview.text

    student = lms.launch(
        http, sub="student-preview", roles=[ROLE_LEARNER], custom={"course_id": "previews"}
    )
    assert "/practice/" in student.url
    for path in ("items", "items/previewed"):
        denied = http.get(f"{stack.url}/instructor/{token_of(student)}/{path}", timeout=10)
        assert denied.status_code == 403


# -- 10. the Redis store ----------------------------------------------------------------------


def test_import_practice_and_media_on_the_redis_store(
    redis_standalone: RedisServer, tmp_path: Path
) -> None:
    redis_standalone.flush()
    png = tiny_png()
    item = media_item("red", ("media/dot.png", "image/png"))
    package = one_item_course("on-redis", item, **{"media/dot.png": png})
    env = {"ATTUNE_GATEWAY__STORE_URL": redis_standalone.url}
    with running_stack(tmp_path, env=env) as redis_stack:
        body = imported(redis_stack, package)
        learner = Learner.start(redis_stack, "on-redis")
        [source] = _IMG.findall(learner.page)
        assert result(learner.answer("4")) == "right"
        served = requests.get(redis_stack.url + source, timeout=10)
        assert served.status_code == 200 and served.content == png
        assert status(redis_stack, "on-redis").json()["digest"] == body["digest"]
    # The content lives in Redis, under the tenant's keys.
    keys = [str(k) for k in redis_standalone.client().scan_iter("*content*")]
    assert any("media" in k for k in keys) and any("version" in k for k in keys)


def test_text_answers_are_case_insensitive_unless_asked(stack: Stack) -> None:
    strict = stem_item(
        "strict",
        type="text_entry",
        numeric_answers=(),
        text_answers=(TextAnswer("Paris", case_sensitive=True),),
    )
    imported(stack, one_item_course("strict-case", strict))
    assert result(Learner.start(stack, "strict-case").answer("paris")) == "wrong"
    assert result(Learner.start(stack, "strict-case").answer("Paris")) == "right"
