# SPDX-License-Identifier: GPL-2.0-or-later
"""Command-line helpers shared by irqhint's scripts and tests."""


def add_required(parser, *names, **kwargs):
    """Add to the argparse PARSER an option --NAME for each of NAMES that
    must be given (KWARGS, e.g. type=int, go to each)."""
    for name in names:
        parser.add_argument('--' + name, required=True, **kwargs)
