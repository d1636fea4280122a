"""Launch ConvStudio: ``python main.py [--screenshot out.png ...]``."""

from convstudio.app import main

raise SystemExit(main())
