"""cnnlib.viz.metrics: the figures build and show scikit-learn's numbers."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import sklearn.metrics as skm  # noqa: E402

from cnnlib import viz  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def predictions():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, 120)
    # Mostly right, with a bias towards confusing 1 with 2.
    y_pred = np.where(rng.random(120) < 0.7, y_true, rng.integers(0, 4, 120))
    y_pred[(y_true == 1) & (rng.random(120) < 0.3)] = 2
    probs = rng.dirichlet(np.ones(4), 120)
    probs[np.arange(120), y_pred] += 1.0
    probs /= probs.sum(axis=1, keepdims=True)
    return y_true, probs.argmax(axis=1), probs


def test_confusion_heat_map_shows_the_counts(predictions):
    y_true, y_pred, _ = predictions
    cm = skm.confusion_matrix(y_true, y_pred)
    names = ["cat", "dog", "fox", "owl"]
    fig = viz.plot_confusion_matrix(cm, class_names=names)
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == [str(v) for v in cm.ravel()]
    # The text of cell (i, j) sits at x = j (predicted), y = i (true).
    assert [t.get_position() for t in ax.texts][1] == (1, 0)
    assert [t.get_text() for t in ax.get_yticklabels()] == names
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"


def test_confusion_heat_map_normalised_rows(predictions):
    y_true, y_pred, _ = predictions
    cm = skm.confusion_matrix(y_true, y_pred)
    fig = viz.plot_confusion_matrix(cm, normalize="true")
    expected = skm.confusion_matrix(y_true, y_pred, normalize="true")
    assert [t.get_text() for t in fig.axes[0].texts] == [f"{v:.2f}" for v in expected.ravel()]


def test_per_class_bars_are_sklearn_precision_and_recall(predictions):
    y_true, y_pred, _ = predictions
    fig = viz.plot_per_class_metrics(y_true, y_pred)
    bars = fig.axes[0].containers
    np.testing.assert_allclose([b.get_height() for b in bars[0]],
                               skm.precision_score(y_true, y_pred, average=None))
    np.testing.assert_allclose([b.get_height() for b in bars[1]],
                               skm.recall_score(y_true, y_pred, average=None))


def test_precision_recall_plot_has_sklearn_curves_and_ap(predictions):
    y_true, _, probs = predictions
    curves = {f"class {c}": (y_true == c, probs[:, c]) for c in range(4)}
    fig = viz.plot_precision_recall(curves)
    ax = fig.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    for c, line in enumerate(ax.get_lines()):
        precision, recall, _ = skm.precision_recall_curve(y_true == c, probs[:, c])
        np.testing.assert_allclose(line.get_xdata(), recall)
        np.testing.assert_allclose(line.get_ydata(), precision)
        ap = skm.average_precision_score(y_true == c, probs[:, c])
        assert legend[c] == f"class {c} (AP {ap:.3f})"


def test_confident_mistakes_grid(predictions):
    y_true, y_pred, probs = predictions
    images = np.random.default_rng(1).random((120, 1, 8, 8))
    fig = viz.show_confident_mistakes(images, y_true, probs, k=5, class_names="abcd")
    titles = [ax.get_title() for ax in fig.axes if ax.get_images()]
    assert len(titles) == 5
    confidences = [float(t.split("\n")[1]) for t in titles]
    assert confidences == sorted(confidences, reverse=True)
    wrong = y_pred != y_true
    assert confidences[0] == pytest.approx(probs[wrong].max(), abs=0.005)


def test_confused_pairs_grid(predictions):
    y_true, y_pred, _ = predictions
    images = np.random.default_rng(1).random((120, 1, 8, 8))
    pairs = [(1, 2, int(np.sum((y_true == 1) & (y_pred == 2))))]
    fig = viz.show_confused_pairs(images, y_true, y_pred, pairs, per_pair=4)
    assert sum(bool(ax.get_images()) for ax in fig.axes) == min(4, pairs[0][2])


def test_errors():
    with pytest.raises(ValueError, match=r"cm must be a square \(C, C\)"):
        viz.plot_confusion_matrix(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="class_names has 2 names for 3 classes"):
        viz.plot_confusion_matrix(np.eye(3), class_names=["a", "b"])
    with pytest.raises(ValueError, match="curves is empty"):
        viz.plot_precision_recall({})
    with pytest.raises(ValueError, match="no mistakes"):
        viz.show_confident_mistakes(np.zeros((2, 1, 4, 4)), [0, 1], np.eye(2))


# --- contrast of the numbers on a confusion matrix (WCAG 2, computed here from its definition)

def wcag_luminance(rgb):
    """Relative luminance by the WCAG 2 definition (w3.org/TR/WCAG20/#relativeluminancedef)."""
    def linear(c):
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def wcag_contrast(a, b):
    """Contrast ratio (lighter + 0.05) / (darker + 0.05) (w3.org/TR/WCAG20/#contrast-ratiodef)."""
    la, lb = sorted((wcag_luminance(a), wcag_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def annotation_contrasts(fig):
    """The contrast of every number against the colour of the cell it is written on."""
    ax = fig.axes[0]
    image = ax.images[0]
    values = image.get_array()
    contrasts = []
    for text in ax.texts:
        j, i = (int(round(v)) for v in text.get_position())
        cell = image.cmap(image.norm(values[i, j]))
        contrasts.append(wcag_contrast(matplotlib.colors.to_rgb(text.get_color()), cell))
    assert len(contrasts) == values.size
    return contrasts


def test_wcag_contrast_matches_published_values():
    assert wcag_contrast((0, 0, 0), (1, 1, 1)) == pytest.approx(21)
    assert wcag_contrast((1, 1, 1), (1, 1, 1)) == pytest.approx(1)
    # #767676 on white is the lightest grey that passes 4.5:1 (4.54, WebAIM's checker).
    grey = matplotlib.colors.to_rgb("#767676")
    assert wcag_contrast(grey, (1, 1, 1)) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("cmap", ["Blues", "viridis", "magma", "Greys", "cividis", "RdBu_r"])
@pytest.mark.parametrize("normalize", [None, "true"])
def test_confusion_matrix_numbers_contrast_with_their_cells(cmap, normalize):
    rng = np.random.default_rng(1)
    # Counts from 0 to a large diagonal: every shade of the colour map occurs.
    cm = rng.integers(0, 60, (8, 8)) + np.diag(rng.integers(100, 900, 8))
    cm[0, :] = np.arange(0, 800, 100)
    fig = viz.plot_confusion_matrix(cm, normalize=normalize, cmap=cmap)
    assert min(annotation_contrasts(fig)) >= 4.5


def test_the_contrast_check_rejects_always_white_text():
    cm = np.array([[50, 1, 0], [2, 40, 8], [0, 5, 45]])
    fig = viz.plot_confusion_matrix(cm)
    for text in fig.axes[0].texts:
        text.set_color("white")          # the bug: white numbers on light blue cells
    assert min(annotation_contrasts(fig)) < 4.5


def test_readable_text_color_and_luminance():
    assert viz.relative_luminance("white") == pytest.approx(1)
    assert viz.relative_luminance("black") == pytest.approx(0)
    for color in ["#0072B2", "#E69F00", "#F0E442", "#08306b", "#f7fbff", "#777777"]:
        rgb = matplotlib.colors.to_rgb(color)
        assert viz.relative_luminance(color) == pytest.approx(wcag_luminance(rgb), abs=1e-4)
        chosen = matplotlib.colors.to_rgb(viz.readable_text_color(color))
        assert wcag_contrast(chosen, rgb) >= 4.5
