"""``python -m rcm``: the same as the ``rcm`` command."""

from rcm.cli import main

raise SystemExit(main())
