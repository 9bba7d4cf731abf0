"""The grader's checks of this lesson's exercises, read from its instructor source.

Found by ``python -m course_admin.grade --source-dir notebooks/source`` (see
:mod:`course_admin.checks.lessons`).
"""
from course_admin.checks.lessons import lesson_checks

CHECKS = lesson_checks(__file__)
