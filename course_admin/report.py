"""A class report from a grading run: what the class got right and which mistakes it made.

The grader (:mod:`course_admin.grade`, run on lessons with ``--source-dir notebooks/source``)
writes ``<out>/<lesson>.verdicts.csv`` beside the marks: one row per student and item (an
exercise part or a quiz part) with ``correct`` and the ``mistake`` its check named
(:mod:`course_admin.checks.lessons`).  This module counts them, per item:

* ``graded``: students with a verdict for the item;
* ``right``: how many were right;
* ``blank``: answers not given (``blank``: None left in place; ``not written``: the stub
  still raises; ``not run``, ``missing``: the cell did not run or the name is gone);
* the diagnosed mistakes, most common first, with their counts (``mistakes``, e.g.
  ``flipped: 7; transposed: 2``); ``undiagnosed``: wrong answers no known mistake explains.

It writes ``class_report.csv`` and ``class_report.png`` (one horizontal bar per item:
right, the most common diagnosed mistake, other mistakes, blank), with the figure's alt
text in ``class_report.alt.txt`` and in the PNG's ``Description``, so the lecturer knows
what to teach again.

Command line::

    python -m course_admin.report MARKS_DIR [--out DIR] [--lesson 01b_convolution_theory]
"""
from __future__ import annotations

import argparse
import collections
import csv
import pathlib
import sys

from .checks.lessons import read_verdicts

__all__ = ["BLANK", "REPORT_COLUMNS", "summarise", "write_report", "plot_report", "alt_text",
           "main"]

BLANK = ("blank", "not written", "not run", "missing")
REPORT_COLUMNS = ["lesson", "kind", "id", "part", "graded", "right", "blank", "undiagnosed",
                  "most_common_mistake", "mistakes"]


def _label(row):
    kind = "Exercise" if row["kind"] == "exercise" else "Quiz"
    return f"{kind} {row['id']}" + (f", {row['part']}" if row["part"] else "")


def summarise(rows, lesson=""):
    """One summary row per item from verdict rows (see the module docstring).

    Parameters
    ----------
    rows : iterable of dict
        Rows of ``<lesson>.verdicts.csv`` (``kind``, ``id``, ``part``, ``correct``,
        ``mistake``).
    lesson : str
        Written in the ``lesson`` column.

    Returns
    -------
    list of dict
        With ``REPORT_COLUMNS``, exercises first then quizzes, in id order; ``mistakes``
        counts the diagnosed mistakes as a ``collections.Counter`` (``most_common`` order
        in the CSV).
    """
    items = {}
    for row in rows:
        key = (row["kind"], row["id"], row["part"])
        item = items.setdefault(key, {"lesson": lesson, "kind": key[0], "id": key[1],
                                      "part": key[2], "graded": 0, "right": 0, "blank": 0,
                                      "undiagnosed": 0, "mistakes": collections.Counter()})
        item["graded"] += 1
        mistake = row.get("mistake") or ""
        if row["correct"] in ("1", 1, True):
            item["right"] += 1
        elif mistake in BLANK:
            item["blank"] += 1
        elif mistake:
            item["mistakes"][mistake] += 1
        else:
            item["undiagnosed"] += 1
    order = {"exercise": 0, "quiz": 1}
    summary = sorted(items.values(), key=lambda r: (
        order.get(r["kind"], 2), [int(p) if p.isdigit() else p for p in r["id"].replace(
            ".", " ").split()], r["part"]))
    for item in summary:
        common = item["mistakes"].most_common()
        item["most_common_mistake"] = common[0][0] if common else ""
    return summary


def write_report(marks_dir, out=None, lessons=None):
    """Count the verdicts of ``marks_dir`` and write the CSV, the figure and its alt text.

    Parameters
    ----------
    marks_dir : path
        A grading run's output folder (holding ``<lesson>.verdicts.csv``).
    out : path, optional
        Where ``class_report.csv``, ``.png`` and ``.alt.txt`` go (default ``marks_dir``).
    lessons : list of str, optional
        Only these lessons (file stems); default every ``*.verdicts.csv``.

    Returns
    -------
    list of dict
        The summary rows (see :func:`summarise`).

    Raises
    ------
    FileNotFoundError
        If ``marks_dir`` holds no verdicts file.
    """
    marks_dir = pathlib.Path(marks_dir)
    out = marks_dir if out is None else pathlib.Path(out)
    files = sorted(marks_dir.glob("*.verdicts.csv"))
    if lessons:
        files = [f for f in files if f.name[:-len(".verdicts.csv")] in lessons]
    if not files:
        raise FileNotFoundError(f"no <lesson>.verdicts.csv in {marks_dir}: grade the lessons "
                                f"first (python -m course_admin.grade ... --source-dir "
                                f"notebooks/source)")
    summary = []
    for path in files:
        summary += summarise(read_verdicts(path), path.name[:-len(".verdicts.csv")])
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "class_report.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, REPORT_COLUMNS)
        writer.writeheader()
        for item in summary:
            writer.writerow({**item, "mistakes": "; ".join(
                f"{name}: {count}" for name, count in item["mistakes"].most_common())})
    text = alt_text(summary)
    fig = plot_report(summary)
    fig.savefig(out / "class_report.png", metadata={"Description": text})
    (out / "class_report.alt.txt").write_text(text + "\n", encoding="utf-8")
    import matplotlib.pyplot as plt
    plt.close(fig)
    return summary


def alt_text(summary):
    """The figure's alt text: what it shows, and the items most often wrong."""
    worst = sorted((item for item in summary if item["graded"]),
                   key=lambda r: r["right"] / r["graded"])[:3]
    parts = [f"{_label(r)} ({r['right']} of {r['graded']} right"
             + (f", most often '{r['most_common_mistake']}'" if r["most_common_mistake"] else "")
             + ")" for r in worst]
    return (f"Horizontal bars, one per exercise or quiz part ({len(summary)}), splitting the "
            f"students graded into right, the most common diagnosed mistake, other mistakes "
            f"and blank answers. Least often right: " + "; ".join(parts) + ".")


def plot_report(summary):
    """Horizontal stacked bars: right, most common mistake, other wrong, blank (a Figure)."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from cnnlib.viz.palette import OKABE_ITO, set_style
    set_style()
    labels = [(f"{r['lesson'].split('_')[0]}: " if len({s['lesson'] for s in summary}) > 1
               else "") + _label(r) for r in summary]
    right = [r["right"] for r in summary]
    common = [r["mistakes"][r["most_common_mistake"]] if r["most_common_mistake"] else 0
              for r in summary]
    other = [r["graded"] - r["right"] - r["blank"] - c for r, c in zip(summary, common)]
    blank = [r["blank"] for r in summary]
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.55 * len(summary)))
    y = list(range(len(summary)))[::-1]
    left = [0] * len(summary)
    for values, name, color in [(right, "right", OKABE_ITO["bluish green"]),
                                (common, "most common mistake", OKABE_ITO["vermillion"]),
                                (other, "other mistakes", OKABE_ITO["orange"]),
                                (blank, "blank / not written", "#BBBBBB")]:
        ax.barh(y, values, left=left, color=color, label=name, height=0.7)
        left = [a + b for a, b in zip(left, values)]
    for yi, r, c in zip(y, summary, common):
        if r["most_common_mistake"]:
            ax.text(r["graded"] + 0.1, yi, f"{r['most_common_mistake']} ({c})", va="center",
                    fontsize=14)
    ax.set_yticks(y, labels)
    most = max((r["graded"] for r in summary), default=1)
    ax.set_xlim(0, most * 1.6 + 1)
    ax.set_xlabel("students")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False)
    ax.set_title("What the class got right, and its most common mistake")
    fig.tight_layout()
    return fig


def main(argv=None) -> int:
    """Command-line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m course_admin.report",
                                     description="Count a grading run's verdicts: a class "
                                                 "report as a CSV and a figure.")
    parser.add_argument("marks", help="the grading run's --out folder")
    parser.add_argument("--out", default=None, help="where to write (default: the marks folder)")
    parser.add_argument("--lesson", action="append", default=None,
                        help="only this lesson (file stem); may be repeated")
    args = parser.parse_args(argv)
    try:
        summary = write_report(args.marks, args.out, args.lesson)
    except FileNotFoundError as exc:
        print(exc, file=sys.stderr)
        return 1
    for item in summary:
        print(f"{item['lesson']:26s} {_label(item):34s} {item['right']:3d}/{item['graded']:<3d} "
              f"{item['most_common_mistake']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
