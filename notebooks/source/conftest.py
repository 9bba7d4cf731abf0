"""Keep the instructor sources of the lessons out of nbval.

``notebooks/source/<lesson>.ipynb`` holds a lesson's exercise solutions; the generated
student version ``notebooks/<lesson>.ipynb`` is what students run, so nbval runs that
one (once per lesson, not twice).  ``tests/test_lesson_sources.py`` executes each
source's exercise section instead and asserts that every hidden test passes with the
solutions and that the student's stubs give "not written yet" / "no answer yet"
verdicts, not errors.
"""
collect_ignore_glob = ["*.ipynb"]
