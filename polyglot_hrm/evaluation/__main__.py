"""Seed face (listed in ``polyglot_hrm.SEED_FACES``).

``python -m polyglot_hrm.evaluation --problems-json FILE --solutions-json FILE --output FILE`` (the seed's form);
every option of ``polyglot-hrm evaluate`` works here too."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Sequence

from ..problems import BenchmarkError
from ..execution.commands import as_flags, flags_of
from ..execution.sandbox import ExecutionNotAllowed
from ..modelio.names import BackendError
from ..tables import plain_text
from .commands import add_evaluate_arguments, cmd_evaluate


def main(argv: Sequence[str] | None = None, prog: str = "python -m polyglot_hrm.evaluation") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=plain_text(__doc__))
    add_evaluate_arguments(parser)
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    args.argv, args.command_argv = [*prog.split(), *argv], argv  # as polyglot_hrm.cli.main records them
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return cmd_evaluate(args)
    except (BenchmarkError, FileNotFoundError, ValueError, ExecutionNotAllowed, BackendError) as err:
        print(f"{parser.prog}: error: {as_flags(str(err), flags_of(parser))}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
