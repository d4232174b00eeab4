"""Where the attention lands, measured on the shapes set, whose objects' boxes are known.

While the decoder writes the colour or the shape of an object ("a *red* *circle* left of ..."),
its attention should rest on that object. For every such word of an exactly right caption, the
share of the attention mass that falls inside the object's box is compared with the share of the
image the box covers: attention spread evenly would put exactly that share inside.
"""

import numpy as np


def cell_overlaps(box, side, image_side):
    """(side, side): the fraction of each grid cell's area that lies inside `box`."""
    x0, y0, x1, y1 = box[:4]
    edges = np.linspace(0, image_side, side + 1)
    across = np.clip(np.minimum(edges[1:], x1) - np.maximum(edges[:-1], x0), 0, None)
    down = np.clip(np.minimum(edges[1:], y1) - np.maximum(edges[:-1], y0), 0, None)
    cell = image_side / side
    return np.outer(down, across) / (cell * cell)


def landing(captions, attention, boxes, image_side):
    """Mean attention mass inside the named object's box, the mean share of the image those
    boxes cover, and their ratio, over the colour and shape words of exactly right captions."""
    masses, shares = [], []
    for caption, weights, image_boxes in zip(captions, attention, boxes, strict=True):
        words = caption.split()
        expected = " left of ".join(f"a {b[4]} {b[5]}" for b in image_boxes).split()
        if words != expected:
            continue  # A wrong caption has no object to check its words against.
        side = int(round(np.sqrt(weights.shape[-1])))
        for position, box in enumerate(image_boxes):
            overlap = cell_overlaps(box, side, image_side).ravel()
            share = (box[2] - box[0]) * (box[3] - box[1]) / image_side**2
            for word in (1 + 5 * position, 2 + 5 * position):  # Its colour, then its shape.
                masses.append(float(weights[word] @ overlap))
                shares.append(share)
    if not masses:
        return {"words": 0, "mass_in_box": None, "box_share": None, "ratio": None}
    mass, share = float(np.mean(masses)), float(np.mean(shares))
    return {"words": len(masses), "mass_in_box": mass, "box_share": share, "ratio": mass / share}
