"""`python -m gauss_core ...` is the same as the `gauss` command."""

from gauss_core.cli import main

raise SystemExit(main())
