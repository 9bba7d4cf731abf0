"""Grader-side checks of the tiny assignment the hostile-submission suite grades."""
import numpy as np
import scipy.signal

from course_admin.checks import Check

SQUARE_PROBE = """
def probe(G, inputs):
    return G["square"](inputs["x"])
"""


def _square_verify(inputs, outputs):
    mine = np.asarray(outputs)
    if mine.shape != inputs["x"].shape or not np.allclose(mine, inputs["x"] ** 2):
        raise AssertionError("square: wrong values")


CORR_PROBE = """
def probe(G, inputs):
    return G["correlate2d"](inputs["x"], inputs["k"])
"""


def _corr_inputs(rng):
    return {"x": rng.standard_normal(tuple(int(v) for v in rng.integers(5, 10, 2))),
            "k": rng.standard_normal(tuple(int(v) for v in rng.integers(2, 4, 2)))}


def _corr_verify(inputs, outputs):
    expected = scipy.signal.correlate2d(inputs["x"], inputs["k"], mode="valid")
    mine = np.asarray(outputs)
    if mine.shape != expected.shape or not np.allclose(mine, expected):
        raise AssertionError("correlate2d: wrong values")


CHECKS = [
    Check("test_square", SQUARE_PROBE,
          lambda rng: {"x": rng.standard_normal(int(rng.integers(3, 9)))}, _square_verify),
    Check("test_corr", CORR_PROBE, _corr_inputs, _corr_verify, ("correlate2d",)),
]
