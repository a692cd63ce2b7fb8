"""DKT data preparation: next-step targets, windows, padding masks, learner splits; and the
CLI's refusal of bad input."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from attune.models.datasets import KtSequence
from attune.models.dkt.data import (
    DatasetNotFoundError,
    build_skill_index,
    pad,
    resolve_dataset,
    sha256_files,
    split_learners,
    to_steps,
)

INDEX = {5: 0, 7: 1, 9: 2}  # three skills: interaction = index + 3 * correct


def seq(learner: int, skills: list[int], correct: list[int]) -> KtSequence:
    return KtSequence(learner, tuple(skills), tuple(correct))


def test_steps_read_each_response_and_target_the_next() -> None:
    [steps] = to_steps([seq(0, [5, 7, 9, 5], [1, 0, 1, 0])], INDEX)
    assert steps.interaction.tolist() == [0 + 3, 1 + 0, 2 + 3]  # responses 0..2
    assert steps.next_skill.tolist() == [1, 2, 0]  # skills of responses 1..3
    assert steps.next_correct.tolist() == [0.0, 1.0, 0.0]
    assert steps.interaction.dtype == np.int64 and steps.next_correct.dtype == np.float32


def test_a_single_response_gives_no_step() -> None:
    assert to_steps([seq(0, [5], [1])], INDEX) == []


def test_windows_keep_every_target_once_and_the_preceding_input() -> None:
    skills = [5, 7, 9, 5, 7, 9, 5, 7, 9, 5, 7]
    correct = [1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
    [whole] = to_steps([seq(0, skills, correct)], INDEX)
    pieces = to_steps([seq(0, skills, correct)], INDEX, window=4)
    assert [len(p) for p in pieces] == [4, 4, 2]
    assert np.concatenate([p.next_skill for p in pieces]).tolist() == whole.next_skill.tolist()
    assert np.concatenate([p.interaction for p in pieces]).tolist() == whole.interaction.tolist()
    assert np.concatenate([p.next_correct for p in pieces]).tolist() == whole.next_correct.tolist()


@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from([5, 7, 9]), st.integers(0, 1)), min_size=1, max_size=40),
        min_size=1,
        max_size=8,
    ),
    st.integers(1, 12),
)
def test_windowing_never_loses_or_duplicates_a_target(
    learners: list[list[tuple[int, int]]], window: int
) -> None:
    seqs = [seq(n, [s for s, _ in r], [c for _, c in r]) for n, r in enumerate(learners)]
    pieces = to_steps(seqs, INDEX, window=window)
    assert sum(len(p) for p in pieces) == sum(len(r) - 1 for r in learners)
    assert all(1 <= len(p) <= window for p in pieces)
    targets = [c for r in learners for _, c in r[1:]]
    assert np.concatenate([p.next_correct for p in pieces] or [np.zeros(0)]).tolist() == targets


def test_padding_is_masked_out_and_real_steps_are_not() -> None:
    steps = to_steps([seq(0, [5, 7, 9, 5], [1, 1, 1, 1]), seq(1, [9, 9], [0, 1])], INDEX)
    batch = pad(steps)
    assert tuple(batch.interaction.shape) == (2, 3)
    assert batch.mask.tolist() == [[True, True, True], [True, False, False]]
    assert batch.interaction[1].tolist() == [2, 0, 0]
    assert batch.next_correct[1].tolist() == [1.0, 0.0, 0.0]
    assert batch.next_skill.dtype == batch.interaction.dtype


def test_learner_split_is_disjoint_complete_and_seeded() -> None:
    seqs = [seq(n, [5, 7], [1, 0]) for n in range(100)]
    kept, held = split_learners(seqs, 0.2, seed=3)
    kept_ids, held_ids = {s.learner for s in kept}, {s.learner for s in held}
    assert not kept_ids & held_ids
    assert kept_ids | held_ids == set(range(100))
    assert len(held_ids) == 20
    again = split_learners(seqs, 0.2, seed=3)[1]
    assert [s.learner for s in again] == [s.learner for s in held]
    assert {s.learner for s in split_learners(seqs, 0.2, seed=4)[1]} != held_ids


def test_skill_index_covers_every_id_in_order() -> None:
    index = build_skill_index([seq(0, [9, 5], [1, 1])], [seq(1, [7, 9], [0, 0])])
    assert index == {5: 0, 7: 1, 9: 2}


def test_dataset_hash_changes_with_the_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("2\n1,2\n1,0\n")
    b.write_text("2\n1,2\n1,1\n")
    assert sha256_files([a]) != sha256_files([b])
    assert sha256_files([a]) == sha256_files([tmp_path / "a.csv"])
    assert len(sha256_files([a, b])) == 64


def test_an_unknown_dataset_is_named(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="no-such-set"):
        resolve_dataset("no-such-set", root=tmp_path)
    (tmp_path / "kt" / "half").mkdir(parents=True)
    (tmp_path / "kt" / "half" / "train.csv").write_text("")
    with pytest.raises(DatasetNotFoundError, match=r"test\.csv"):
        resolve_dataset("half", root=tmp_path)


# The CLI: bad input exits 2 with a message naming it, and the parser costs no torch.


def _parse(argv: list[str]) -> argparse.Namespace:
    from attune.models.dkt import cli

    parser = argparse.ArgumentParser(prog="attune models")
    cli.register(parser.add_subparsers(dest="models_command"))
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["train-dkt", "--dataset", "no-such-set"], "no-such-set"),
        (["evaluate", "--dataset", "/nowhere/at/all"], "/nowhere/at/all"),
        (["train-demo-dkt", "--learners", "3"], "--learners"),
        (["train-dkt", "--dataset", "assist2009_dedup", "--hidden", "0"], "--hidden"),
        (["train-dkt", "--dataset", "assist2009_dedup", "--epochs", "0"], "--epochs"),
    ],
)
def test_cli_bad_input_exits_2_naming_it(
    argv: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from attune.models.dkt import cli

    assert cli.run(_parse(argv)) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err


def test_cli_refuses_a_bad_artifact_name_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from attune.models.dkt import cli

    folder = tmp_path / "tiny"
    folder.mkdir()
    for part in ("train.csv", "test.csv"):
        (folder / part).write_text("2\n1,2\n1,0\n")
    args = _parse(["train-dkt", "--dataset", str(folder), "--name", "Bad Name"])
    assert cli.run(args) == 2
    assert "manifest.name" in capsys.readouterr().err


def test_building_the_cli_does_not_import_torch() -> None:
    code = (
        "import argparse, sys\n"
        "from attune.models.dkt import cli\n"
        "p = argparse.ArgumentParser()\n"
        "cli.register(p.add_subparsers(dest='models_command'))\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
