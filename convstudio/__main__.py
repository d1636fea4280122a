"""``python -m convstudio``: the same as main.py."""

from convstudio.app import main

raise SystemExit(main())
