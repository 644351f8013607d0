"""fit / evaluate / predict: learning, determinism, checkpoints, resume, early stopping."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import expit, softmax

from convolab import data, models, nn, train


@pytest.fixture(scope="module")
def shapes():
    return data.shapes1d(256, length=64, seed=0), data.shapes1d(128, length=64, seed=1)


def _fit(tmp=None, epochs=3, resume=None, seed=0, **kw):
    tr, va = kw.pop("data")
    model = models.detector1d(length=64, seed=0)
    hist = train.fit(model, tr, va, epochs=epochs, batch_size=32, lr=0.05, seed=seed, out=tmp,
                     resume=resume, progress=False, **kw)  # fmt: skip
    return model, hist


def test_detector_learns_the_shape(shapes):
    model, hist = _fit(data=shapes, epochs=6)
    assert hist.epochs[-1]["loss"] < hist.epochs[0]["loss"]
    assert hist.best >= 0.95 and hist.monitor == "val_accuracy"
    # Evaluate agrees with a direct count on the model's outputs.
    va = shapes[1]
    logits = model(va.x).data[:, 0]
    assert train.evaluate(model, va)["accuracy"] == pytest.approx(((logits > 0) == va.y).mean())


def test_same_seed_same_run_and_other_seed_differs(shapes):
    m1, h1 = _fit(data=shapes)
    m2, h2 = _fit(data=shapes)
    m3, h3 = _fit(data=shapes, seed=5)
    # Equal up to the order of float32 sums, which the engine may pick from the machine's load.
    losses = [e["loss"] for e in h1.epochs]
    np.testing.assert_allclose([e["loss"] for e in h2.epochs], losses, rtol=1e-6)
    for k, v in m1.state_dict().items():
        np.testing.assert_allclose(m2.state_dict()[k], v, rtol=1e-5, atol=1e-6)
    other = [e["loss"] for e in h3.epochs]
    assert np.abs(np.array(other) - losses).max() > 1e-4


def test_resume_continues_from_the_checkpoint_epoch(shapes, tmp_path):
    straight, h_straight = _fit(data=shapes, epochs=3)
    run = tmp_path / "run"
    _fit(tmp=run, data=shapes, epochs=1)
    saved = train.load_checkpoint(run)
    assert len(saved["history"].epochs) == 1
    resumed, h_resumed = _fit(tmp=run, data=shapes, epochs=3, resume=run)
    assert [e["epoch"] for e in h_resumed.epochs] == [1, 2, 3]
    # The same run as one that never stopped (bit for bit when the engine takes the same
    # paths; a restart without the optimizer state would be off by far more than 1e-6).
    np.testing.assert_allclose([e["loss"] for e in h_resumed.epochs],
                               [e["loss"] for e in h_straight.epochs], rtol=1e-6)  # fmt: skip
    for k, v in straight.state_dict().items():
        np.testing.assert_allclose(resumed.state_dict()[k], v, rtol=1e-5, atol=1e-6)
    assert json.loads((run / "metrics.json").read_text())["epochs"][2]["epoch"] == 3


def test_best_model_file_is_the_best_epoch(shapes, tmp_path):
    run = tmp_path / "run"
    _, hist = _fit(tmp=run, data=shapes, epochs=4, metadata={"note": "x"})
    info = nn.read_model_info(run / "model.npz")["metadata"]
    assert info["epoch"] == hist.best_epoch and info["note"] == "x"
    best = nn.load(run / "model.npz")
    assert train.evaluate(best, shapes[1])["accuracy"] == pytest.approx(hist.best)
    assert hist.best == max(e["val_accuracy"] for e in hist.epochs)
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.npz", "metrics.json", "model.npz"]


def test_early_stopping(shapes):
    model = models.detector1d(length=64)
    opt = nn.optim.SGD(list(model.parameters()), lr=1e-12)  # nothing can improve
    hist = train.fit(model, shapes[0], shapes[1], epochs=10, optimizer=opt, patience=2,
                     progress=False)  # fmt: skip
    assert hist.stopped_early and len(hist.epochs) == 3 and hist.best_epoch == 1


def test_without_out_the_model_ends_at_its_best_epoch(shapes):
    model = models.detector1d(length=64)
    hist = train.fit(model, shapes[0], shapes[1], epochs=3, lr=0.5, progress=False)
    assert train.evaluate(model, shapes[1])["accuracy"] == pytest.approx(hist.best)


def test_evaluate_confusion_against_a_count():
    net = nn.Sequential(nn.Linear(3, 3))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 3)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    logits = net(x).data
    pred = logits.argmax(1)
    r = train.evaluate(net, (x, y), batch_size=7)
    expected = [[int(((y == t) & (pred == p)).sum()) for p in range(3)] for t in range(3)]
    assert r["confusion"] == expected and r["n"] == 40
    assert r["accuracy"] == pytest.approx((pred == y).mean())
    assert r["per_class_accuracy"][1] == pytest.approx((pred[y == 1] == 1).mean())
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    assert r["loss"] == pytest.approx(-log_p[np.arange(40), y].mean(), rel=1e-5)


def test_predict_probabilities():
    net = nn.Sequential(nn.Linear(4, 5))
    x = np.random.default_rng(1).standard_normal((9, 4)).astype(np.float32)
    np.testing.assert_allclose(train.predict(net, x, batch_size=4), softmax(net(x).data, axis=1),
                               rtol=1e-5)  # fmt: skip
    det = models.detector1d(length=64)
    s = data.shapes1d(6, length=64).x
    p = expit(det(s).data[:, 0].astype(np.float64))
    np.testing.assert_allclose(train.predict(det, s), np.stack([1 - p, p], 1), rtol=1e-5)


def test_progress_bar_only_when_asked(shapes, capsys):
    _fit(data=shapes, epochs=1)
    assert capsys.readouterr().err == ""
    model = models.detector1d(length=64)
    train.fit(model, shapes[0], epochs=1, progress=True)
    err = capsys.readouterr().err
    assert "epoch 1" in err and "samples/s" in err


def test_errors(shapes, tmp_path):
    model = models.detector1d(length=64)
    with pytest.raises(ValueError, match="`epochs` must be an integer >= 1; got 0"):
        train.fit(model, shapes[0], epochs=0)
    with pytest.raises(ValueError, match="`optimizer` must be one of 'adam', 'sgd'; got 'rms'"):
        train.fit(model, shapes[0], optimizer="rms")
    with pytest.raises(TypeError, match="`train` must be an ArrayDataset"):
        train.fit(model, [1, 2])
    _fit(tmp=tmp_path / "run", data=shapes, epochs=1)
    other = models.cnn1d(length=64, num_classes=2)
    with pytest.raises(ValueError, match="does not fit this model"):
        train.fit(other, shapes[0], epochs=2, resume=tmp_path / "run", progress=False)
    (tmp_path / "bad.npz").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable training checkpoint"):
        train.load_checkpoint(tmp_path / "bad.npz")


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3])
def test_smoothed_loss_against_the_definition(eps):
    rng = np.random.default_rng(2)
    logits, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    target = np.full((6, 4), eps / 4)
    target[np.arange(6), y] += 1 - eps
    log_p = np.log(softmax(logits, axis=1))
    expected = -(target * log_p).sum(1).mean()
    t = nn.Tensor(logits, requires_grad=True)
    loss = train.smoothed_loss(eps)(t, y)
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()  # d/dlogits of the mean: (softmax - target) / N
    np.testing.assert_allclose(t.grad, (softmax(logits, axis=1) - target) / 6, atol=1e-12)
    # one logit: binary cross-entropy with targets y (1 - e) + e / 2
    z, yb = rng.standard_normal((5, 1)), rng.integers(0, 2, 5)
    tb = yb * (1 - eps) + eps / 2
    p = expit(z[:, 0])
    expected = -(tb * np.log(p) + (1 - tb) * np.log(1 - p)).mean()
    assert train.smoothed_loss(eps)(nn.Tensor(z), yb).item() == pytest.approx(expected, rel=1e-10)


def test_smoothed_loss_rejects_bad_values():
    with pytest.raises(ValueError, match="`label_smoothing`"):
        train.smoothed_loss(1.0)
    with pytest.raises(TypeError, match="`label_smoothing`"):
        train.smoothed_loss("0.1")


def test_a_run_folder_records_the_input_shape_of_any_model(shapes, tmp_path):
    tr, va = shapes
    model = nn.Sequential(nn.Conv1d(1, 2, 5), nn.MaxPool1d(60), nn.Flatten(), nn.Linear(2, 1))
    train.fit(model, tr, va, epochs=1, batch_size=64, seed=0, out=tmp_path, progress=False)
    info = nn.read_model_info(tmp_path / "model.npz")
    assert info["metadata"]["input_shape"] == list(tr.x.shape[1:]) == [1, 64]
    assert nn.load(tmp_path).input_shape == (1, 64)


def test_cosine_schedule_rates_per_epoch_and_on_resume(shapes, tmp_path):
    _, hist = _fit(data=shapes, epochs=4, lr_schedule="cosine")
    want = [0.05 * (1 + np.cos(np.pi * e / 4)) / 2 for e in range(4)]  # 0.05, 0.0427, ...
    np.testing.assert_allclose([e["lr"] for e in hist.epochs], want, rtol=1e-12)
    _, constant = _fit(data=shapes, epochs=2)
    assert [e["lr"] for e in constant.epochs] == [0.05, 0.05]
    run = tmp_path / "run"
    calls = []

    def stop_in_epoch_3(xb, rng):
        calls.append(1)
        if len(calls) > 2 * 8:  # 8 batches an epoch
            raise KeyboardInterrupt
        return xb

    with pytest.raises(KeyboardInterrupt):  # a 4-epoch run stopped after its epoch 2
        _fit(tmp=run, data=shapes, epochs=4, lr_schedule="cosine", augment=stop_in_epoch_3)
    assert len(train.load_checkpoint(run)["history"].epochs) == 2
    _, resumed = _fit(tmp=run, data=shapes, epochs=4, resume=run, lr_schedule="cosine")
    np.testing.assert_allclose([e["lr"] for e in resumed.epochs], want, rtol=1e-12)
    np.testing.assert_allclose([e["loss"] for e in resumed.epochs],
                               [e["loss"] for e in hist.epochs], rtol=1e-6)  # fmt: skip
    with pytest.raises(ValueError, match="`lr_schedule` must be one of 'constant', 'cosine'; "
                                         "got 'linear'"):  # fmt: skip
        _fit(data=shapes, epochs=1, lr_schedule="linear")


def test_augment_sees_every_training_batch_with_a_seeded_generator():
    ds = data.shapes1d(40, length=64, seed=0)
    seen = []

    def record(xb, rng):
        seen.append((len(xb), rng.integers(1 << 30)))
        return xb

    for _ in range(2):
        train.fit(models.detector1d(length=64), ds, epochs=2, batch_size=16, augment=record,
                  progress=False)  # fmt: skip
    first, second = seen[:6], seen[6:]
    assert [n for n, _ in first] == [16, 16, 8] * 2
    assert first == second  # the same draws on a second run: (seed, epoch) seeds them
    assert first[0][1] != first[3][1]  # and another epoch draws anew
