"""The ``zhengai`` command: a thin shell over the library (DESIGN.md §5).

Exit codes: 0 success, 1 a check found problems (a failing self-test, an invalid
pack), 2 bad input, with a one-line reason that names the file and the line or row.
"""

from zhengai.cli.app import main

__all__ = ["main"]
