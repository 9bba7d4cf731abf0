"""Checking a short answer: a number, a shape, a list of numbers or a choice letter.

The quizzes and the exercises of the lessons ask for answers like ``28``, ``(32, 32, 10)``,
``0.3``, ``[5, 6, 6, 6, 9, 9, 9]`` or ``"b"``.  Each answer has a right value and a table of
*mistakes*: the value a known misconception produces, with the message that names it
("the padding was counted once, on one side only").  :func:`check_answer` says which
one the student's answer is, or how far it is from the right one.

The verdict is printed (one line, ``✔`` or ``✘``) and returned as a :class:`Verdict`,
so a hidden test asserts ``verdict.correct`` and a class report counts ``verdict.mistake``.
"""
from __future__ import annotations

import numbers
from typing import Any, Callable, NamedTuple

import numpy as np

from ._report import SelfCheckError, agree, as_array, call, difference

__all__ = ["Mistake", "Verdict", "Part", "Exercise", "check_answer", "check_parts",
           "check_function", "same_answer", "normalise_answer"]


class Mistake(NamedTuple):
    """One known wrong answer: a short ``name``, the ``wrong`` value, the ``message``."""

    name: str
    wrong: Any
    message: str


class Verdict(NamedTuple):
    """The outcome of a check.

    ``correct`` is True for the right answer; ``mistake`` is the name of the recognised
    mistake (None when right or not recognised); ``message`` is what was printed.
    """

    correct: bool
    mistake: str | None
    message: str

    def __bool__(self):
        return self.correct


class Part(NamedTuple):
    """One thing a question asks: the ``right`` answer, its ``mistakes``, a ``rtol``."""

    right: object
    mistakes: tuple = ()
    rtol: float = 1e-9


class Exercise(NamedTuple):
    """An exercise: ``title``, the ``statement`` a notebook shows, and how it is checked.

    A value exercise has ``parts`` (name to :class:`Part`) and optional ``choices``
    (a word to the value it stands for); a function exercise has ``check``, the
    function that checks the student's function.  When the arguments of its cases are
    not plain data (arrays, numbers, strings: a torch module, say), ``cases_code`` is
    Python source that builds them: self-contained (it imports what it uses), it defines
    ``cases``, the ``(description, args)`` the check runs, in the check's order.  The
    course grader sends that text to the student's kernel instead of the arguments
    (:mod:`course_admin.checks.lessons`).
    """

    title: str
    statement: str
    parts: dict | None = None
    check: Callable | None = None
    choices: dict = {}
    cases_code: str | None = None


def normalise_answer(value, name="answer"):
    """``value`` as a comparable form: a float, a tuple of floats or a lower-case word.

    Parameters
    ----------
    value : int, float, str, tuple, list or ndarray
        A number, a shape or list of numbers, or a choice such as ``"b"``, ``"(b)"``.
    name : str
        Name used in the error message.

    Returns
    -------
    float, tuple of float or str

    Raises
    ------
    TypeError
        If ``value`` is none of these (a bool, a dict, None ...).
    """
    if isinstance(value, bool) or value is None:
        raise TypeError(f"{name} must be a number, a tuple of numbers or a choice string, "
                        f"got {value!r}")
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        word = value.strip().lower().strip("().[] ")
        return word
    if isinstance(value, (tuple, list, np.ndarray)):
        items = np.asarray(value)
        if items.dtype.kind not in "iuf":
            raise TypeError(f"{name} must hold numbers only, got {value!r}")
        return tuple(float(v) for v in items.ravel())
    raise TypeError(f"{name} must be a number, a tuple of numbers or a choice string, "
                    f"got {type(value).__name__}")


def same_answer(a, b, rtol=1e-9):
    """True if the normalised answers ``a`` and ``b`` agree (numbers within ``rtol``)."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=rtol, atol=0.0))
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and bool(np.allclose(a, b, rtol=rtol, atol=0.0))
    return False


def _generic(got, right, rtol):
    if isinstance(right, str):
        return "not the right choice; reread the options."
    if isinstance(right, float):
        if not isinstance(got, float):
            return "the answer is one number, not a list."
        if right == 0:
            return "not right."
        ratio = abs(got / right) if got else 0.0
        decades = np.log10(ratio) if ratio else 0.5
        hint = (" (off by a power of ten: check the units and the zeros)"
                if round(decades) != 0 and abs(decades - round(decades)) < 1e-9 else "")
        side = "too large" if got > right else "too small"
        return (f"{side} (relative error {abs(got - right) / abs(right):.2g}, "
                f"tolerance {rtol:g}){hint}.")
    if not isinstance(got, tuple):
        return f"the answer has {len(right)} numbers, got one."
    if len(got) != len(right):
        return f"the answer has {len(right)} numbers, got {len(got)}."
    first = next(i for i, (g, r) in enumerate(zip(got, right))
                 if not np.isclose(g, r, rtol=rtol, atol=0.0))
    return (f"entry {first} (counting from 0) is {_number(got[first])}, which is not "
            f"right.")


def check_answer(label, answer, right, mistakes=(), rtol=1e-9, quiet=False):
    """Say whether ``answer`` is ``right``, or which known mistake gives it.

    Parameters
    ----------
    label : str
        What is checked, e.g. ``"Quiz 02a.3, stride 2"``; starts each message.
    answer : number, tuple, list, ndarray or str
        The student's answer.
    right : number, tuple, list, ndarray or str
        The right answer.
    mistakes : sequence of Mistake
        Known wrong answers and what produces them.
    rtol : float
        Relative tolerance for numbers (e.g. 0.01 for an answer that is rounded).
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
        ``correct``, the recognised ``mistake`` name or None, and the ``message``.

    Examples
    --------
    >>> m = [Mistake("plus-one", 23, "the +1 of the formula is missing")]
    >>> check_answer("Output size", 23, 24, m).mistake
    ✘ Output size: 23 — the +1 of the formula is missing
    'plus-one'
    """
    if answer is None or answer is ...:
        message = f"{label}: no answer yet: replace None (or ...) by your answer."
        if not quiet:
            print("✘ " + message)
        return Verdict(False, "blank", message)
    got = normalise_answer(answer, "answer")
    want = normalise_answer(right, "right")
    shown = answer if isinstance(answer, str) else _shown(got)
    if same_answer(got, want, rtol):
        message = f"{label}: {shown} is right."
        if not quiet:
            print("✔ " + message)
        return Verdict(True, None, message)
    for mistake in mistakes:
        if same_answer(got, normalise_answer(mistake.wrong, "wrong"), rtol):
            message = f"{label}: {shown} — {mistake.message}"
            if not quiet:
                print("✘ " + message)
            return Verdict(False, mistake.name, message)
    message = f"{label}: {shown} — {_generic(got, want, rtol)}"
    if not quiet:
        print("✘ " + message)
    return Verdict(False, None, message)


def _number(v):
    return f"{int(v):,}" if float(v).is_integer() and abs(v) < 1e18 else f"{v:g}"


def _shown(got):
    if isinstance(got, float):
        return _number(got)
    return "(" + ", ".join(_number(g) for g in got) + ")"


def check_parts(label, table, given, choices=None, quiet=False):
    """Check answers given by part name against a table of :class:`Part`.

    Parameters
    ----------
    label : str
        Starts each message, e.g. ``"Quiz 02a.3"``.
    table : dict
        Part name to :class:`Part`; the part ``"answer"`` is shown without its name.
    given : dict
        Part name to the student's answer.
    choices : dict, optional
        A word (lower case) to the value it stands for, e.g. ``{"b": 3}``.
    quiet : bool
        If True, do not print.

    Returns
    -------
    list of Verdict
        One per part given.

    Raises
    ------
    ValueError
        If a part name is not in ``table``.
    """
    unknown = sorted(set(given) - set(table))
    if unknown:
        raise ValueError(f"{label} has no part {unknown[0]!r}; its parts: {', '.join(table)}")
    if not given:
        if not quiet:
            print(f"{label}: give " + ", ".join(f"{p}=..." for p in table))
        return []
    verdicts = []
    for name, answer in given.items():
        part = table[name]
        if isinstance(answer, str) and choices:
            key = answer.strip().lower().strip("().[] ")
            answer = choices.get(key, key)
        where = label if name == "answer" else f"{label}, {name}"
        verdicts.append(check_answer(where, answer, part.right, part.mistakes, part.rtol,
                                     quiet))
    return verdicts


def check_function(label, fn, cases, reference, mistakes=(), quiet=False):
    """Run the student's ``fn`` on ``cases``; compare with ``reference``; name a mistake.

    Parameters
    ----------
    label : str
        Starts each message, e.g. ``"Exercise 02b.2 (receptive_field)"``.
    fn : callable
        The student's function.
    cases : sequence of (str, tuple)
        A description and the arguments of each case, simplest first.
    reference : callable
        The right function; its result is an array or numbers of any shape.
    mistakes : sequence of Mistake
        ``wrong`` is a function of the same arguments giving what the mistake gives; the
        first that reproduces the student's result on a case names it.
    quiet : bool
        If True, do not print.

    Returns
    -------
    Verdict
        ``correct`` if every case agrees (rtol 1e-5, atol 1e-6), else the first failing
        case with the recognised mistake, or its shape or first differing element.
    """
    def verdict(ok, mistake, message):
        if not quiet:
            print(("✔ " if ok else "✘ ") + message)
        return Verdict(ok, mistake, message)

    if not callable(fn):
        raise TypeError(f"fn must be your function (callable), got {type(fn).__name__}")
    for number, (desc, args) in enumerate(cases, 1):
        case = f"{number} ({desc})"
        reference_result = np.asarray(reference(*args))
        try:
            # A count (an output size, a number of weights) may well come back as an integer.
            got = as_array(call(fn, label, case, *args), label, case,
                           integers=reference_result.dtype.kind in "biu")
        except SelfCheckError as exc:
            return verdict(False, "not written" if "not written" in str(exc) else "not an "
                           "array", str(exc))
        expected = np.asarray(reference_result, dtype=np.float64)
        if agree(got, expected):
            continue
        for mistake in mistakes:
            try:
                wrong = np.asarray(mistake.wrong(*args), dtype=np.float64)
            except ValueError:      # this mistake cannot happen on this case's shapes
                continue
            if not agree(wrong, expected) and agree(got, wrong):
                return verdict(False, mistake.name, f"{label}, case {case}: {mistake.message}")
        if got.shape != expected.shape:
            return verdict(False, None, f"{label}, case {case}: the result has shape "
                           f"{got.shape}, expected {expected.shape}.")
        return verdict(False, None, f"{label}, case {case}: "
                       f"{difference(got, expected, 'result')}")
    return verdict(True, None, f"{label}: all {len(cases)} cases agree.")
