"""A generated captioning set whose truth is exact: one to three coloured shapes, one caption each.

Each image holds one to three shapes, each in its own third of the image from left to right, and
its caption names them in that order from a small grammar: "a red circle", "a red circle left
of a blue square", ... Because the caption is exactly determined by the image, this set measures
what BLEU cannot: whether a generated caption is exactly right, and whether the attention lands
on the object being named (the shape's box is known). Seeded: the same seed, the same set.
"""

import dataclasses

import numpy as np

COLORS = {
    "red": (220, 40, 40),
    "green": (40, 190, 60),
    "blue": (50, 90, 230),
    "yellow": (235, 210, 40),
}
SHAPES = ("circle", "square", "triangle")


@dataclasses.dataclass(frozen=True)
class ShapeImages:
    images: np.ndarray  # uint8 (N, size, size, 3).
    captions: list  # One caption per image.
    boxes: list  # Per image, per shape in caption order: (x0, y0, x1, y1, color, shape).


def generate(count, size=64, max_shapes=3, seed=0):
    """`count` images of `size` x `size` pixels with their exact captions and shape boxes."""
    if count < 1 or size < 24 or not 1 <= max_shapes <= 3:
        raise ValueError(
            f"Shapes need count >= 1, size >= 24, 1 <= max_shapes <= 3. Received: count={count}, "
            f"size={size}, max_shapes={max_shapes}"
        )
    generator = np.random.default_rng(seed)
    images = np.zeros((count, size, size, 3), np.uint8)
    captions, boxes = [], []
    for index in range(count):
        images[index] = generator.integers(0, 40, size=(size, size, 1), dtype=np.uint8)
        number = int(generator.integers(1, max_shapes + 1))
        slots = np.sort(generator.choice(3, size=number, replace=False))
        drawn = [draw(images[index], int(slot), size, generator) for slot in slots]
        boxes.append(drawn)
        captions.append(" left of ".join(f"a {color} {shape}" for *_, color, shape in drawn))
    return ShapeImages(images, captions, boxes)


def draw(image, slot, size, generator):
    """Draws one random shape in the `slot`-th third of `image`; returns its box and names."""
    third = size / 3
    side = int(generator.uniform(0.55, 0.9) * third)
    x0 = int(slot * third + generator.uniform(0, third - side))
    y0 = int(generator.uniform(0, size - side))
    color = str(generator.choice(list(COLORS)))
    shape = str(generator.choice(SHAPES))
    rows, columns = np.mgrid[0:side, 0:side] + 0.5
    if shape == "circle":
        inside = (rows - side / 2) ** 2 + (columns - side / 2) ** 2 <= (side / 2) ** 2
    elif shape == "square":
        inside = np.ones((side, side), bool)
    else:  # An upward triangle: the apex at the top middle, the base along the bottom.
        inside = np.abs(columns - side / 2) <= rows / 2
    patch = image[y0 : y0 + side, x0 : x0 + side]
    patch[inside] = COLORS[color]
    return (x0, y0, x0 + side, y0 + side, color, shape)


def vocabulary_words():
    """Every word the grammar can produce."""
    return ["a", "left", "of", *COLORS, *SHAPES]
