"""Running the ``convolab`` command in-process, shared by the CLI tests."""

from __future__ import annotations

import pytest

from convolab.cli import main


def run(argv, capsys):
    """Run the real entry point in-process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as done:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return done.value.code, out, err


def assert_one_line_error(code, err, *fragments):
    """Exit code 2, exactly one line on stderr in the CLI's form, no traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.startswith("convolab: error: "), err
    for fragment in fragments:
        assert fragment in err, err
