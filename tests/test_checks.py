"""The input rules of convolab.checks."""

from __future__ import annotations

import pytest


def test_check_fits_reads_the_memory_only_for_large_arrays(monkeypatch):
    """Small arrays pass without reading the memory available (a file read per call);
    a large one is still measured against it."""
    from convolab import checks

    reads = []
    monkeypatch.setattr(checks, "memory_limit", lambda: reads.append(1) or 100 << 20)
    checks.check_fits((1000, 1000), 8, "x")  # 8 MB
    assert reads == []
    with pytest.raises(ValueError, match=r"x would be 20000 x 1000 values \(152.6 MiB\)"):
        checks.check_fits((20000, 1000), 8, "x")
    assert reads == [1]
