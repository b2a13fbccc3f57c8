from sync.cli import main

main(prog_name="python -m sync")
