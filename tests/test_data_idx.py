"""IDX reader/writer: hand-built files, round trips, corruption, the shared mnist-5k folder."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

from convolab.data import idx_folder, idx_splits, read_idx, write_idx


def _hand_built(shape, values, code=0x08, fmt="B") -> bytes:
    """An IDX file written from the format's definition, independently of write_idx."""
    header = bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", s) for s in shape)
    return header + struct.pack(f">{len(values)}{fmt}", *values)


def test_read_hand_built_raw_and_gzip(tmp_path):
    raw = _hand_built((2, 3), [1, 2, 3, 250, 251, 252])
    (tmp_path / "a").write_bytes(raw)
    (tmp_path / "b.gz").write_bytes(gzip.compress(raw))
    for name in ("a", "b.gz"):
        got = read_idx(tmp_path / name)
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, [[1, 2, 3], [250, 251, 252]])


def test_read_big_endian_types(tmp_path):
    (tmp_path / "i").write_bytes(_hand_built((3,), [-1, 70000, 5], code=0x0C, fmt="i"))
    (tmp_path / "f").write_bytes(_hand_built((2,), [1.5, -2.25], code=0x0E, fmt="d"))
    np.testing.assert_array_equal(read_idx(tmp_path / "i"), [-1, 70000, 5])
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), [1.5, -2.25])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["x-idx", "x-idx.gz"])
def test_round_trip(tmp_path, dtype, name):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal((4, 5, 3)) * 100).astype(dtype)
    back = read_idx(write_idx(tmp_path / name, a))
    assert back.dtype == a.dtype and back.shape == a.shape
    np.testing.assert_array_equal(back, a)
    opener = gzip.open if name.endswith(".gz") else open
    with opener(tmp_path / name, "rb") as handle:
        assert handle.read(4) == bytes([0, 0, _code(dtype), 3])


def _code(dtype) -> int:
    return {"u1": 0x08, "i1": 0x09, "i2": 0x0B, "i4": 0x0C, "f4": 0x0D, "f8": 0x0E}[
        np.dtype(dtype).str[1:]
    ]


def test_write_rejects_bad_input(tmp_path):
    with pytest.raises(TypeError, match="`array` dtype"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "x", np.array(3, dtype=np.uint8))
    assert not list(tmp_path.iterdir())


def test_write_is_atomic_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "keep-idx1-ubyte"
    write_idx(target, np.arange(3, dtype=np.uint8))
    with pytest.raises(TypeError):
        write_idx(target, np.arange(3, dtype=np.complex64))
    np.testing.assert_array_equal(read_idx(target), [0, 1, 2])
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x00", "too short"),
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "bad magic number"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "bad magic number"),
        (b"\x00\x00\x08\x00", "bad magic number"),
        (b"\x00\x00\x08\x02\x00\x00\x00\x01", "truncated inside"),
        (_hand_built((2, 2), [1, 2, 3, 4])[:-1], "truncated"),
        (_hand_built((2, 2), [1, 2, 3, 4]) + b"\x00", "longer than its header"),
    ],
)
def test_corrupt_files_raise(tmp_path, content, message):
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_truncated_gzip_raises(tmp_path):
    blob = gzip.compress(_hand_built((100,), list(range(100))))
    (tmp_path / "t.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ValueError, match="corrupt or truncated gzip"):
        read_idx(tmp_path / "t.gz")


def test_idx_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        idx_folder(tmp_path / "missing")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match="no MNIST-format IDX files"):
        idx_folder(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", np.zeros((2, 3, 3), np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(2, np.uint8))
    assert idx_splits(tmp_path) == ("test",)
    with pytest.raises(ValueError, match=r"no complete 'train' split.*\['test'\]"):
        idx_folder(tmp_path, "train")
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", np.zeros((3, 3, 3), np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match=r"same N; got \(3, 3, 3\) and \(2,\)"):
        idx_folder(tmp_path, "train")


def test_idx_folder_scales_to_unit_interval(tmp_path):
    images = np.array([[[0, 255], [51, 102]]], np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte", images)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.array([7], np.uint8))
    ds = idx_folder(tmp_path)
    assert ds.x.dtype == np.float32 and ds.x.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(ds.x[0, 0], [[0, 1], [0.2, 0.4]], rtol=1e-6)
    assert ds.y.tolist() == [7]
    # plain C strides, also on the channel axis (frameworks read stride patterns as layouts)
    assert ds.x.strides == np.zeros((1, 1, 2, 2), np.float32).strides


def test_shared_mnist_5k(mnist_5k):
    md5 = {
        "train-images-idx3-ubyte.gz": "661a00f6834ea504a083abb6156444cc",
        "train-labels-idx1-ubyte.gz": "7dc3f26514f21131b416ebaacae5ffb3",
    }
    for name, digest in md5.items():
        assert hashlib.md5((mnist_5k / name).read_bytes()).hexdigest() == digest
    raw = read_idx(mnist_5k / "train-images-idx3-ubyte.gz")
    assert raw.shape == (5000, 28, 28) and raw.dtype == np.uint8
    ds = idx_folder(mnist_5k)
    assert np.bincount(ds.y).tolist() == [500] * 10
    assert idx_splits(mnist_5k) == ("train",)
