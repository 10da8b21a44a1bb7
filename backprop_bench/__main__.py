"""``python -m backprop_bench`` runs the command line."""

from backprop_bench.cli import main

raise SystemExit(main())
