"""``python -m npconv ...``: the ``npconv`` command (``python -m npconv run script.py`` runs a PyTorch script)."""
import sys

from npconv.cli import main

if __name__ == "__main__":
    sys.exit(main())
