#!/usr/bin/env python3
"""The benches' common result line, which bench/all.sh collects into one table.

Each bench prints, besides its human output, one machine line per figure:

    RESULT<TAB>figure<TAB>value<TAB>baseline<TAB>target<TAB>met|missed

figure    what is measured, e.g. "choices: intake-ship / static (req/s)"
value     the figure, as printed (a ratio, "1.23 MB", "4.3 ms")
baseline  what the figure is compared with, measured in the same run
          ("static 10234 req/s"), or "-" when there is none
target    e.g. ">= 0.90", "<= 2.0 MB"
met|missed  whether value meets target ("-" when no target applies)

No field may hold a tab or a newline (they are replaced by spaces).

From Python:  import result; result.emit(figure, value, baseline, op, target)
  with value and target numbers and op one of >=, <=, >, <: emit decides met.
From a shell: python3 bench/result.py FIGURE VALUE BASELINE OP TARGET [UNIT]
  (bench/lib.sh's bench_result wraps it).
"""
import sys

OPS = {">=": lambda v, t: v >= t, "<=": lambda v, t: v <= t,
       ">": lambda v, t: v > t, "<": lambda v, t: v < t}


def clean(s):
    return " ".join(str(s).split()) or "-"


def line(figure, value, baseline, target, verdict):
    """The RESULT line for already formatted fields."""
    return "\t".join(["RESULT"] + [clean(x) for x in (figure, value, baseline, target, verdict)])


def emit(figure, value, baseline, op, target, unit="", fmt="%.2f", out=None):
    """Print the RESULT line: value (a number, or None when not measured) against
    op target. Returns True when met."""
    out = out or sys.stdout
    u = (" " + unit) if unit else ""
    if value is None:
        print(line(figure, "?", baseline, "%s %s%s" % (op, fmt % target, u), "missed"),
              file=out, flush=True)
        return False
    met = OPS[op](value, target)
    print(line(figure, (fmt % value) + u, baseline, "%s %s%s" % (op, fmt % target, u),
               "met" if met else "missed"), file=out, flush=True)
    return met


def main(argv):
    if len(argv) not in (6, 7) or argv[4] not in OPS:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    figure, value, baseline, op, target = argv[1:6]
    unit = argv[6] if len(argv) == 7 else ""
    try:
        v = float(value)
    except ValueError:
        v = None
    emit(figure, v, baseline, op, float(target), unit)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
