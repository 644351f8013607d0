"""filter_large on Dask equals the in-memory filter at every chunk seam and image border."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convolab import image, kernels

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

BOUNDARIES = ["constant", "edge", "reflect", "symmetric", "wrap"]
RNG = np.random.default_rng(11)
GRAY = RNG.random((30, 26))
RGB = RNG.random((29, 33, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def client():
    """A 2-worker local dask.distributed cluster shared by the tests of this module."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
    )
    c = distributed.Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.mark.parametrize("boundary", BOUNDARIES)
# (10, 13) divides 30 x 26, 7 does not, 100 is one chunk
@pytest.mark.parametrize("chunks", [(10, 13), 7, 100])
def test_equals_in_memory_for_every_boundary_and_chunking(client, boundary, chunks):
    k = RNG.standard_normal((5, 4))  # even width: asymmetric halo
    expected = image.filter(GRAY, k, boundary=boundary, fill_value=0.3)
    got = image.filter_large(GRAY, k, chunks=chunks, client=client, boundary=boundary,
                             fill_value=0.3)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-12)


def test_chunks_smaller_than_the_kernel_are_enlarged():
    k = RNG.standard_normal((5, 4))
    got = image.filter_large(GRAY, k, chunks=3, compute=False)
    assert min(got.chunks[0][:-1]) >= 5 and min(got.chunks[1][:-1]) >= 4
    np.testing.assert_allclose(got.compute(), image.filter(GRAY, k),
                               atol=1e-12)


@pytest.mark.parametrize("mode", ["full", "valid"])
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_full_and_valid_modes(client, mode, boundary):
    k = RNG.standard_normal((3, 6))
    expected = image.filter(GRAY, k, mode=mode, boundary=boundary)
    got = image.filter_large(GRAY, k, chunks=(10, 8), client=client, mode=mode,
                             boundary=boundary)
    np.testing.assert_allclose(got, expected, atol=1e-12)


@pytest.mark.parametrize("op", ["correlate", "convolve"])
def test_colour_float32_and_ops(client, op):
    k = kernels.sobel("x") + 0.1 * kernels.shift(1, -1)  # not symmetric
    expected = image.filter(RGB, k, boundary="symmetric", op=op)
    got = image.filter_large(RGB, k, chunks=8, client=client, boundary="symmetric", op=op)
    assert got.dtype == np.float32 and got.shape == RGB.shape
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_chunk_seams_see_their_neighbours(client):
    """An image that is constant per chunk: any seam handled like a border would show."""
    x = np.kron(RNG.random((4, 4)), np.ones((8, 8)))
    k = kernels.gaussian(2.0)  # 17 x 17: the halo spans more than one 8-pixel chunk
    got = image.filter_large(x, k, chunks=8, client=client, boundary="reflect")
    np.testing.assert_allclose(got, image.filter(x, k, boundary="reflect"), atol=1e-12)


def test_local_threads_without_client_and_lazy_result():
    k = kernels.laplacian(8)
    lazy = image.filter_large(da.from_array(GRAY, chunks=12), k, compute=False,
                              boundary="wrap")
    assert isinstance(lazy, da.Array)
    assert lazy.chunks[0][0] == 12
    np.testing.assert_allclose(lazy.compute(), image.filter(GRAY, k, boundary="wrap"),
                               atol=1e-12)


def test_scheduler_address(client):
    k = kernels.box(3)
    got = image.filter_large(GRAY, k, chunks=16, client=client.scheduler.address)
    np.testing.assert_allclose(got, image.filter(GRAY, k), atol=1e-12)


def test_paths_npy_memory_mapped_and_image(tmp_path, client):
    npy = tmp_path / "big.npy"
    np.save(npy, GRAY)
    k = kernels.emboss()
    np.testing.assert_allclose(
        image.filter_large(npy, k, chunks=11, client=client), image.filter(GRAY, k), atol=1e-12
    )
    png = tmp_path / "img.png"
    image.save(png, GRAY)
    loaded = image.load(png, "keep")
    np.testing.assert_allclose(
        image.filter_large(png, k, chunks=11, client=client), image.filter(loaded, k), atol=1e-5
    )


@pytest.mark.parametrize(
    ("kwargs", "exc", "pattern"),
    [
        ({"chunks": 0}, ValueError, "`chunks` must be at least 1"),
        ({"chunks": (4, 4, 4)}, TypeError, "`chunks` must be an int or a pair"),
        ({"chunks": "big"}, TypeError, "`chunks` must be an int or a pair"),
        ({"boundary": "mirror"}, ValueError, "did you mean 'reflect'"),
        ({"mode": "ful"}, ValueError, "`mode` must be one of"),
        ({"op": "conv"}, ValueError, "`op` must be one of"),
        ({"kernel": np.ones((31, 3))}, ValueError, "at least as large as the kernel"),
        ({"kernel": np.ones(3)}, ValueError, "`kernel` must be a non-empty 2D array"),
        ({"array_or_path": np.ones(5)}, ValueError, r"got shape \(5,\)"),
        ({"array_or_path": "missing.npy"}, FileNotFoundError, "missing.npy' does not exist"),
    ],
)
def test_bad_input(kwargs, exc, pattern):
    args = {"array_or_path": GRAY, "kernel": kernels.box(3), **kwargs}
    with pytest.raises(exc, match=pattern):
        image.filter_large(**args)


@settings(max_examples=10)
@given(
    shape=st.tuples(st.integers(6, 30), st.integers(6, 30)),
    kshape=st.tuples(st.integers(1, 6), st.integers(1, 6)),
    chunks=st.tuples(st.integers(4, 12), st.integers(4, 12)),
    boundary=st.sampled_from(BOUNDARIES),
    mode=st.sampled_from(["same", "full", "valid"]),
    seed=st.integers(0, 2**16),
)
def test_property_equals_in_memory(shape, kshape, chunks, boundary, mode, seed):
    rng = np.random.default_rng(seed)
    x = rng.random(shape)
    k = rng.standard_normal(kshape)
    got = image.filter_large(x, k, chunks=chunks, mode=mode, boundary=boundary, fill_value=-1.0)
    np.testing.assert_allclose(got, image.filter(x, k, mode, boundary, fill_value=-1.0),
                               atol=1e-12)


@pytest.mark.parametrize("boundary, numpy_mode", [("reflect", "reflect"), ("wrap", "wrap"),
                                                  ("edge", "edge")])  # fmt: skip
def test_tiles_alone_match_a_padded_plain_loop(boundary, numpy_mode):
    """scale.tiles knows nothing of images: any valid-mode block filter, exact at the seams."""
    from convolab.scale import tiles

    x = RNG.random((23, 19))
    k = RNG.random((4, 3))  # even rows: the 'same' padding is asymmetric

    def valid_loop(block):  # a plain-loop valid correlation, the oracle's definition
        out = np.zeros((block.shape[0] - 3, block.shape[1] - 2))
        for i in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[i, j] = (block[i : i + 4, j : j + 3] * k).sum()
        return out

    padded = np.pad(x, ((2, 1), (1, 1)), mode=numpy_mode)  # 'same': K // 2 before, (K-1) // 2 after
    lazy = tiles.map_padded(tiles.as_dask_array(x, (6, 5)), k.shape, valid_loop, np.float64,
                            boundary=boundary)  # fmt: skip
    assert lazy.chunks[0][0] == 6  # really cut into blocks
    np.testing.assert_allclose(tiles.compute(lazy), valid_loop(padded), rtol=1e-12)


def test_tiles_take_arrays_and_npy_files_only(tmp_path):
    from convolab.scale import tiles

    with pytest.raises(ValueError, match="array or a .npy file"):
        tiles.as_dask_array(tmp_path / "photo.png", None)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        tiles.as_dask_array(tmp_path / "missing.npy", None)
    with pytest.raises(ValueError, match="at least 1"):
        tiles.spatial_chunks((0, 4))
