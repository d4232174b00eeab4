"""Attention over an image, drawn word by word: where a captioner looked while writing.

The attention weights over a grid of cells (side x side) are stretched to the image's size and
laid over it, one panel per generated word; the brighter the region, the more weight it got.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def word_attention(image, words, weights, columns=7):
    """One panel per word: `image` (H, W, 3) uint8 under the word's weights (steps, cells)."""
    words = list(words)[: len(weights)]
    side = int(round(np.sqrt(weights.shape[-1])))
    rows = -(-len(words) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(1.7 * columns, 1.9 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.set_axis_off()
    height, width = image.shape[:2]
    for ax, word, step in zip(axes.ravel(), words, weights, strict=False):
        grid = np.asarray(step, dtype=float).reshape(side, side)
        ax.imshow(image)
        ax.imshow(
            grid / max(grid.max(), 1e-9), cmap="gray", alpha=0.6, interpolation="bilinear",
            extent=(0, width, height, 0),
        )  # fmt: skip
        ax.set_title(word, fontsize=9)
    figure.tight_layout()
    return figure
