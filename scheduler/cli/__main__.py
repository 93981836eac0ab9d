"""``python -m scheduler.cli``: the ``moocx`` command."""

from scheduler.cli import main

main()
