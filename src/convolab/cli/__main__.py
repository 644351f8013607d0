"""``python -m convolab.cli``: the ``convolab`` command."""

from convolab.cli.group import main

main()
