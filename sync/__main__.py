"""`python -m sync`: the command line (sync.cli)."""

from sync.cli import main

main(prog_name="python -m sync")
