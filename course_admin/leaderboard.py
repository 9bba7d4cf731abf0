"""A class leaderboard for a task judged from the files handed in (assignment 2, Part 6).

``<out>/<assignment>.leaderboard.csv`` holds one row per student: ``rank``,
``student_id``, ``accuracy``, ``params``, ``macs``, ``band``, ``points``,
``within_budget``, ``sha256`` (the first 16 hex digits of the weights file, so that two
students handing in the same file stand out) and ``note``.  Rows are merged by student
id like the marks (regrading one student changes that row only; the file is replaced
atomically), then ranked: networks within the budget by test accuracy (ties: fewer
multiply-adds, then fewer parameters, then the id), then those over the budget, then
files that were refused.  ``<out>/<assignment>.leaderboard.md`` is the same table in
Markdown, with the test images named, for the course page.
"""
from __future__ import annotations

import csv
import io
import os
import pathlib
import tempfile

__all__ = ["COLUMNS", "record", "read", "ranked", "markdown"]

COLUMNS = ["rank", "student_id", "accuracy", "params", "macs", "band", "points",
           "within_budget", "sha256", "note"]


def read(path):
    """``{student_id: row}`` from a leaderboard CSV ({} when there is none)."""
    path = pathlib.Path(path)
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student_id"]: row for row in csv.DictReader(f) if row.get("student_id")}


def _key(row):
    within = row.get("within_budget")
    group = 0 if within == "yes" else 1 if within == "no" else 2
    acc = float(row["accuracy"]) if row.get("accuracy") else -1.0
    macs = int(row["macs"]) if row.get("macs") else 2 ** 62
    params = int(row["params"]) if row.get("params") else 2 ** 62
    return group, -acc, macs, params, row["student_id"]


def ranked(rows):
    """The rows in leaderboard order, ``rank`` filled in for networks within the budget.

    Parameters
    ----------
    rows : dict
        ``{student_id: row}``, rows as in :data:`COLUMNS` (strings).

    Returns
    -------
    list of dict
    """
    out, rank, previous = [], 0, None
    for i, row in enumerate(sorted(rows.values(), key=_key)):
        row = dict(row)
        if row.get("within_budget") == "yes":
            score = row["accuracy"]
            rank = rank if score == previous else i + 1      # equal accuracy, equal rank
            previous = score
            row["rank"] = str(rank)
        else:
            row["rank"] = ""
        out.append(row)
    return out


def _row(student, rec):
    within = rec.get("within_budget")
    return {"student_id": student,
            "accuracy": "" if rec.get("accuracy") is None else f"{rec['accuracy']:.4f}",
            "params": "" if rec.get("params") is None else str(rec["params"]),
            "macs": "" if rec.get("macs") is None else str(rec["macs"]),
            "band": rec.get("band", ""), "points": f"{float(rec.get('points', 0)):g}",
            "within_budget": {True: "yes", False: "no"}.get(within, "refused"),
            "sha256": rec.get("sha256", ""), "note": rec.get("note", "")}


def _replace(path, text):
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def markdown(rows, test_images=""):
    """The ranked rows as a Markdown table (accuracy in %, counts with separators)."""
    lines = ["| rank | student | test accuracy | parameters | multiply-adds | band | points |",
             "|---:|---|---:|---:|---:|---|---:|"]
    shas = [r["sha256"] for r in rows if r.get("sha256")]
    for r in rows:
        acc = f"{100 * float(r['accuracy']):.2f}%" if r.get("accuracy") else ""
        params = f"{int(r['params']):,}" if r.get("params") else ""
        macs = f"{int(r['macs']):,}" if r.get("macs") else ""
        band = r["band"] or r["within_budget"]
        if r.get("sha256") and shas.count(r["sha256"]) > 1:
            band += " (same file as another student)"
        lines.append(f"| {r['rank']} | {r['student_id']} | {acc} | {params} | {macs} | "
                     f"{band} | {r['points']} |")
    head = "Networks within the budget are ranked by test accuracy"
    if test_images:
        head += f", measured by the grader on {test_images}"
    return head + ".\n\n" + "\n".join(lines) + "\n"


def record(out, result):
    """Merge one student's row into the leaderboard and rewrite the CSV and the Markdown.

    ``result.leaderboard`` is a record of :class:`~course_admin.checks.open_ended.Score`;
    the files are ``<out>/<assignment>.leaderboard.csv`` and ``.md``.

    Returns
    -------
    list of dict
        The ranked rows now in the file.
    """
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{result.assignment}.leaderboard.csv"
    rows = read(path)
    rows[result.student] = _row(result.student, result.leaderboard)
    table = ranked(rows)
    text = io.StringIO(newline="")
    writer = csv.DictWriter(text, COLUMNS, extrasaction="ignore", restval="")
    writer.writeheader()
    writer.writerows(table)
    _replace(path, text.getvalue())
    _replace(path.with_suffix(".md"), markdown(table, result.leaderboard.get("test_images", "")))
    return table
