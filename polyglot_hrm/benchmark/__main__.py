"""The seed's form: ``python -m polyglot_hrm.benchmark --benchmark-root DIR --output FILE``."""

import sys

from ..cli import main

if __name__ == "__main__":
    sys.exit(main(["extract", *sys.argv[1:]]))
