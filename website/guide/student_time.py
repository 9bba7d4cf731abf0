"""Student time per lesson: the estimate the lecturer's guide shows, computed from the notebooks.

An attentive first pass through a notebook is estimated as

    minutes = prose words / 90          (reading explanations closely, maths aside)
            + code lines x 0.09         (about 5 s to read and run each line of code)
            + quizzes x 2 + exercises x 5
            + figures x 0.5             (looking at each figure)
            + run time / 60             (the notebook's own wall time, from
                                         benchmarks/notebook_resources.json)

and, for a home assignment, 10 minutes more per point of graded work (read from the nbgrader
metadata of its instructor source). The rates are calibrated on the course as it stood before
lesson 01 and 06 were split: the nine lessons 00-06 came to about 10 hours of attentive first
pass, 01 to about 1.7 hours and 06 to about 1.5 hours, as a lecturer who worked through them
measured; the formula gives 600, 105 and 95 minutes for them.

What is counted:
- prose words: words of the markdown cells, with HTML tags and $...$ maths left out;
- code lines: non-blank lines of code cells that are not comments;
- quizzes: "**Quiz" or "<b>Quiz" markers, and numbered questions "**1.**" of a quiz section;
- exercises: "**Exercise" markers;
- figures: image outputs (image/png) of code cells.
Cells tagged remove-cell (the Colab install cell and badge) are not counted.

    python website/guide/student_time.py          # rewrite the table in website/guide/student_time.md
    python website/guide/student_time.py --check  # exit 1 if that table is stale

tests/test_course_text.py recomputes the table and fails when it is stale or when a lesson is
over LIMIT_MINUTES.
"""
import json
import math
import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
RESOURCES = REPO / "benchmarks" / "notebook_resources.json"
PAGE = REPO / "website" / "guide" / "student_time.md"
BEGIN, END = "<!-- student-time-table: begin -->", "<!-- student-time-table: end -->"

WORDS_PER_MINUTE = 90
MINUTES_PER_CODE_LINE = 0.09
MINUTES_PER_QUIZ = 2
MINUTES_PER_EXERCISE = 5
MINUTES_PER_FIGURE = 0.5
MINUTES_PER_POINT = 10
LIMIT_MINUTES = 75

WORD = re.compile(r"[A-Za-z0-9][\w'’.-]*")
MATH = re.compile(r"\$[^$]*\$")
TAG = re.compile(r"<[^>]+>")
QUIZ = re.compile(r"(?:\*\*|<b>)Quiz\b|^\*\*\d+\.\*\*", re.MULTILINE)
EXERCISE = re.compile(r"(?:\*\*|<b>)Exercise\b")


def _source(cell):
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def notebook_stats(path):
    """Counts of one notebook: ``{"words", "code_lines", "quizzes", "exercises", "figures"}``."""
    cells = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"]
    stats = dict(words=0, code_lines=0, quizzes=0, exercises=0, figures=0)
    for cell in cells:
        if "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            stats["words"] += len(WORD.findall(MATH.sub("", TAG.sub("", text))))
            stats["quizzes"] += len(QUIZ.findall(text))
            stats["exercises"] += len(EXERCISE.findall(text))
        elif cell["cell_type"] == "code":
            stats["code_lines"] += sum(1 for line in text.splitlines()
                                       if line.strip() and not line.strip().startswith(("#", "%")))
            stats["figures"] += sum("image/png" in out.get("data", {})
                                    for out in cell.get("outputs", []))
    return stats


def graded_points(path):
    """Total nbgrader points of a notebook (0 for a lesson)."""
    cells = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["cells"]
    return sum((cell.get("metadata", {}).get("nbgrader") or {}).get("points") or 0
               for cell in cells)


def minutes(stats, run_seconds=0.0, points=0):
    """The estimate above, in minutes (a float)."""
    return (stats["words"] / WORDS_PER_MINUTE + stats["code_lines"] * MINUTES_PER_CODE_LINE
            + stats["quizzes"] * MINUTES_PER_QUIZ + stats["exercises"] * MINUTES_PER_EXERCISE
            + stats["figures"] * MINUTES_PER_FIGURE + run_seconds / 60
            + points * MINUTES_PER_POINT)


def _run_seconds(name):
    results = json.loads(RESOURCES.read_text()) if RESOURCES.exists() else {}
    seconds = (results.get(name) or {}).get("seconds")
    return seconds or 0.0, seconds is not None


def lessons():
    """The lesson notebooks on disk, in course order."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]*.ipynb"))


def assignments():
    """The student versions of the home assignments on disk."""
    return sorted((NOTEBOOKS / "assignments").glob("[0-9][0-9]*.ipynb"))


def rows():
    """One row per lesson and assignment on disk:
    ``(name, stats, run_seconds, measured, points, minutes, is_lesson)``."""
    out = []
    for path in lessons() + assignments():
        is_lesson = path.parent == NOTEBOOKS
        name = path.name if is_lesson else f"assignments/{path.name}"
        stats = notebook_stats(path)
        points = 0
        run_name = name
        if not is_lesson:
            source = NOTEBOOKS / "assignments" / "source" / path.name
            points = graded_points(source) if source.exists() else 0
            run_name = f"assignments/source/{path.name}"
        seconds, measured = _run_seconds(run_name)
        out.append((name, stats, seconds, measured, points,
                    minutes(stats, seconds, points), is_lesson))
    return out


def table():
    """The Markdown table of the guide."""
    lines = ["| notebook | prose words | code lines | quizzes | exercises | figures "
             "| run time (s) | graded points | student time |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lesson_total = 0
    for name, s, seconds, measured, points, mins, is_lesson in rows():
        run = f"{seconds:g}" if measured else "not measured"
        shown = math.ceil(mins)
        if is_lesson:
            lesson_total += shown
        lines.append(f"| `{name}` | {s['words']} | {s['code_lines']} | {s['quizzes']} "
                     f"| {s['exercises']} | {s['figures']} | {run} | {points or ''} "
                     f"| {shown} min |")
    lines.append(f"| **all lessons** | | | | | | | | **{lesson_total} min "
                 f"({lesson_total / 60:.1f} h)** |")
    return "\n".join(lines)


def page_with_table(page_text):
    """``page_text`` with the text between the table markers replaced by a fresh table."""
    start, end = page_text.index(BEGIN) + len(BEGIN), page_text.index(END)
    return page_text[:start] + "\n" + table() + "\n" + page_text[end:]


def main(argv):
    text = PAGE.read_text(encoding="utf-8")
    fresh = page_with_table(text)
    if "--check" in argv:
        if fresh != text:
            sys.exit(f"{PAGE.relative_to(REPO)} is stale: run python website/guide/student_time.py")
        return
    PAGE.write_text(fresh, encoding="utf-8")
    print(table())


if __name__ == "__main__":
    main(sys.argv[1:])
