"""``python -m convolab``: the ``convolab`` command."""

from convolab.cli.group import main

main()
