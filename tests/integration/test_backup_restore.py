"""``attune backup`` and ``attune restore`` against a real ``attune serve`` and a real
``attune gateway``: a backup taken while they run is a consistent snapshot that a new engine
serves; restore refuses a data directory in use, and one holding databases unless
``--replace`` (which moves them aside, never deletes)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import grpc
import pytest

from attune.backup.sqlite_backup import MANIFEST, BackupError, read_manifest
from attune.engine.v1 import course_pb2, course_pb2_grpc, learner_pb2, learner_pb2_grpc
from tests.support.serve_proc import NO_DKT, TOKEN_META, attune_env, start_engine, start_gateway

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _attune(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "attune", *args],
        capture_output=True,
        text=True,
        env=attune_env(NO_DKT),
        timeout=60,
    )


def _record(target: str, event_id: str) -> learner_pb2.RecordResponseResponse:
    with grpc.insecure_channel(target) as ch:
        course = course_pb2_grpc.CourseServiceStub(ch).GetCourse(
            course_pb2.GetCourseRequest(course_id="demo"), metadata=TOKEN_META, timeout=10
        )
        request = learner_pb2.RecordResponseRequest(
            event_id=event_id,
            learner_id="lrn-backup",
            course_id="demo",
            item_id=course.course.items[0].item_id,
            correct=True,
        )
        reply: learner_pb2.RecordResponseResponse = learner_pb2_grpc.LearnerServiceStub(
            ch
        ).RecordResponse(request, metadata=TOKEN_META, timeout=10)
    return reply


def test_backup_while_serving_then_restore_into_a_new_engine(tmp_path: Path) -> None:
    live, out = tmp_path / "live", tmp_path / "backup"
    engine = start_engine(live, env=NO_DKT)
    try:
        assert not _record(engine.target, "before-backup").duplicate
        taken = _attune("backup", "--data-dir", str(live), "--out", str(out))
        assert taken.returncode == 0, taken.stderr
        files = {f["name"] for f in json.loads(taken.stdout)["files"]}
        assert {"attune.db", "gateway.db"} <= files
        assert read_manifest(out)["files"]  # sizes, digests and integrity check hold
        assert not _record(engine.target, "after-backup").duplicate

        refused = _attune("restore", "--from", str(out), "--data-dir", str(live), "--replace")
        assert refused.returncode == 2
        assert f"attune restore: {live} is in use" in refused.stderr
        assert "Traceback" not in refused.stderr
    finally:
        assert engine.terminate() == 0, "\n".join(engine.log_tail)

    fresh = tmp_path / "fresh"
    put = _attune("restore", "--from", str(out), "--data-dir", str(fresh))
    assert put.returncode == 0, put.stderr
    restored = start_engine(fresh, env=NO_DKT)
    try:
        # The event before the backup is there (a retry is a duplicate); the one after is not.
        assert _record(restored.target, "before-backup").duplicate
        assert not _record(restored.target, "after-backup").duplicate
    finally:
        assert restored.terminate() == 0, "\n".join(restored.log_tail)


def test_restore_over_existing_databases_needs_replace_and_keeps_them(tmp_path: Path) -> None:
    live, out = tmp_path / "live", tmp_path / "backup"
    engine = start_engine(live, env=NO_DKT)
    try:
        _record(engine.target, "e1")
        assert _attune("backup", "--data-dir", str(live), "--out", str(out)).returncode == 0
    finally:
        assert engine.terminate() == 0
    before = (live / "attune.db").read_bytes()

    refused = _attune("restore", "--from", str(out), "--data-dir", str(live))
    assert refused.returncode == 2
    assert "already holds attune.db" in refused.stderr and "--replace" in refused.stderr
    assert (live / "attune.db").read_bytes() == before  # nothing changed

    done = _attune("restore", "--from", str(out), "--data-dir", str(live), "--replace")
    assert done.returncode == 0, done.stderr
    aside = [p for p in live.iterdir() if p.name.startswith("pre-restore-")]
    assert len(aside) == 1 and (aside[0] / "attune.db").read_bytes() == before


def test_restore_refuses_a_gateway_data_dir_in_use(tmp_path: Path) -> None:
    engine = start_engine(tmp_path / "engine", "--no-gateway", env=NO_DKT)
    gateway = start_gateway(engine.target, tmp_path / "gw", env=NO_DKT)
    out = tmp_path / "backup"
    try:
        taken = _attune("backup", "--data-dir", str(tmp_path / "gw"), "--out", str(out))
        assert taken.returncode == 0, taken.stderr
        refused = _attune(
            "restore", "--from", str(out), "--data-dir", str(tmp_path / "gw"), "--replace"
        )
        assert refused.returncode == 2
        assert "(gateway.db, audit.db open in a running process)" in refused.stderr
    finally:
        assert gateway.terminate() == 0
        assert engine.terminate() == 0
    done = _attune("restore", "--from", str(out), "--data-dir", str(tmp_path / "gw"), "--replace")
    assert done.returncode == 0, done.stderr


def test_a_tampered_backup_is_refused_naming_the_file(tmp_path: Path) -> None:
    import sqlite3

    data, out = tmp_path / "data", tmp_path / "backup"
    data.mkdir()
    conn = sqlite3.connect(data / "audit.db")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    conn.close()
    assert _attune("backup", "--data-dir", str(data), "--out", str(out)).returncode == 0
    with open(out / "audit.db", "r+b") as f:
        f.seek(200)
        f.write(b"\xff")
    with pytest.raises(BackupError, match=r"audit\.db does not match its SHA-256"):
        read_manifest(out)
    refused = _attune("restore", "--from", str(out), "--data-dir", str(tmp_path / "new"))
    assert refused.returncode == 2 and "SHA-256" in refused.stderr
    assert not (tmp_path / "new" / "audit.db").exists()

    for bad in ("{}", "[1]", '{"format": 1, "files": [7]}'):
        (out / MANIFEST).write_text(bad)
        refused = _attune("restore", "--from", str(out), "--data-dir", str(tmp_path / "new"))
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, bad
        assert "manifest" in refused.stderr
    (tmp_path / "a-file").write_text("x")
    (out / MANIFEST).unlink()
    assert _attune("backup", "--data-dir", str(data), "--out", str(out)).returncode == 2
    shutil.rmtree(out)
    assert _attune("backup", "--data-dir", str(data), "--out", str(out)).returncode == 0
    into_a_file = _attune("restore", "--from", str(out), "--data-dir", str(tmp_path / "a-file"))
    assert into_a_file.returncode == 2 and "Traceback" not in into_a_file.stderr
    assert "a-file" in into_a_file.stderr


def test_backup_refuses_an_empty_data_dir_and_a_used_out_dir(tmp_path: Path) -> None:
    empty = _attune("backup", "--data-dir", str(tmp_path), "--out", str(tmp_path / "b"))
    assert empty.returncode == 2 and f"no embedded store in {tmp_path}" in empty.stderr
    (tmp_path / "gateway.db").write_bytes(b"")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    used = _attune("backup", "--data-dir", str(tmp_path), "--out", str(tmp_path / "used"))
    assert used.returncode == 2 and "is not an empty directory" in used.stderr
