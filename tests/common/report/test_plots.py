"""Tests for common.plots: every plot returns a Figure with the expected axes and lines."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from common.report import plots


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def solid_and_dashed(ax):
    return [line.get_linestyle() for line in ax.get_lines()]


def test_learning_curves_pairs_train_and_validation_per_metric():
    history = {
        "loss": [1.0, 0.6, 0.4],
        "val_loss": [1.1, 0.7, 0.6],
        "accuracy": [0.5, 0.7, 0.8],
        "val_accuracy": [0.45, 0.65, 0.7],
        "learning_rate": [1e-3, 1e-3, 5e-4],
        "epoch_time": [3.0, 2.9, 3.1],
    }
    figure = plots.learning_curves(history, title="demo")
    assert isinstance(figure, Figure)
    assert len(figure.axes) == 2
    for ax in figure.axes:
        assert solid_and_dashed(ax) == ["-", "--"]
        assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]  # epochs count from 1
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy"]


def test_learning_curves_best_epoch_marker_and_opt_in_keys():
    history = {"accuracy": [0.5, 0.6], "loss": [1.0, 0.9], "learning_rate": [0.1, 0.05]}
    figure = plots.learning_curves(history, best_epoch=2, include=("learning_rate",))
    assert [ax.get_title() for ax in figure.axes] == ["loss", "accuracy", "learning rate"]
    marker = figure.axes[0].get_lines()[-1]
    assert list(marker.get_xdata()) == [2, 2]  # a vertical line at the best epoch
    assert len(plots.learning_curves({}).axes) == 1  # an empty history still gives a figure


def test_compare_curves_line_plot_histogram():
    figure = plots.compare_curves({"SGD": [1, 0.8, 0.7], "Adam": [1, 0.5, 0.3]}, "loss", log_y=True)
    assert len(figure.axes) == 1 and len(figure.axes[0].get_lines()) == 2
    assert figure.axes[0].get_yscale() == "log"
    figure = plots.line_plot(
        [0, 0.1, 0.2], {"plain": [0.9, 0.5, 0.2], "robust": [0.9, 0.8, 0.7]}, "epsilon", "accuracy"
    )
    assert len(figure.axes[0].get_lines()) == 2
    figure = plots.histogram(np.random.default_rng(0).normal(size=500), bins=20, xlabel="error")
    assert len(figure.axes[0].patches) == 20


def test_confusion_matrix_heatmap_annotations():
    matrix = np.array([[8, 2], [1, 9]])
    figure = plots.confusion_matrix(matrix, ["cat", "dog"])
    assert len(figure.axes) == 2  # the heatmap and its colour bar
    texts = sorted(text.get_text() for text in figure.axes[0].texts)
    assert texts == sorted(["80%", "20%", "10%", "90%"])
    figure = plots.confusion_matrix(matrix, ["cat", "dog"], normalize=False)
    assert sorted(text.get_text() for text in figure.axes[0].texts) == ["1", "2", "8", "9"]


def test_bar_chart_and_scatter():
    figure = plots.bar_chart(
        ["a", "b", "c"], [0.8, 0.85, 0.9], "accuracy", annotations=["1k params", "2k", "3k"]
    )
    ax = figure.axes[0]
    assert len(ax.patches) == 3
    assert [text.get_text() for text in ax.texts] == ["1k params", "2k", "3k"]
    with pytest.raises(ValueError):
        plots.bar_chart(["a"], [1.0], "y", annotations=["x", "y"])
    points = np.random.default_rng(0).normal(size=(30, 2))
    figure = plots.scatter_2d(points, np.arange(30) % 3, ["zero", "one", "two"])
    assert len(figure.axes[0].collections) == 3


def test_confusion_counts_by_hand():
    counts = plots.confusion_counts([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], num_classes=3)
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_array_equal(counts, expected)
    assert counts.sum() == 6
    with pytest.raises(ValueError):
        plots.confusion_counts([0, 3], [0, 1], num_classes=3)


def test_xy_curves_each_series_with_its_own_x_and_a_reference_line():
    figure = plots.xy_curves(
        {"curriculum": ([1.0, 2.5], [0.6, 0.8]), "random": ([2.0, 4.0, 6.0], [0.5, 0.7, 0.8])},
        "wall time (s)",
        "validation accuracy",
        log_y=True,
        reference=(0.75, "target"),
    )
    ax = figure.axes[0]
    assert [len(line.get_xdata()) for line in ax.get_lines()] == [2, 3, 2]
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "wall time (s)"
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "curriculum",
        "random",
        "target",
    ]
