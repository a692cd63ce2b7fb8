"""The type checker's view of the project is honest: it sees the generated stubs (messages and
grpc), and strictness applies where pyproject.toml says, not everywhere by accident."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mypy.config_parser import parse_config_file
from mypy.options import Options

ROOT = Path(__file__).resolve().parents[2]

# Each line that must fail is marked; the probe is checked with the project's own config.
PROBE = """\
from attune.engine.v1 import learner_pb2, learner_pb2_grpc

reveal_type(learner_pb2.SkillState().status)
reveal_type(learner_pb2.RecordResponseResponse().event_id)
reveal_type(learner_pb2_grpc.LearnerServiceStub)
learner_pb2.SkillState(status=3)  # an int is not a SkillStatus


class Wrong(learner_pb2_grpc.LearnerServiceServicer):
    def Recommend(self, request: int, context: object) -> str:  # not the RPC's signature
        return ""
"""


def _mypy(probe: Path, cache: Path) -> str:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(cache),
            "--no-error-summary",
            str(probe),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout + done.stderr


def test_mypy_sees_the_generated_message_and_grpc_stubs(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    out = _mypy(probe, tmp_path / "cache")
    lines = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith(str(probe))]
    assert lines[0] == (
        'note: Revealed type is "attune.engine.v1.learner_pb2._SkillStatus.ValueType"'
    ), out
    assert lines[1] == 'note: Revealed type is "str"', out
    # The grpc stub is typed against grpc's own channel types, not Any.
    assert "def (channel: grpc.Channel) -> attune.engine.v1.learner_pb2_grpc" in lines[2], out
    errors = [line for line in out.splitlines() if ": error: " in line]
    assert any(f"{probe}:6: error:" in e and "[arg-type]" in e for e in errors), out
    assert any(f"{probe}:10: error:" in e and "[override]" in e for e in errors), out
    # ...and nothing else in the probe is an error.
    assert {e.split(":")[1] for e in errors} == {"6", "10"}, out


def _options() -> Options:
    options = Options()
    strict_everywhere: list[bool] = []
    parse_config_file(options, lambda: strict_everywhere.append(True), str(ROOT / "pyproject.toml"))
    assert strict_everywhere == [], "a `strict = true` in the config turns strict on for all"
    return options


def test_the_domain_is_strict_and_the_rest_keeps_the_typed_baseline() -> None:
    options = _options()
    domain = options.clone_for_module("attune.engine.domain.bkt")
    for flag in (
        "disallow_any_generics",
        "disallow_subclassing_any",
        "disallow_untyped_calls",
        "disallow_untyped_decorators",
        "disallow_untyped_defs",
        "warn_return_any",
        "strict_equality",
    ):
        assert getattr(domain, flag) is True, flag
    assert domain.implicit_reexport is False

    edge = options.clone_for_module("attune.gateway.lti.tool_conf")
    # Edges call untyped libraries (pylti1p3, waitress): only the core refuses that.
    assert edge.disallow_untyped_calls is False
    assert edge.disallow_subclassing_any is False
    assert edge.implicit_reexport is True
    for flag in ("disallow_untyped_defs", "disallow_incomplete_defs", "check_untyped_defs"):
        assert getattr(edge, flag) is True, flag
    assert edge.warn_unused_ignores is True


def test_generated_stubs_are_visible_but_never_checked() -> None:
    options = _options()
    assert options.clone_for_module("attune.engine.v1.learner_pb2").ignore_errors is True
    assert options.clone_for_module("attune.cli").ignore_errors is False
    assert options.clone_for_module("attune.engine.service").ignore_errors is False
    assert {"attune", "bench"} <= set(options.files or [])
    assert any("attune/engine/v1" in pattern for pattern in options.exclude)
