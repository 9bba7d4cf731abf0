"""Every lesson ends with exercises and every quiz with one right answer has a check.

The acceptance of the exercises work, read from the notebooks themselves:

* each lesson notebook (``notebooks/NN*.ipynb``) is generated from an instructor source and
  has at least three ``**Exercise L.k**`` cells, and every exercise defined for the lesson
  in :mod:`cnnlib.selfcheck` is placed in it (none defined and left out);
* every quiz of a lesson has a check in :mod:`cnnlib.selfcheck.quiz`, or is listed below
  as an open question, with the reason it has no single answer to check;
* each slip of the source decks that the course corrects (and each item they pose that the
  course used to leave out) is an exercise of the lesson it belongs to.
"""
import json
import re
from pathlib import Path

import pytest

from cnnlib.selfcheck.exercises import EXERCISES, exercises_of
from cnnlib.selfcheck.quiz import QUIZZES

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted((REPO / "notebooks").glob("[0-9][0-9]*.ipynb"))
EXERCISE = re.compile(r"\*\*Exercise (\d\d[a-z]?\.\d+)\*\*")
QUIZ = re.compile(r"\*\*Quiz (\d\d[a-z]?\.\d+)\*\*")

# Quizzes whose answer is an explanation, not a number or a choice: no check can say
# "right" to them, so their folded answer is the feedback.
OPEN_QUIZZES = {
    "00.1": "reproducible runs: what to do, and why the numbers differ",
    "00.2": "where the data comes from: a description of the offline path",
    "01a.3": "symmetric kernels: a property to state (180-degree symmetry)",
    "01b.4": "Haar stride: why stride 2, in words",
    "02b.3": "pooling size and L2 pooling: the rule and the quantity in words "
             "(Exercise 02b.3 checks the size with numbers)",
    "03.1": "the sigmoid's derivative: where the factor went, in words",
    "03.4": "the L2 penalty: what the kernel would look like",
    "03.5": "why PyTorch is faster: two reasons to name",
    "04c.2": "filter normalisation: why, in words",
    "04d.1": "bias before batch norm: why, in words",
    "04d.2": "batch norm in eval mode: a formula to write",
    "05b.1": "AP and the confusion matrix: why, in words",
    "06a.1": "transposed convolution: why, in words",
    "06a.4": "distance maps: what a network must learn, in words",
    "06b.1": "the shuffled LeNet-5: how, in words",
    "06b.2": "the switches: why, in words",
    "06b.3": "whitening before ICA: why, and what PCA gives",
    "07.1": "preprocessing: what happens to the features, in words",
    "07.2": "probe or fine-tune: a choice to argue for, more than one defensible",
    "07.3": "frozen BatchNorm: what would change, in words",
    "08.1": "choosing augmentations: a judgement per data set, with reasons",
    "08.2": "Grad-CAM's ReLU: why, and what the negative part shows",
    "08.3": "which layer: a prediction about maps, in words",
    "09.1": "why the sign: a comparison of two steps, in words",
    "09.2": "reading the figure: what is wrong with a conclusion",
    "09.3": "the price: the cost and the evaluation, in words",
    "10.3": "no NMS?: two cases to construct",
}

# The slips (issue list of the source decks) and the exercise that makes a student find each.
SLIPS = {
    # the slips: (exercise, a phrase of its statement that quotes the slip)
    "cost O~(w + h) instead of O(w h k^2 c_in c_out)": ("04a.1", "O~(w + h)"),
    "a channel sum from i = 0 to c_i": ("01b.2", "sum_{i=0}^{c_i}"),
    "p = 0 the most common option": ("02a.3", "p = 0, is the most common option"),
    "MobileNet with 2/3 fewer parameters than GoogLeNet": ("04c.1", "2/3 fewer parameters"),
    "an Inception branch 192 -> 16 -> 3x3 -> 128": ("04b.1", "192 -> 1x1 -> 16 -> 3x3 -> 128"),
    "generic deep networks beyond depth two": ("04c.4", "beyond depth two"),
    "a sum from -M/2 to M/2 with M + 1 taps": ("01a.2", "M/2"),
    # what the sources pose and the course used to leave out
    "the Laplacian: averaging or derivative?": ("01a.3", "Laplacian"),
    "common settings F3 S1 P1, F5 S1 P2, F1 S1 P0, pooling F2 S2 and F3 S2":
        ("02a.2", "F = 3, S = 1, P = 1"),
    "max pooling of [[6, 8], [3, 4]]-style blocks by hand": ("02b.1", "[[6, 8], [3, 4]]"),
    "He initialisation and the plain deep net it rescues": ("04b.2", "30-layer"),
}


def markdown(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]


def lesson_id(path):
    return path.stem.split("_")[0]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_the_lesson_has_a_source_and_at_least_three_exercises(path):
    assert (REPO / "notebooks" / "source" / path.name).exists(), \
        f"{path.name} has no instructor source in notebooks/source/"
    placed = [m for text in markdown(path) for m in EXERCISE.findall(text)
              if text.startswith(f"**Exercise {m}**")]
    assert len(placed) >= 3, f"{path.name}: {len(placed)} exercises"
    assert placed == exercises_of(lesson_id(path)), \
        "the exercises defined for the lesson, each placed once, in order"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_every_quiz_has_a_check_or_is_an_open_question(path):
    quizzes = [m for text in markdown(path) for m in QUIZ.findall(text)
               if text.startswith(f"**Quiz {m}**")]
    unchecked = [q for q in quizzes if q not in QUIZZES and q not in OPEN_QUIZZES]
    assert not unchecked, f"quizzes with neither a check nor a reason: {unchecked}"
    stale = [q for q in OPEN_QUIZZES if q.split(".")[0] == lesson_id(path) and q not in quizzes]
    assert not stale, f"listed as open but not in the notebook: {stale}"
    both = [q for q in OPEN_QUIZZES if q in QUIZZES]
    assert not both, f"listed as open but checked: {both}"


@pytest.mark.parametrize("slip", sorted(SLIPS))
def test_each_slip_of_the_sources_is_an_exercise(slip):
    exercise_id, phrase = SLIPS[slip]
    lesson = next(p for p in LESSONS if lesson_id(p) == exercise_id.split(".")[0])
    cell = next((t for t in markdown(lesson) if t.startswith(f"**Exercise {exercise_id}**")), None)
    assert cell is not None, f"{slip}: Exercise {exercise_id} is not in {lesson.name}"
    assert phrase in cell, f"{slip}: Exercise {exercise_id} does not state it ({phrase!r})"
    assert exercise_id in EXERCISES
