"""The handful of plots every project's report needs, each returned as a matplotlib Figure.

The Agg backend draws into memory without a screen, so plotting works on servers and in tests.
Pass the figure to `Report.add_figure`, which embeds it as a PNG and closes it.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# Per-epoch values that are not a train/validation metric pair; plotted only when asked.
NOT_METRICS = {
    "learning_rate",
    "lr",
    "gradient_norm",
    "grad_norm",
    "epoch_time",
    "time",
    "elapsed_time",
    "steps_per_second",
    "samples_per_second",
}


def learning_curves(history, title="", best_epoch=None, include=()):
    """One panel per metric: train (solid) and validation (dashed, `val_` prefix) per epoch.

    `best_epoch` (counted from 1, like the x axis) draws a vertical line where early stopping
    found the best model. Keys such as "learning_rate" are skipped unless named in `include`.
    """
    families = []
    for key in history:
        name = key[4:] if key.startswith("val_") else key
        if (name in NOT_METRICS or key in NOT_METRICS) and key not in include:
            continue
        if name not in families:
            families.append(name)
    families.sort(key=lambda name: name != "loss")  # loss first, the others in their order
    count = max(1, len(families))
    figure, axes = plt.subplots(1, count, figsize=(1 + 4.6 * count, 3.8), squeeze=False)
    axes = axes[0]
    if not families:
        axes[0].text(0.5, 0.5, "no history recorded", ha="center", va="center")
        axes[0].set_axis_off()
    for ax, name in zip(axes, families, strict=False):
        for key, style, label in ((name, "-", "train"), (f"val_{name}", "--", "validation")):
            values = history.get(key)
            if values is not None and len(values):
                epochs = np.arange(1, len(values) + 1)
                ax.plot(epochs, np.asarray(values, dtype=float), style, marker=".", label=label)
        if best_epoch is not None:
            ax.axvline(best_epoch, color="gray", linestyle=":", label=f"best epoch ({best_epoch})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name.replace("_", " "))
        ax.set_title(name.replace("_", " "))
        _integer_epochs(ax)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def compare_curves(curves, ylabel, title="", xlabel="epoch", log_y=False):
    """Several runs' curves on one axes, e.g. the training loss of SGD against Adam."""
    figure, ax = plt.subplots(figsize=(6, 4))
    for label, values in curves.items():
        ax.plot(
            np.arange(1, len(values) + 1),
            np.asarray(values, dtype=float),
            marker=".",
            label=str(label),
        )
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if xlabel == "epoch":
        _integer_epochs(ax)
    _finish(ax, title, legend=bool(curves))
    return figure


def confusion_matrix(matrix, class_names, normalize=True, title=""):
    """A heatmap of true (rows) against predicted (columns) classes.

    With `normalize`, each row is divided by its total, so the diagonal reads as per-class recall
    and cells show percentages; otherwise cells show counts.
    """
    counts = np.asarray(matrix, dtype=float)
    shown = counts
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        shown = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
    size = len(class_names)
    side = min(3 + 0.4 * size, 9)
    figure, ax = plt.subplots(figsize=(side + 1, side))
    image = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(size), [str(name) for name in class_names], rotation=45, ha="right")
    ax.set_yticks(range(size), [str(name) for name in class_names])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if size <= 20:  # beyond that the numbers would not fit in the cells
        threshold = shown.max() / 2 if shown.size else 0
        for row in range(size):
            for column in range(size):
                value = shown[row, column]
                text = f"{100 * value:.0f}%" if normalize else f"{int(counts[row, column])}"
                ax.text(
                    column,
                    row,
                    text,
                    ha="center",
                    va="center",
                    fontsize=9 if size <= 12 else 7,
                    color="white" if value > threshold else "black",
                )
    ax.set_title(title or ("confusion matrix (row %)" if normalize else "confusion matrix"))
    figure.tight_layout()
    return figure


def bar_chart(labels, values, ylabel, title="", annotations=None):
    """One bar per variant (ablations); `annotations` are written above the bars."""
    figure, ax = plt.subplots(figsize=(max(5, 0.9 * len(labels) + 2), 4))
    positions = np.arange(len(labels))
    bars = ax.bar(positions, np.asarray(values, dtype=float), color="#4c78a8")
    long_labels = sum(len(str(label)) + 2 for label in labels) > 70
    ax.set_xticks(
        positions,
        [str(label) for label in labels],
        rotation=30 if long_labels else 0,
        ha="right" if long_labels else "center",
    )
    if annotations is not None:
        if len(annotations) != len(labels):
            raise ValueError(f"{len(annotations)} annotations for {len(labels)} bars.")
        ax.bar_label(bars, labels=[str(text) for text in annotations], fontsize=8, padding=2)
        ax.margins(y=0.15)
    ax.set_ylabel(ylabel)
    ax.set_axisbelow(True)  # grid lines behind the bars
    _finish(ax, title, legend=False)
    ax.grid(axis="x", visible=False)
    return figure


def scatter_2d(points, labels, class_names, title=""):
    """2-D points (e.g. a projection of embeddings), one colour per class."""
    points = np.asarray(points, dtype=float)
    labels = np.asarray(labels)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (N, 2), got {points.shape}.")
    figure, ax = plt.subplots(figsize=(6.5, 5))
    colors = plt.get_cmap("tab10" if len(class_names) <= 10 else "tab20")
    for index, name in enumerate(class_names):
        chosen = labels == index
        if chosen.any():
            ax.scatter(
                *points[chosen].T, s=8, alpha=0.7, color=colors(index % colors.N), label=str(name)
            )
    if len(class_names):
        ax.legend(fontsize="small", markerscale=2, loc="center left", bbox_to_anchor=(1, 0.5))
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    figure.tight_layout()
    return figure


def histogram(values, bins=50, title="", xlabel=""):
    """The distribution of many numbers (e.g. reconstruction errors, review lengths)."""
    figure, ax = plt.subplots(figsize=(6, 4))
    ax.hist(np.ravel(np.asarray(values, dtype=float)), bins=bins, color="#4c78a8")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    _finish(ax, title, legend=False)
    return figure


def line_plot(x, ys, xlabel, ylabel, title=""):
    """Several named series over the same x, e.g. accuracy against epsilon per model."""
    figure, ax = plt.subplots(figsize=(6, 4))
    for label, values in ys.items():
        ax.plot(
            np.asarray(x, dtype=float),
            np.asarray(values, dtype=float),
            marker="o",
            label=str(label),
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _finish(ax, title, legend=bool(ys))
    return figure


def xy_curves(series, xlabel, ylabel, title="", log_y=False, reference=None):
    """Several runs, each with its own x values, on one axes: `series` maps label -> (x, y).

    For curves whose x is not a shared epoch count, e.g. accuracy against wall time or a value
    per training step. `reference` = (value, label) draws a horizontal dotted line.
    """
    figure, ax = plt.subplots(figsize=(6.5, 4))
    for label, (x, y) in series.items():
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        ax.plot(x, y, marker="." if len(x) <= 50 else None, linewidth=1, label=str(label))
    if reference is not None:
        ax.axhline(reference[0], color="gray", linestyle=":", label=str(reference[1]))
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _finish(ax, title, legend=bool(series) or reference is not None)
    return figure


def confusion_counts(true_labels, predicted_labels, num_classes):
    """Counts of (true, predicted) pairs: `result[t, p]` is how often class t was called p."""
    true_labels = np.asarray(true_labels, dtype=np.int64).ravel()
    predicted_labels = np.asarray(predicted_labels, dtype=np.int64).ravel()
    if true_labels.shape != predicted_labels.shape:
        raise ValueError("true_labels and predicted_labels must have the same length.")
    for labels in (true_labels, predicted_labels):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"Labels must lie in [0, {num_classes}).")
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (true_labels, predicted_labels), 1)
    return counts


def _integer_epochs(ax):
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _finish(ax, title, legend):
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    if legend:
        ax.legend(fontsize="small")
    ax.figure.tight_layout()
