"""Run the benchmarks: ``python -m benchmarks [NAME ...] [--quick]``.

Each ``benchmarks/bench_<name>.py`` exposes ``main(quick: bool) -> str`` that runs
its measurements and returns a Markdown section; the sections are printed and
written to ``benchmarks/results/<name>.md`` for ``docs/performance.md``.
Benchmarks are not tests: nothing here runs in ``make test``.
"""

from __future__ import annotations

import argparse
import importlib
import platform
import time
from pathlib import Path

HERE = Path(__file__).parent


def main() -> None:
    """Parse arguments and run the selected benchmark modules in order."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("names", nargs="*", help="bench_<name>.py modules to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    available = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    names = args.names or available
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    print(f"# zhengai benchmarks — {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()}")
    print(f"python {platform.python_version()}, {platform.machine()}\n")
    for name in names:
        if name not in available:
            raise SystemExit(f"no benchmark {name!r}; available: {', '.join(available)}")
        module = importlib.import_module(f"benchmarks.bench_{name}")
        started = time.perf_counter()
        section: str = module.main(quick=args.quick)
        print(section)
        print(f"_({name}: {time.perf_counter() - started:.1f} s)_\n", flush=True)
        (out / f"{name}.md").write_text(section, encoding="utf-8")


if __name__ == "__main__":
    main()
