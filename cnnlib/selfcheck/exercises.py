"""The exercises of lessons 01a-05: their statements, and one way to check any of them.

:data:`EXERCISES` maps an exercise id (``"02b.2"`` is ``**Exercise 02b.2**`` in notebook 02b)
to an :class:`~cnnlib.selfcheck.answers.Exercise`: a title, the statement a notebook
shows, and either parts (a value to compute or predict, with the known wrong values
and what produces them) or a ``check_*`` function for a function the student writes.
One module per lesson holds them: ``exercises_01`` (01a, 01b), ``exercises_02``,
``exercises_03``, ``exercises_04`` (04a, 04b, 04c), ``exercises_04d`` and ``exercises_05``.

Lessons 00 and 06a-10 have ``exercises_00``, ``exercises_06`` (06a, 06b), ``exercises_07``,
``exercises_08``, ``exercises_09`` and ``exercises_10``.

In a notebook::

    from cnnlib.selfcheck.exercises import check_exercise
    check_exercise("02a.2", f3=32, pool3=16)    # a value exercise, by part
    check_exercise("02b.2", receptive_field)    # a function exercise
"""
from __future__ import annotations

from . import exercises_01, exercises_02, exercises_03, exercises_04, exercises_05
from . import exercises_04d
from .answers import check_parts
from . import exercises_00, exercises_06, exercises_07, exercises_08, exercises_09, exercises_10

__all__ = ["EXERCISES", "check_exercise", "exercises_of"]

EXERCISES = {**exercises_01.EXERCISES, **exercises_02.EXERCISES, **exercises_03.EXERCISES,
             **exercises_04.EXERCISES, **exercises_05.EXERCISES}
EXERCISES.update(exercises_04d.EXERCISES)

# Lessons 00 and 06a-10, registered in a statement of their own.
EXERCISES.update({**exercises_00.EXERCISES, **exercises_06.EXERCISES, **exercises_07.EXERCISES,
                  **exercises_08.EXERCISES, **exercises_09.EXERCISES, **exercises_10.EXERCISES})

_NOT_GIVEN = object()


def exercises_of(lesson):
    """The ids of a lesson's exercises, e.g. ``exercises_of("04b")``.

    Parameters
    ----------
    lesson : str
        A lesson id as in the notebook file names: ``"01a"``, ``"02"``, ``"04c"`` ...

    Returns
    -------
    list of str

    Examples
    --------
    >>> exercises_of("03")
    ['03.1', '03.2', '03.3']
    """
    if not isinstance(lesson, str):
        raise TypeError(f"lesson must be a lesson id such as '02', got {lesson!r}")
    return [e for e in EXERCISES if e.split(".")[0] == lesson]


def check_exercise(exercise_id, answer=_NOT_GIVEN, *, quiet=False, **parts):
    """Check an exercise: a function you wrote, or the values you computed.

    Parameters
    ----------
    exercise_id : str
        The exercise id as in the notebook, e.g. ``"02b.2"`` (``**Exercise 02b.2**``).
    answer : callable, number, tuple, list or str, optional
        Your function (for an exercise that asks for one), or the answer of a one-part
        value exercise.
    **parts
        The answers of a value exercise with several parts, by name; any subset.
    quiet : bool
        If True, print nothing (for hidden tests and the class report).

    Returns
    -------
    Verdict or list of Verdict
        A function exercise gives one verdict, a value exercise one per part.

    Raises
    ------
    ValueError
        If ``exercise_id`` is unknown, or a part name is not one of the exercise's.

    Examples
    --------
    >>> _ = check_exercise("02a.3", size=5)
    ✘ Exercise 02a.3, size: 5 — the + 1 is in each layer's N - K + 1 already.
    """
    if not isinstance(exercise_id, str) or exercise_id not in EXERCISES:
        raise ValueError(f"exercise_id must be one of {', '.join(EXERCISES)}, "
                         f"got {exercise_id!r}")
    exercise = EXERCISES[exercise_id]
    if exercise.check is not None:
        if parts or answer is _NOT_GIVEN:
            raise ValueError(f"exercise {exercise_id} checks a function: pass it, e.g. "
                             f"check_exercise({exercise_id!r}, my_function)")
        return exercise.check(answer, quiet=quiet)
    if answer is not _NOT_GIVEN:
        if "answer" not in exercise.parts:
            raise ValueError(f"exercise {exercise_id} has several parts: pass them by name; "
                             f"its parts: {', '.join(exercise.parts)}")
        parts = {"answer": answer, **parts}
    return check_parts(f"Exercise {exercise_id}", exercise.parts, parts, exercise.choices,
                       quiet)
