"""Tests of the checks of Exercises 05a.2, 05a.3 and 05b.1 (lessons 05a and 05b).

Right answers come from scikit-learn (labels rebuilt from the confusion matrix, or the
ranked list with decreasing scores); each buggy answer is written as a student would write
it, independently of the check's own table of mistakes. The tables RIGHT_FUNCTIONS,
BUGGY_FUNCTIONS, RIGHT and WRONG are also read by test_selfcheck_exercises.py, whose
bookkeeping tests require every exercise of lessons 01a-05b and every named mistake to be
fed its answer.
"""
import numpy as np
import pytest
from sklearn.metrics import (average_precision_score, confusion_matrix, f1_score,
                             precision_score, recall_score, roc_curve)

from cnnlib.selfcheck.exercises import EXERCISES, check_exercise, exercises_of

CM = np.array([[38, 11, 6], [1, 10, 6], [0, 8, 10]])       # Exercise 05a.3's matrix
RANKED = np.array([1, 0, 1, 1, 0, 0, 1, 0])                 # Exercise 05b.1's list


def labels_from(cm):
    """y_true, y_pred with the confusion matrix cm (rows true, columns predicted)."""
    cm = np.asarray(cm)
    pairs = [(i, j) for i in range(len(cm)) for j in range(len(cm)) for _ in range(cm[i, j])]
    y_true, y_pred = map(np.array, zip(*pairs))
    assert np.array_equal(confusion_matrix(y_true, y_pred, labels=range(len(cm))), cm)
    return y_true, y_pred


# --------------------------------------------------------------------------- 05a.2
def class_rates_sklearn(cm, c):
    y_true, y_pred = labels_from(cm)
    yes_true, yes_pred = (y_true == c).astype(int), (y_pred == c).astype(int)
    return (precision_score(yes_true, yes_pred), recall_score(yes_true, yes_pred),
            recall_score(yes_true, yes_pred, pos_label=0))


def transposed(cm, c):        # reads the columns as the truth
    cm = np.asarray(cm)
    tp = cm[c, c]
    return tp / cm[c, :].sum(), tp / cm[:, c].sum(), 1 - (cm[c, :].sum() - tp) / (
        cm.sum() - cm[:, c].sum())


def diagonal_only(cm, c):     # true negatives = the other classes recognised
    cm = np.asarray(cm)
    fp = cm[:, c].sum() - cm[c, c]
    tn = sum(cm[k, k] for k in range(len(cm)) if k != c)
    precision, recall, _ = class_rates_sklearn(cm, c)
    return precision, recall, tn / (tn + fp)


def npv(cm, c):               # TN / (TN + FN)
    y_true, y_pred = labels_from(cm)
    yes_true, yes_pred = (y_true == c).astype(int), (y_pred == c).astype(int)
    precision, recall, _ = class_rates_sklearn(cm, c)
    return precision, recall, precision_score(yes_true, yes_pred, pos_label=0)


def false_positive_rate(cm, c):
    precision, recall, specificity = class_rates_sklearn(cm, c)
    return precision, recall, 1 - specificity


BUGGY = [("transposed", transposed), ("diagonal only", diagonal_only),
         ("negative predictive value", npv), ("false positive rate", false_positive_rate)]
RIGHT_FUNCTIONS = {"05a.2": class_rates_sklearn}
BUGGY_FUNCTIONS = [("05a.2", name, buggy) for name, buggy in BUGGY]


def test_class_rates_accepts_scikit_learn(capsys):
    verdict = check_exercise("05a.2", class_rates_sklearn)
    assert verdict.correct, verdict.message
    assert capsys.readouterr().out.startswith("✔")


@pytest.mark.parametrize("name, buggy", BUGGY, ids=[n for n, _ in BUGGY])
def test_class_rates_names_the_mistake(name, buggy, capsys):
    verdict = check_exercise("05a.2", buggy)
    assert not verdict.correct
    assert verdict.mistake == name, verdict.message
    assert capsys.readouterr().out.startswith("✘")


def test_numpy_scalars_as_the_grader_sends_them_back_are_accepted():
    # The course grader returns a NumPy scalar from the student's kernel as a one-element
    # array (np.ascontiguousarray gives ndim >= 1): a tuple of them is the same answer.
    def as_sent(fn):
        return lambda *args: tuple(np.ascontiguousarray(v) for v in fn(*args))

    def roc_point_sklearn(y_true, y_score, threshold):
        fpr, tpr, thresholds = roc_curve(y_true, y_score, drop_intermediate=False)
        i = np.flatnonzero(thresholds >= threshold)[-1]
        return fpr[i], tpr[i]

    assert check_exercise("05a.2", as_sent(class_rates_sklearn), quiet=True).correct
    assert check_exercise("05a.2", as_sent(transposed), quiet=True).mistake == "transposed"
    assert check_exercise("05b.2", as_sent(roc_point_sklearn), quiet=True).correct
    with pytest.raises(TypeError, match="class_rates must be your function"):
        check_exercise("05a.2", (0.5, 0.5, 0.5))


def test_class_rates_stub_and_unknown_mistake():
    def stub(cm, c):
        raise NotImplementedError("use the row and the column of class c")

    assert check_exercise("05a.2", stub, quiet=True).mistake == "not written"
    verdict = check_exercise("05a.2", lambda cm, c: np.array(class_rates_sklearn(cm, c)) * 0.9,
                             quiet=True)
    assert not verdict.correct and verdict.mistake is None


# --------------------------------------------------------------------------- 05a.3, 05b.1
def _macro_f1_of_averages():
    y_true, y_pred = labels_from(CM)
    p = precision_score(y_true, y_pred, average="macro")
    r = recall_score(y_true, y_pred, average="macro")
    return 2 * p * r / (p + r)


Y_TRUE, Y_PRED = labels_from(CM)
SCORES = np.arange(len(RANKED), 0, -1)                       # most confident first


def _precision_at_ranks():
    return np.cumsum(RANKED) / np.arange(1, len(RANKED) + 1)


RIGHT = [
    ("05a.3", "macro", f1_score(Y_TRUE, Y_PRED, average="macro")),
    ("05a.3", "micro", f1_score(Y_TRUE, Y_PRED, average="micro")),
    ("05b.1", "ap", average_precision_score(RANKED, SCORES)),
    # a student's rounding to 3 decimals is accepted
    ("05a.3", "macro", round(f1_score(Y_TRUE, Y_PRED, average="macro"), 3)),
    ("05b.1", "ap", round(average_precision_score(RANKED, SCORES), 3)),
]

WRONG = [
    ("05a.3", "macro", _macro_f1_of_averages(), "F1 of the averages"),
    ("05a.3", "macro", f1_score(Y_TRUE, Y_PRED, average="weighted"), "weighted"),
    ("05a.3", "macro", np.mean(Y_TRUE == Y_PRED), "micro"),
    ("05a.3", "micro", f1_score(Y_TRUE, Y_PRED, average="macro"), "macro"),
    ("05a.3", "micro", f1_score(Y_TRUE, Y_PRED, average="weighted"), "weighted"),
    # PASCAL VOC's all-point interpolation: the best precision at that rank or later
    ("05b.1", "ap", np.mean([_precision_at_ranks()[k:].max() for k in np.flatnonzero(RANKED)]),
     "interpolated"),
    ("05b.1", "ap", np.mean(_precision_at_ranks()), "every rank"),
    ("05b.1", "ap", _precision_at_ranks()[RANKED == 1].sum() / len(RANKED), "list length"),
]


@pytest.mark.parametrize("exercise, part, right", RIGHT,
                         ids=[f"{e}-{p}-{i}" for i, (e, p, _) in enumerate(RIGHT)])
def test_value_exercise_accepts_scikit_learn(exercise, part, right, capsys):
    verdict = check_exercise(exercise, **{part: right})[0]
    assert verdict.correct, verdict.message
    assert capsys.readouterr().out.startswith("✔")


@pytest.mark.parametrize("exercise, part, wrong, name", WRONG,
                         ids=[f"{e}-{p}-{n}" for e, p, _, n in WRONG])
def test_value_exercise_names_the_mistake(exercise, part, wrong, name):
    verdict = check_exercise(exercise, **{part: wrong})[0]
    assert not verdict.correct
    assert verdict.mistake == name, verdict.message


def test_every_value_mistake_is_tested_and_the_statement_gives_the_data():
    tested = {(e, p, n) for e, p, _, n in WRONG}
    for exercise_id in ("05a.3", "05b.1"):
        for part, spec in EXERCISES[exercise_id].parts.items():
            assert len(spec.mistakes) >= 2
            assert {(exercise_id, part, m.name) for m in spec.mistakes} <= tested
    assert str(CM.tolist()) in EXERCISES["05a.3"].statement
    assert "1st, 3rd, 4th and 7th" in EXERCISES["05b.1"].statement and sum(RANKED) == 4


def test_each_half_has_three_exercises():
    assert exercises_of("05a") == ["05a.1", "05a.2", "05a.3"]
    assert exercises_of("05b") == ["05b.1", "05b.2", "05b.3"]
    assert exercises_of("05") == []
