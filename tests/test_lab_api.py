"""The lab's JSON API through Starlette's TestClient: the library's numbers, clear 4xx refusals."""

from __future__ import annotations

import base64
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

import convolab  # noqa: E402
from convolab import analysis, data, image, kernels, nn, signal  # noqa: E402
from convolab import train as training  # noqa: E402
from convolab.explain import explain, explain_unit  # noqa: E402
from convolab.lab import LabConfig, create_app  # noqa: E402
from convolab.lab.network import EMBEDDED  # noqa: E402
from convolab.lab.sections import MAX_UPLOAD_BYTES, MAX_UPLOAD_PIXELS, SAMPLES  # noqa: E402
from oracle import convolve_ref, correlate_ref  # noqa: E402
from test_image_bytes import png_bytes  # noqa: E402

HALF_STEP = 0.5 / 255 + 1e-6  # 8-bit quantization of a PNG


def _client(config=None):
    with warnings.catch_warnings():  # Starlette asks for httpx2, a rename of httpx
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        return TestClient(create_app(config), raise_server_exceptions=True)


@pytest.fixture(scope="module")
def client():
    return _client()


def _refused(response, status, *fragments):
    assert response.status_code == status, response.text
    message = response.json()["error"]
    for fragment in fragments:
        assert fragment in message, message
    return message


def _digit_canvas():
    canvas = np.zeros((140, 140))
    canvas[30:110, 64:76] = 1.0  # a "1"
    canvas[30:42, 52:76] = 1.0
    return canvas


# --------------------------------------------------------------------------- Slide


@pytest.mark.parametrize("op", ["correlate", "convolve"])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_slide_1d_rows_and_output(client, op, mode):
    x, k = [0, 0, 0, 3, 4, 5, 4, 3, 0, 0], [1, 2, 0]
    body = {"x": x, "k": k, "op": op, "mode": mode, "boundary": "reflect", "stride": 2,
            "dilation": 2}  # fmt: skip
    r = client.post("/api/slide", json=body).json()
    ref = (correlate_ref if op == "correlate" else convolve_ref)(
        np.array(x, float), np.array(k, float), mode, boundary="reflect", stride=2, dilation=2)
    np.testing.assert_allclose(r["output"], ref)
    np.testing.assert_allclose(r["engine"], ref)
    e = explain(x, k, op=op, mode=mode, boundary="reflect", stride=2, dilation=2)
    assert [row["text"] for row in r["rows"]] == str(e).splitlines()[:-1]
    assert r["applied_kernel"] == ([0, 2, 1] if op == "convolve" else k)
    n_out = convolab.output_shape((10,), (3,), mode, stride=2, dilation=2)[0]
    assert r["formula"][0].split(" = ")[2].split()[0] == str(n_out)


def test_slide_2d_the_articles_style_rows(client):
    x = np.arange(16.0).reshape(4, 4)
    k = kernels.sobel()
    r = client.post("/api/slide", json={"x": x.tolist(), "k": k.tolist(), "op": "convolve",
                                        "mode": "same"}).json()  # fmt: skip
    np.testing.assert_allclose(r["output"], convolve_ref(x, k, "same"))
    e = explain(x, k, op="convolve", mode="same")
    assert r["rows"][5]["text"] == str(e).splitlines()[5 * 5]  # a header and 4 patch lines each


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ({"x": [1, 2, 3], "k": [[1, 0], [0]]}, ["`k`", "rectangular"]),
        ({"x": [1, 2, 3], "k": [1, "a"]}, ["`k`"]),
        ({"x": [1, 2, 3], "k": [[1]]}, ["`k` must be a non-empty 1D"]),
        ({"x": list(range(65)), "k": [1]}, ["at most 64 samples"]),
        ({"x": [1, 2], "k": [1], "mode": "wide"}, ["`mode` must be one of"]),
        ({"x": [1, 2], "k": [1], "stride": 0}, ["`stride` must be an integer in [1, 8]"]),
        ({"x": [1, 2], "k": [1, 2, 3], "mode": "valid"}, []),
        ({"k": [1]}, ["`x` is required"]),
    ],
)
def test_slide_refuses_bad_input(client, body, fragments):
    r = client.post("/api/slide", json=body)
    if r.status_code == 200:  # SciPy's valid-mode swap: a kernel longer than x is allowed
        assert body.get("mode") == "valid"
        return
    _refused(r, 400, *fragments)


def test_bad_json_and_non_objects_are_refused(client):
    _refused(client.post("/api/slide", content=b"{not json"), 400, "not valid JSON")
    _refused(client.post("/api/slide", json=[1, 2]), 400, "must be a JSON object")
    _refused(client.post("/api/slide", content=b"\xff\xfe"), 400, "not valid JSON")
    big = b'{"x": [' + b"1," * (2**20) + b"1]}"
    _refused(client.post("/api/slide", content=big), 413, "at most")


# --------------------------------------------------------------------------- Filter


def _png_pixels(sent):
    """The gray image a page draws, as floats in [0, 1]."""
    raw = np.frombuffer(base64.b64decode(sent["data"]), np.uint8)
    return raw.reshape(sent["shape"]).astype(np.float32) / 255


def test_filter_a_sample_with_a_bank_kernel(client):
    body = {"image": "coins", "kernel": {"name": "gaussian", "params": {"sigma": 1.5}},
            "boundary": "edge", "scale": "clip"}  # fmt: skip
    r = client.post("/api/filter", json=body).json()
    img = image.load(SAMPLES / "coins.png")
    k = kernels.gaussian(sigma=1.5)
    expected = image.filter(img, k.astype(np.float32), boundary="edge")
    np.testing.assert_allclose(_png_pixels(r["result"]), np.clip(expected, 0, 1), atol=HALF_STEP)
    assert (r["method"], r["reason"]) == convolab.choose_method(img, k, mode="same",
                                                               boundary="edge")  # fmt: skip
    np.testing.assert_allclose(r["kernel"], k, atol=1e-6)
    assert sum(r["histogram"]["counts"]) == img.size
    np.testing.assert_array_equal(_png_pixels(r["input"]), image.to_uint8(img) / np.float32(255))
    again = client.post("/api/filter", json={**body, "with_input": False}).json()
    assert again["input"] is None and again["result"] == r["result"]
    assert r["stats"]["max"] == pytest.approx(float(expected.max()), rel=1e-6)


def test_filter_with_a_typed_matrix_and_convolve(client):
    k = [[0, 0, 0], [0, 0, 1], [0, 0, 0]]
    r = client.post("/api/filter", json={"image": "camera", "kernel": {"matrix": k},
                                         "op": "convolve", "scale": "minmax"}).json()  # fmt: skip
    img = image.load(SAMPLES / "camera.png")
    out = image.filter(img, np.array(k, np.float32), op="convolve")
    np.testing.assert_allclose(out[:, 1:], img[:, :-1])  # convolve flips: the image moves right
    lo, hi = out.min(), out.max()
    np.testing.assert_allclose(_png_pixels(r["result"]), (out - lo) / (hi - lo), atol=HALF_STEP)


@pytest.mark.parametrize(
    ("body", "status", "fragments"),
    [
        ({"image": "lena", "kernel": {"name": "box"}}, 400, ["`image` must be a sample"]),
        ({"image": "../../etc/passwd", "kernel": {"name": "box"}}, 400, ["`image`"]),
        ({"image": "camera", "kernel": {"name": "blurry"}}, 400, ["unknown kernel 'blurry'"]),
        ({"image": "camera", "kernel": {"name": "box", "params": {"width": 3}}}, 400,
         ["unexpected parameter 'width'"]),
        ({"image": "camera", "kernel": {"matrix": [[1, 2], [3]]}}, 400, ["rectangular"]),
        ('{"image": "camera", "kernel": {"matrix": [[1e400]]}}', 400, ["finite"]),
        ({"image": "camera", "kernel": {"matrix": np.ones((40, 40)).tolist()}}, 400, ["at most"]),
        ({"image": "camera", "kernel": [1, 2]}, 400, ["`kernel` must be an object"]),
        ({"image": "camera", "kernel": {"name": "box", "params": {"size": 10**6}}}, 400,
         ["`kernel.params.size` must lie in [-64, 64]"]),
        ({"image": "camera", "kernel": {"name": "gaussian", "params": {"sigma": 60}}}, 400,
         ["at most 31x31"]),
    ],
)
def test_filter_refuses_bad_input(client, body, status, fragments):
    sent = {"content": body.encode()} if isinstance(body, str) else {"json": body}
    _refused(client.post("/api/filter", **sent), status, *fragments)


def test_uploads_limits_and_use(client, tmp_path):
    _refused(client.post("/api/upload", content=b"x" * (MAX_UPLOAD_BYTES + 1)), 413, "bytes")
    _refused(client.post("/api/upload", content=b"GIF89a nonsense"), 400, "not an image")
    _refused(client.post("/api/upload", content=b""), 400, "empty")
    side = int(MAX_UPLOAD_PIXELS**0.5) + 1
    huge = png_bytes(np.zeros((side, side)), tmp_path)  # a small file of too many pixels
    assert len(huge) < MAX_UPLOAD_BYTES
    _refused(client.post("/api/upload", content=huge), 413, "pixels")
    a = np.random.default_rng(1).random((20, 30))
    up = client.post("/api/upload", content=png_bytes(a, tmp_path)).json()
    assert up["shape"] == [20, 30]
    r = client.post("/api/filter", json={"image": up["image"], "kernel": {"name": "identity"}})
    np.testing.assert_allclose(_png_pixels(r.json()["result"]), np.round(a * 255) / 255, atol=1e-6)


# --------------------------------------------------------------------------- Signals


def test_signals_match_the_library(client):
    x = [10, 9, 10, 9, 10, 1, 10, 9, 10, 8]
    r = client.post("/api/signals", json={"task": "smooth", "x": x, "kind": "box", "width": 3})
    np.testing.assert_allclose(r.json()["y"], signal.smooth(x, kind="box", width=3), atol=1e-6)
    r = client.post("/api/signals", json={"task": "shift", "x": [1, 2, 3, 4, 5], "n": -2})
    assert r.json()["y"] == [3, 4, 5, 0, 0]
    r = client.post("/api/signals", json={"task": "soft_shift", "x": [0, 0, 10, 0, 0],
                                          "weights": [0.8, 0.1, 0.1]})  # fmt: skip
    np.testing.assert_allclose(r.json()["y"], [0, 1, 1, 8, 0], atol=1e-9)
    r = client.post("/api/signals", json={"task": "detect", "noise": 0.3, "beta": -0.5, "seed": 3})
    scene = signal.make_shape_signal(noise=0.3, seed=3)
    found = signal.detect(scene.signal, scene.template, beta=-0.5)
    got = r.json()
    assert got["positions"] == found.positions.tolist()
    assert got["probability"] == pytest.approx(found.probability)
    z = max(got["gain"] * (found.score.max() - 0.5), 0)
    assert got["probability"] == pytest.approx(1 / (1 + np.exp(-z)), rel=1e-9)
    assert got["formula"].endswith(f"= {found.probability:.4f}")


@pytest.mark.parametrize(
    ("body", "fragments"),
    [
        ({"task": "rotate"}, ["`task` must be one of"]),
        ({"task": "smooth", "x": [1, 2, 3], "width": 4}, ["`width` must be odd"]),
        ({"task": "detect", "noise": -1}, ["`noise` must be a number in [0, 2]"]),
        ({"task": "detect", "beta": "high"}, ["`beta`"]),
        ({"task": "shift", "x": [1, 2], "n": 1.5}, ["`n` must be an integer"]),
        ({"task": "soft_shift", "x": [1, 2], "weights": [1, 0]}, ["odd"]),
    ],
)
def test_signals_refuse_bad_input(client, body, fragments):
    _refused(client.post("/api/signals", json=body), 400, *fragments)


# --------------------------------------------------------------------------- Network


def test_forward_matches_the_library(client):
    canvas = _digit_canvas()
    r = client.post("/api/network/forward", json={"canvas": canvas.tolist()}).json()
    model = nn.load(EMBEDDED)
    x = data.to_mnist(canvas)
    np.testing.assert_allclose(r["input"], x[0], atol=1e-4)
    probs = training.predict(model, x[None])[0]
    np.testing.assert_allclose(r["probabilities"], probs, atol=1e-6)
    assert r["predicted"] == str(int(np.argmax(probs)))
    records = analysis.activations(model, x[None])
    assert [layer["name"] for layer in r["layers"]] == [a.name for a in records]
    for layer, rec in zip(r["layers"], records):
        np.testing.assert_allclose(layer["values"], rec.output[0], atol=1e-4)


def test_unit_weighted_sum_and_receptive_field(client):
    canvas = _digit_canvas()
    fwd = client.post("/api/network/forward", json={"canvas": canvas.tolist()}).json()
    r = client.post("/api/network/unit", json={"input": fwd["input"], "layer": 3, "channel": 5,
                                               "y": 4, "x": 6}).json()  # fmt: skip
    assert r["value"] == pytest.approx(fwd["layers"][3]["values"][5][4][6], abs=1e-4)
    assert r["sum"]["sum"] == pytest.approx(r["value"], abs=1e-4)
    # C3 row 4 reads S2 rows 4..8 = C1 rows 8..17 = input rows 6..19 (C1 pads 2); columns
    # 6..10 -> 12..21 -> 10..23
    assert r["field"] == {"rows": [6.0, 19.0], "cols": [10.0, 23.0], "size": [14, 14]}
    model = nn.load(EMBEDDED)
    acts = analysis.activations(model, np.array(fwd["input"], np.float32)[None, None])
    u = explain_unit(model[3], acts[2].output[0], 5, (4, 6))
    assert r["sum"]["text"] == str(u)
    relu = client.post("/api/network/unit", json={"input": fwd["input"], "layer": 1,
                                                  "channel": 0, "y": 0, "x": 0}).json()  # fmt: skip
    assert relu["sum"] is None and relu["field"]["rows"] == [-2.0, 2.0]


@pytest.mark.parametrize(
    ("body", "status", "fragments"),
    [
        ({"canvas": np.zeros((10, 10)).tolist()}, 400, ["empty: draw a digit"]),
        ({"canvas": (np.ones((10, 10)) * 2).tolist()}, 400, ["[0, 1]"]),
        ({"canvas": np.zeros((300, 300)).tolist()}, 400, ["at most"]),
        ({"canvas": [[0, 1]], "model": "resnet"}, 404, ["unknown model 'resnet'", "lenet5-mnist"]),
        ({"canvas": [[0, 1]], "model": "/tmp/model.npz"}, 404, ["unknown model"]),
        ({"input": [[0.5] * 27] * 28}, 400, ["28x28"]),
    ],
)
def test_network_refuses_bad_input(client, body, status, fragments):
    _refused(client.post("/api/network/forward", json=body), status, *fragments)


def test_unit_refuses_bad_positions(client):
    base = {"input": np.zeros((28, 28)).tolist()}
    _refused(client.post("/api/network/unit", json={**base, "layer": 99, "channel": 0, "y": 0,
                                                    "x": 0}), 400, "`layer`")  # fmt: skip
    _refused(client.post("/api/network/unit", json={**base, "layer": 9, "channel": 0, "y": 0,
                                                    "x": 0}), 400, "no feature maps")  # fmt: skip
    _refused(client.post("/api/network/unit", json={**base, "layer": 0, "channel": 0, "y": 28,
                                                    "x": 0}), 400, "`y`")  # fmt: skip


def test_model_from_the_command_line(tmp_path):
    model = convolab.models.build("mlp", (1, 28, 28), 10, seed=0)
    nn.save(model, tmp_path / "model.npz", metadata={"input_shape": [1, 28, 28], "model": "mlp"})
    c = _client(LabConfig(model=tmp_path))
    info = c.get("/api/info").json()
    assert info["default_model"] == "cli" and {m["id"] for m in info["models"]} == {
        "cli", "lenet5-mnist"}
    r = c.post("/api/network/forward", json={"canvas": _digit_canvas().tolist()}).json()
    x = data.to_mnist(_digit_canvas())
    np.testing.assert_allclose(r["probabilities"], training.predict(model, x[None])[0], atol=1e-6)


# --------------------------------------------------------------------------- Train


def _wait(c, key, statuses=("done", "stopped", "failed"), timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = c.get(f"/api/train/{key}?since=0").json()
        if r["status"] in statuses:
            return r
        time.sleep(0.1)
    raise AssertionError(f"run {key} still {r['status']}")


def test_train_refuses_paths_outside_the_named_folders(client, tmp_path):
    _refused(client.post("/api/train/start", json={"data": str(tmp_path)}), 403,
             "outside the folders named on the command line")  # fmt: skip
    _refused(client.post("/api/train/start", json={"data": "../../etc"}), 403, "outside")
    _refused(client.post("/api/train/start", json={"model": "resnet"}), 400, "`model` must be")
    _refused(client.post("/api/train/start", json={"epochs": 0}), 400, "`epochs`")
    _refused(client.get("/api/train/run-999"), 404, "unknown run")
    _refused(client.get("/api/train/run-1?since=-1"), 404, "unknown run")
    _refused(client.post("/api/train/stop", json={"id": 7}), 404, "unknown run")


def test_train_stream_stop_and_explore(mnist_5k):
    c = _client(LabConfig(data_folders=(mnist_5k,)))
    _refused(c.post("/api/train/start", json={"data": str(mnist_5k.parent)}), 403, "outside")
    start = c.post("/api/train/start", json={"data": str(mnist_5k), "limit": 2000,
                                             "epochs": 50, "batch_size": 32}).json()  # fmt: skip
    key = start["id"]
    running = _wait(c, key, ("running",))
    deadline = time.monotonic() + 30
    while not c.get(f"/api/train/{key}?since=0").json()["events"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    # other sections answer while the run goes on
    assert c.post("/api/slide", json={"x": [1, 2, 3], "k": [1]}).status_code == 200
    c.post("/api/train/stop", json={"id": key})
    done = _wait(c, key)
    assert running["settings"]["data"] == str(mnist_5k)
    assert done["status"] == "stopped", done
    steps = [e for e in done["events"] if e["type"] == "step"]
    epochs = [e for e in done["events"] if e["type"] == "epoch"]
    assert steps and len(epochs) < 50
    assert steps[-1]["loss"] == pytest.approx(epochs[-1]["loss"])
    since = c.get(f"/api/train/{key}?since={len(done['events']) - 1}").json()
    assert len(since["events"]) == 1
    r = c.post("/api/network/forward", json={"canvas": _digit_canvas().tolist(),
                                             "model": done["model"]})  # fmt: skip
    assert r.status_code == 200 and len(r.json()["probabilities"]) == 10


def test_static_files_stay_in_the_package(client):
    assert client.get("/").status_code == 200
    for page in ("slide", "filter", "signals", "network", "train"):
        r = client.get(f"/{page}")
        assert r.status_code == 200 and "/static/common.js" in r.text
        assert "http://" not in r.text and "https://" not in r.text
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404
    assert client.get("/nowhere").status_code == 404


def test_answers_are_strict_json():
    from convolab.lab.app import _JSON

    body = _JSON({"nan": float("nan"), "inf": np.float32(np.inf), "x": np.arange(2)}).body
    assert body == b'{"nan":null,"inf":null,"x":[0,1]}'


def test_several_tabs_at_once(client):
    """Requests from several pages at the same time get the answers they would get alone."""
    from concurrent.futures import ThreadPoolExecutor

    canvas = _digit_canvas().tolist()
    alone = client.post("/api/network/forward", json={"canvas": canvas}).json()["probabilities"]
    slide = {"x": [0, 0, 0, 3, 4, 5, 4, 3, 0, 0], "k": [1, 0, 0], "mode": "same"}

    def ask(i):
        if i % 2:
            return client.post("/api/network/forward", json={"canvas": canvas}).json()
        return client.post("/api/slide", json=slide).json()

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(ask, range(12)))
    for i, a in enumerate(answers):
        if i % 2:
            assert a["probabilities"] == alone
        else:
            assert a["output"] == [0, 0, 0, 0, 3, 4, 5, 4, 3, 0]
