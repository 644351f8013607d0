"""Downloads against a local HTTP server on 127.0.0.1: mirrors, checksums, cache."""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import http.server
import importlib
import threading
from pathlib import Path

import numpy as np
import pytest

from convolab.data import cache_dir, fashion_mnist, mnist, read_idx, write_idx

mnist_module = importlib.import_module("convolab.data.mnist")  # the module, not the function

FILES = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


class _Handler(http.server.SimpleHTTPRequestHandler):
    requested: list[str]

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.requested.append(self.path)
        super().do_GET()


@contextlib.contextmanager
def _serve(folder: Path):
    requested: list[str] = []
    handler = functools.partial(type("H", (_Handler,), {"requested": requested}),
                                directory=str(folder))  # fmt: skip
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requested
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture()
def site(tmp_path, monkeypatch):
    """A 'good' and a 'bad' (corrupted) mirror of a tiny MNIST test split."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], np.uint8)
    good, bad = tmp_path / "www" / "good", tmp_path / "www" / "bad"
    write_idx(good / FILES[0], images)
    write_idx(good / FILES[1], labels)
    bad.mkdir()
    for name in FILES:
        blob = bytearray((good / name).read_bytes())
        blob[-12] ^= 0xFF  # one flipped byte: still a file, wrong checksum
        (bad / name).write_bytes(bytes(blob))
    md5 = {name: hashlib.md5((good / name).read_bytes()).hexdigest() for name in FILES}
    for name, digest in md5.items():  # the published checksums, for these files
        monkeypatch.setitem(mnist_module._MNIST_MD5, name, digest)
    with _serve(tmp_path / "www") as (url, requested):
        yield {"url": url, "requested": requested, "images": images, "labels": labels,
               "cache": tmp_path / "cache", "md5": md5}  # fmt: skip


def _cached(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("*") if p.is_file()) if cache.exists() else []


def test_download_verifies_and_caches(site):
    ds = mnist(site["cache"], "test", download=True, mirrors=[site["url"] + "/good/"])
    np.testing.assert_array_equal(ds.x[:, 0], site["images"] / np.float32(255))
    assert ds.y.tolist() == [3, 1, 4, 1, 5]
    assert _cached(site["cache"]) == sorted(FILES)
    for name in FILES:
        cached = site["cache"] / "mnist" / name
        assert hashlib.md5(cached.read_bytes()).hexdigest() == site["md5"][name]
    # Second time: served from the cache, no request, no download flag needed.
    before = len(site["requested"])
    again = mnist(site["cache"], "test")
    assert len(site["requested"]) == before
    np.testing.assert_array_equal(again.x, ds.x)


def test_corrupted_mirror_is_rejected_and_next_mirror_used(site):
    mirrors = [site["url"] + "/bad", site["url"] + "/good"]
    ds = mnist(site["cache"], "test", download=True, mirrors=mirrors)
    assert ds.y.tolist() == [3, 1, 4, 1, 5]
    assert site["requested"] == [f"/bad/{FILES[0]}", f"/good/{FILES[0]}",
                                 f"/bad/{FILES[1]}", f"/good/{FILES[1]}"]  # fmt: skip
    cached = site["cache"] / "mnist" / FILES[0]
    np.testing.assert_array_equal(read_idx(cached), site["images"])


def test_all_mirrors_corrupt_nothing_cached(site):
    mirrors = [site["url"] + "/bad/", site["url"] + "/missing/"]
    with pytest.raises(ConnectionError) as info:
        mnist(site["cache"], "test", download=True, mirrors=mirrors)
    message = str(info.value)
    assert f"{site['url']}/bad/{FILES[0]}" in message and "MD5" in message
    assert f"{site['url']}/missing/{FILES[0]}" in message and "404" in message
    assert _cached(site["cache"]) == []  # no corrupt file, no temporary file


def test_no_network_names_the_urls(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_module, "_TIMEOUT_S", 2.0)
    with _serve(tmp_path) as (url, _):
        pass  # server closed: the port now refuses connections
    with pytest.raises(ConnectionError, match=f"{url}/m1/train-images-idx3-ubyte.gz"):
        mnist(tmp_path / "cache", download=True, mirrors=[url + "/m1/"])
    assert _cached(tmp_path / "cache") == []


def test_missing_without_download_says_how(tmp_path):
    with pytest.raises(FileNotFoundError, match="download=True"):
        mnist(tmp_path, "train")
    with pytest.raises(ValueError, match="`split` must be one of 'train', 'test'; got 'val'"):
        mnist(tmp_path, "val")


def test_cache_dir_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CONVOLAB_DATA", str(tmp_path / "here"))
    assert cache_dir() == tmp_path / "here"
    monkeypatch.delenv("CONVOLAB_DATA")
    assert cache_dir() == Path.home() / ".cache" / "convolab"


def test_raw_files_in_cache_are_found(tmp_path):
    folder = tmp_path / "mnist"
    write_idx(folder / "t10k-images-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    (folder / "t10k-labels-idx1-ubyte").write_bytes(
        gzip.decompress(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 2, 9, 8])))
    )
    assert mnist(tmp_path, "test").y.tolist() == [9, 8]


FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not (FASHION / FILES[1]).exists(), reason="dataset-fashion-mnist not installed")
def test_fashion_mnist_from_debian_package(tmp_path):
    ds = fashion_mnist(tmp_path, "test")
    assert ds.x.shape == (10000, 1, 28, 28) and ds.x.dtype == np.float32
    assert np.bincount(ds.y).tolist() == [1000] * 10  # Fashion-MNIST's test set is balanced
    assert ds.classes[0] == "T-shirt/top" and len(ds.classes) == 10
