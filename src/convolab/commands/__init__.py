"""Sub-commands of the ``convolab`` CLI, one module each (see :mod:`convolab.cli`)."""
