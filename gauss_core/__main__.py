"""`python -m gauss_core ...` is the same as the `gauss` command."""

from gauss_core.cli import main

# Importable without side effects: a multiprocessing child (spawn) may import the main module again, as
# __mp_main__, and must not run the command a second time.
if __name__ == "__main__":
    raise SystemExit(main())
