"""Shared test configuration: Hypothesis profiles and the shared MNIST sample.

``ci`` (the default) keeps property tests quick; select another profile with the
``HYPOTHESIS_PROFILE`` environment variable (``thorough`` runs many more examples).
The 5,000 real MNIST digits live in ``../shared/data/mnist-5k`` beside the repository
(or wherever ``CONVOLAB_MNIST_5K`` points); tests that need them take the ``mnist_5k``
fixture and skip when the folder is absent.
"""

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

MNIST_5K = Path(
    os.environ.get(
        "CONVOLAB_MNIST_5K",
        Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "mnist-5k",
    )
)


@pytest.fixture
def mnist_5k() -> Path:
    """The folder of the 5,000 shared MNIST digits (IDX files); skips when absent."""
    if not MNIST_5K.is_dir():
        pytest.skip("shared mnist-5k folder not present")
    return MNIST_5K

settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
