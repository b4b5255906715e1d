"""``python -m dedup``: the same command line as ``dedup``."""

from dedup.cli import main

if __name__ == "__main__":
    main()
