"""The application: one run or check (the pipeline) and the set-up commands (init, share, demo)."""
