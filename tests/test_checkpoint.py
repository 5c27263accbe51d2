"""When checkpoints are written (harness.checkpoint.Checkpointer), with a fake clock and model."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checkpoint import Checkpointer
from harness.errors import ResultsError


class FakeModel:
    """Stands in for a Keras model: save_weights writes a small file, or fails."""

    def __init__(self, fail: bool = False):
        self.fail = fail

    def save_weights(self, path):
        if self.fail:
            raise OSError(28, "No space left on device")
        Path(path).write_bytes(b"weights")


def fake_clock(write_s: float):
    """A clock under which every checkpoint takes ``write_s`` seconds to write."""
    ticks = iter(range(10_000))
    return lambda: next(ticks) % 2 * write_s  # 0 before the write, write_s after it


def run_epochs(checkpointer: Checkpointer, epoch_times: list[float], model=None) -> list:
    """Finish one epoch per time; return the checkpoint epoch each run file named."""
    named = []
    for done, seconds in enumerate(epoch_times, start=1):
        checkpointer.after_epoch(model or FakeModel(), done, seconds, named.append)
    return named


def checkpoints(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_short_epochs_are_checkpointed_as_one_percent_of_training_time_allows(tmp_path):
    # 20 ms per checkpoint and 0.5 s epochs: after epoch 1, then once 2 s have passed.
    checkpointer = Checkpointer(tmp_path, "r", clock=fake_clock(0.02))
    named = run_epochs(checkpointer, [0.5] * 9)
    assert named == [1, 1, 1, 1, 5, 5, 5, 5, 9]
    assert checkpoints(tmp_path) == ["r.epoch9.weights.h5"]  # the ones before are deleted
    assert checkpointer.written_s == [0.02, 0.02, 0.02]


def test_full_epochs_are_each_checkpointed(tmp_path):
    # A full epoch on this CPU (9-30 s) is more than 100 checkpoint writes.
    named = run_epochs(Checkpointer(tmp_path, "r", clock=fake_clock(0.02)), [9.0] * 4)
    assert named == [1, 2, 3, 4]
    assert checkpoints(tmp_path) == ["r.epoch4.weights.h5"]


def test_every_epoch_checkpoints_each_short_epoch(tmp_path):
    checkpointer = Checkpointer(tmp_path, "r", every_epoch=True, clock=fake_clock(0.02))
    assert run_epochs(checkpointer, [0.01] * 3) == [1, 2, 3]
    assert checkpoints(tmp_path) == ["r.epoch3.weights.h5"]


def test_a_resumed_run_checkpoints_its_first_epoch_and_drops_the_old_checkpoint(tmp_path):
    (tmp_path / "r.epoch3.weights.h5").write_bytes(b"old")
    checkpointer = Checkpointer(tmp_path, "r", epoch=3, clock=fake_clock(0.02))
    checkpointer.after_epoch(FakeModel(), 4, 0.5, lambda epoch: None)
    assert checkpoints(tmp_path) == ["r.epoch4.weights.h5"]
    checkpointer.drop()  # the run completed
    assert checkpoints(tmp_path) == [] and checkpointer.epoch is None


def test_a_checkpoint_that_cannot_be_written_leaves_the_run_file_and_old_checkpoint(tmp_path):
    checkpointer = Checkpointer(tmp_path, "r", every_epoch=True, clock=fake_clock(0.02))
    named = run_epochs(checkpointer, [0.5])
    with pytest.raises(ResultsError, match=r"r\.epoch2\.weights\.h5: cannot write the "
                                           r"checkpoint \(No space left on device\)"):
        checkpointer.after_epoch(FakeModel(fail=True), 2, 0.5, named.append)
    assert named == [1] and checkpointer.epoch == 1  # the run file still names epoch 1
    assert checkpoints(tmp_path) == ["r.epoch1.weights.h5"]  # and no temp file is left
