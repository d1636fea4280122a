"""Print every benchmark row with its target; ``--check`` exits 1 when one is missed."""

from __future__ import annotations

import argparse
import os
import platform
import sys
from collections.abc import Callable

from ._harness import Row

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _groups() -> dict[str, Callable[[], list[Row]]]:
    from . import animator, closing, core, soak, startup, training, workspace

    return {"startup": startup.startup_rows, "conv": core.conv_rows, "steps": core.steps_rows,
            "workspace": lambda: workspace.edit_latency_rows() + workspace.relayout_rows(),
            "layout": workspace.relayout_rows, "animator": animator.animator_rows,
            "training": lambda: (training.overhead_rows() + training.gap_rows()
                                 + training.close_rows()),
            "soak": soak.soak_rows, "closing": closing.closing_rows,
            "accuracy": lambda: training.accuracy_rows() + training.bundled_mnist_rows(),
            "mnist": training.bundled_mnist_rows}


def main(argv: list[str] | None = None) -> int:
    groups = _groups()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("only", nargs="*", choices=[[], *groups], metavar="GROUP",
                        help=f"run only these groups ({', '.join(groups)})")
    parser.add_argument("--check", action="store_true", help="exit 1 if any target is missed")
    args = parser.parse_args(argv)
    print(f"# ConvStudio benchmarks — {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    rows: list[Row] = []
    width = 74
    print(f"{'measurement':<{width}} {'value':>10}  {'target':<18} ok")
    for name in args.only or groups:
        for row in groups[name]():
            rows.append(row)
            mark = "yes" if row.ok else "NO"
            print(f"{row.name:<{width}} {row.value:>8.2f} {row.unit:<2} {row.target:<18} {mark}"
                  + (f"   ({row.detail})" if row.detail else ""), flush=True)
    missed = [r for r in rows if not r.ok]
    print(f"{len(rows) - len(missed)} of {len(rows)} targets met")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
