"""cnnlib.metrics' calibration tools against scikit-learn, PyTorch and hand-counted cases."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.calibration import calibration_curve as sk_calibration_curve

from cnnlib import metrics

# Probabilities on a coarse grid, so that many fall exactly on bin edges (0.1, 0.2, ...).
GRID_PROBS = st.sampled_from([0.0, 0.05, 0.1, 0.2, 0.25, 0.3, 0.5, 0.7, 0.75, 0.9, 1.0])


@st.composite
def binary_probs(draw):
    n = draw(st.integers(2, 50))
    y_true = draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1)))
    probs = draw(hnp.arrays(np.float64, n, elements=st.one_of(
        GRID_PROBS, st.floats(0, 1, allow_nan=False))))
    return y_true, probs


@settings(deadline=None)
@given(binary_probs(), st.integers(1, 12), st.sampled_from(["uniform", "quantile"]))
def test_calibration_curve_equals_sklearn(case, n_bins, strategy):
    y_true, probs = case
    y_true[0], y_true[1] = 0, 1              # scikit-learn wants both classes
    want_true, want_pred = sk_calibration_curve(y_true, probs, n_bins=n_bins, strategy=strategy)
    got_true, got_pred = metrics.calibration_curve(y_true, probs, n_bins=n_bins,
                                                   strategy=strategy)
    np.testing.assert_allclose(got_true, want_true, rtol=0, atol=1e-12)
    np.testing.assert_allclose(got_pred, want_pred, rtol=0, atol=1e-12)


def ece_loop(y_true, probs, n_bins):
    """Guo et al.'s ECE written as their formula reads: bin (m-1)/M < conf <= m/M, one at a time."""
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y_true
    total = 0.0
    for m in range(1, n_bins + 1):
        low, high = (m - 1) / n_bins, m / n_bins
        inside = (confidence > low) & (confidence <= high)
        if m == 1:
            inside |= confidence == 0
        if inside.any():
            total += inside.sum() / len(y_true) * abs(correct[inside].mean()
                                                      - confidence[inside].mean())
    return total


@settings(deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 6), st.integers(1, 20))
def test_ece_equals_direct_loop(seed, num_classes, n_bins):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    logits = rng.normal(scale=3.0, size=(n, num_classes))
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y_true = rng.integers(0, num_classes, n)
    assert metrics.expected_calibration_error(y_true, probs, n_bins=n_bins) == pytest.approx(
        ece_loop(y_true, probs, n_bins), abs=1e-12)


def test_ece_hand_counted():
    # Two bins [0, .5], (.5, 1].  Bin 2 holds confidences 0.6, 0.8, 0.9, 1.0 (mean 0.825),
    # three of them right (acc 0.75); bin 1 holds one sample of confidence 0.5, wrong.
    # ECE = 4/5 * |0.75 - 0.825| + 1/5 * |0 - 0.5| = 0.06 + 0.1 = 0.16
    probs = np.array([[0.6, 0.4], [0.2, 0.8], [0.9, 0.1], [0.0, 1.0], [0.5, 0.5]])
    y_true = np.array([0, 1, 1, 1, 1])
    assert metrics.expected_calibration_error(y_true, probs, n_bins=2) == pytest.approx(0.16)
    # Binary form: probabilities of the positive class against the fraction of positives.
    # Bin (.5, 1]: p = 0.8, 1.0, labels 1, 1 -> |1 - 0.9| * 2/4; bin [0, .5]: p = 0.1, 0.5,
    # labels 0, 1 -> |0.5 - 0.3| * 2/4.  ECE = 0.05 + 0.1 = 0.15
    assert metrics.expected_calibration_error([1, 1, 0, 1], [0.8, 1.0, 0.1, 0.5],
                                              n_bins=2) == pytest.approx(0.15)
    # Binary ECE is the size-weighted gap of the reliability diagram's points.
    frac, mean = metrics.calibration_curve([1, 1, 0, 1], [0.8, 1.0, 0.1, 0.5], n_bins=2)
    np.testing.assert_allclose(frac, [0.5, 1.0])
    np.testing.assert_allclose(mean, [0.3, 0.9])


def torch_temperature(logits, y_true):
    """T from PyTorch: LBFGS on log T of the cross-entropy of logits / T."""
    z = torch.tensor(logits, dtype=torch.float64)
    y = torch.tensor(y_true)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=0.5, max_iter=200, tolerance_grad=1e-12,
                            tolerance_change=1e-14, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(z / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.detach().exp())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fit_temperature_equals_torch(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 5, 300)
    logits = rng.normal(size=(300, 5)) + 2.0 * np.eye(5)[y_true] * rng.uniform(0.5, 4)
    assert metrics.fit_temperature(logits, y_true) == pytest.approx(
        torch_temperature(logits, y_true), rel=1e-5)


def test_fit_temperature_recovers_known_temperature():
    # Labels drawn from softmax(z): z are the logits of a calibrated model (T = 1).
    # Multiplying them by 3 makes it over-confident; T ~= 3 undoes it.
    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=(20000, 4))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    y_true = (rng.random((len(z), 1)) > p.cumsum(axis=1)).sum(axis=1)
    assert metrics.fit_temperature(3.0 * z, y_true) == pytest.approx(3.0, rel=0.05)
    assert metrics.fit_temperature(z, y_true) == pytest.approx(1.0, rel=0.05)
    assert metrics.fit_temperature(z / 2.0, y_true) == pytest.approx(0.5, rel=0.05)


def test_temperature_scaling_lowers_ece_and_keeps_argmax():
    rng = np.random.default_rng(1)
    z = rng.normal(scale=2.0, size=(5000, 4))
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    y_true = (rng.random((len(z), 1)) > p.cumsum(axis=1)).sum(axis=1)
    hot = 3.0 * z

    def softmax(a):
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    t = metrics.fit_temperature(hot, y_true)
    before = metrics.expected_calibration_error(y_true, softmax(hot))
    after = metrics.expected_calibration_error(y_true, softmax(hot / t))
    assert after < before / 3
    np.testing.assert_array_equal(softmax(hot / t).argmax(1), hot.argmax(1))


@pytest.mark.parametrize("call, match", [
    (lambda: metrics.calibration_curve([0, 1], [0.2, 1.5]), "y_prob"),
    (lambda: metrics.calibration_curve([0, 2], [0.2, 0.5]), "y_true"),
    (lambda: metrics.calibration_curve([0, 1], [0.2, 0.5], n_bins=0), "n_bins"),
    (lambda: metrics.calibration_curve([0, 1], [0.2, 0.5], strategy="equal"), "strategy"),
    (lambda: metrics.calibration_curve([0, 1, 1], [0.2, 0.5]), "same length"),
    (lambda: metrics.expected_calibration_error([0, 1], [[0.5, 0.5]]), "same length"),
    (lambda: metrics.expected_calibration_error([0, 3], [[0.5, 0.5]] * 2), "columns"),
    (lambda: metrics.expected_calibration_error([0, 1], [[0.5, 0.5]] * 2, n_bins=0), "n_bins"),
    (lambda: metrics.fit_temperature(np.zeros(3), [0, 1, 1]), "logits"),
    (lambda: metrics.fit_temperature(np.zeros((3, 2)), [0, 1]), "same length"),
    (lambda: metrics.fit_temperature(np.full((2, 2), np.nan), [0, 1]), "logits"),
])
def test_bad_arguments_name_the_parameter(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
