"""fit(on_step=...): a report after every optimizer step, and a way to stop the run."""

from __future__ import annotations

import numpy as np
import pytest

from convolab import data, models
from convolab.train import fit, load_checkpoint


def _ds():
    return data.shapes1d(48, length=48, seed=0)


def test_on_step_reports_every_step_with_running_means():
    seen = []
    h = fit(models.detector1d(24, length=48), _ds(), epochs=2, batch_size=16, lr=0.05,
            on_step=lambda s: seen.append(dict(s)))  # fmt: skip
    assert [(s["epoch"], s["step"]) for s in seen] == [(e, k) for e in (1, 2) for k in (1, 2, 3)]
    assert [s["samples"] for s in seen[:3]] == [16, 32, 48]
    # the last step's running means are the epoch's own metrics
    for epoch in h.epochs:
        last = [s for s in seen if s["epoch"] == epoch["epoch"]][-1]
        assert last["loss"] == pytest.approx(epoch["loss"])
        assert last["accuracy"] == pytest.approx(epoch["accuracy"])
    assert not h.interrupted


def test_returning_true_stops_after_that_step(tmp_path):
    steps = []

    def stop_at_four(s):
        steps.append(s["step"])
        return len(steps) == 4

    h = fit(models.detector1d(24, length=48), _ds(), _ds(), epochs=5, batch_size=16, lr=0.05,
            on_step=stop_at_four, out=tmp_path)  # fmt: skip
    assert len(steps) == 4 and h.interrupted
    assert [e["epoch"] for e in h.epochs] == [1, 2]  # epoch 2 ended after its first step
    assert "val_accuracy" in h.epochs[-1]
    assert load_checkpoint(tmp_path)["history"].interrupted


def test_without_on_step_the_history_is_unchanged():
    h = fit(models.detector1d(24, length=48), _ds(), epochs=1, batch_size=16, lr=0.05)
    assert not h.interrupted and np.isfinite(h.epochs[0]["loss"])
