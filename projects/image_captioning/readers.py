"""The caption sets behind one interface: `CaptionSet`, photos (decoded at one size) with their
reference captions, split into train, validation and test.

Three readers: Flickr8k (the real set, official split; `common.data.loaders.load_flickr8k`
finds it), the generated shapes set (exact truth, offline; shapes.py), and TFDS `coco_captions`
(Karpathy's split) for users with internet. Captions are untrusted text: the report escapes them.
"""

import dataclasses

import numpy as np
import PIL.Image

from common.data import errors, loaders, locate
from projects.image_captioning import shapes

SPLITS = ("train", "validation", "test")


@dataclasses.dataclass(frozen=True)
class CaptionSet:
    """Images as uint8 (N, size, size, 3) per split, and each image's reference captions."""

    images: dict  # split -> uint8 array.
    captions: dict  # split -> list (one per image) of lists of caption strings.
    names: dict  # split -> image names (file names, or "shape-<n>").
    boxes: dict  # split -> shape boxes per image (the shapes set only; else empty lists).
    source: loaders.DataSource


def read_flickr8k(config):
    """Flickr8k's official 6,000 / 1,000 / 1,000 split (train / dev as validation / test)."""
    data = loaders.load_flickr8k(config.data_dir)
    names = {"train": data.splits["train"], "validation": data.splits["dev"]}
    names["test"] = data.splits["test"]
    if config.train_limit is not None:
        names["train"] = names["train"][: config.train_limit]
    if config.evaluation_limit is not None:
        names = {**names, **{s: names[s][: config.evaluation_limit] for s in SPLITS[1:]}}
    images = {
        split: decode_images([data.image_dir / name for name in names[split]], config.image_size)
        for split in SPLITS
    }
    captions = {split: [data.captions[name] for name in names[split]] for split in SPLITS}
    boxes = {split: [] for split in SPLITS}
    return CaptionSet(images, captions, names, boxes, data.source)


def decode_images(paths, size):
    """The photos at `paths` as uint8 (N, size, size, 3), RGB, stretched to a square (bicubic)."""
    if paths:
        locate.progress(f"decoding {len(paths):,} photos at {size}x{size}")
    images = np.empty((len(paths), size, size, 3), np.uint8)
    for index, path in enumerate(paths):
        images[index] = decode_image(path, size)
    return images


def decode_image(path, size):
    """One photo as uint8 (size, size, 3), RGB, stretched to a square (bicubic); a clear
    DataFormatError when the file is not a readable image."""
    try:
        with PIL.Image.open(path) as image:
            return np.asarray(image.convert("RGB").resize((size, size), PIL.Image.BICUBIC))
    except (OSError, SyntaxError, ValueError) as error:
        raise locate.format_error(path, f"is not a readable image ({error})") from error


def read_shapes(config, is_sample=False):
    """The generated shapes set: one exact caption per image, sizes from the config."""
    counts = {
        "train": config.shapes_train,
        "validation": config.shapes_validation,
        "test": config.shapes_test,
    }
    images, captions, names, boxes = {}, {}, {}, {}
    for offset, split in enumerate(SPLITS):
        made = shapes.generate(
            counts[split], config.shapes_image_size, config.shapes_max, config.seed + 1000 * offset
        )
        images[split] = made.images
        captions[split] = [[caption] for caption in made.captions]
        names[split] = [f"shape-{index}" for index in range(counts[split])]
        boxes[split] = made.boxes
    origin = "sample" if is_sample else "generated"
    fingerprint = f"seed{config.seed}-{counts['train']}-{config.shapes_image_size}"
    source = loaders.DataSource("shapes", origin, "shapes.py", fingerprint, is_sample)
    return CaptionSet(images, captions, names, boxes, source)


def read_coco(config):
    """TFDS `coco_captions` (Karpathy's split: train, val, test), downloaded when online."""
    import tensorflow_datasets as tfds  # Slow to import; needed only for COCO.

    images, captions, names = {}, {}, {}
    wanted = {"train": "train", "validation": "val", "test": "test"}
    for split in SPLITS:
        limit = config.train_limit if split == "train" else config.evaluation_limit
        tfds_split = wanted[split] if limit is None else f"{wanted[split]}[:{limit}]"
        try:
            dataset = tfds.load("coco_captions", split=tfds_split, data_dir=config.data_dir)
        except Exception as error:  # tfds fails many ways (offline, not prepared): all mean "no".
            raise errors.DataNotFoundError(
                f"COCO captions are not available ({type(error).__name__}: "
                f"{str(error)[:200]}). Run once online so that tensorflow-datasets downloads "
                "'coco_captions' (about 38 GB), or use --set dataset=flickr8k."
            ) from error
        rows = list((dataset if limit is None else dataset.take(limit)).as_numpy_iterator())
        images[split] = np.stack([resize(row["image"], config.image_size) for row in rows])
        captions[split] = [[t.decode("utf-8") for t in row["captions"]["text"]] for row in rows]
        names[split] = [row["image/filename"].decode("utf-8") for row in rows]
    source = loaders.DataSource("coco_captions", "download", "tfds:coco_captions", "-", False)
    return CaptionSet(images, captions, names, {s: [] for s in SPLITS}, source)


def resize(image, size):
    return np.asarray(PIL.Image.fromarray(image).convert("RGB").resize((size, size), 3))


def read(config):
    """The caption set `config.dataset` names; with `allow_sample_data`, the shapes set stands in
    for a missing Flickr8k (the report says so)."""
    if config.dataset == "shapes":
        return read_shapes(config)
    if config.dataset == "coco":
        return read_coco(config)
    try:
        return read_flickr8k(config)
    except errors.DataNotFoundError:
        if not config.allow_sample_data:
            raise
        locate.progress("no Flickr8k found; training on the generated shapes set instead")
        return read_shapes(config, is_sample=True)
