"""Fashion-MNIST or CIFAR-10 as tf.data pipelines: train (augmented), validation, held-out test.

The validation split is carved from the training set once; the test set is untouched until the
headline model is scored on it, once, at the end. Images stay uint8 (the models rescale). Each
model's pipelines are made from its own config (augmentation, the multi-task labels, a subset
for the ablations), so a model's data order depends only on its config and seed.
"""

import dataclasses
import math

import keras
import numpy as np
import tensorflow as tf

from common.data import loaders, pipeline

IMAGE_SHAPES = {"fashion_mnist": (28, 28, 1), "cifar10": (32, 32, 3)}
# Coarse groups for the multi-task head: class index -> group index, and the group names.
COARSE_GROUPS = {
    "fashion_mnist": ((0, 1, 0, 0, 0, 2, 0, 2, 3, 2), ("tops", "bottoms", "footwear", "bags")),
    "cifar10": ((0, 0, 1, 1, 1, 1, 1, 1, 0, 0), ("vehicles", "animals")),
}


@dataclasses.dataclass(frozen=True)
class Datasets:
    train_x: np.ndarray  # uint8 (N, H, W, C).
    train_y: np.ndarray
    validation_x: np.ndarray
    validation_y: np.ndarray
    test_images: np.ndarray  # Touched once, by the headline model, after all training.
    test_labels: np.ndarray
    class_names: tuple
    source: loaders.DataSource

    @property
    def train_size(self):
        return len(self.train_y)

    @property
    def validation_size(self):
        return len(self.validation_y)

    def train_images(self, config):
        """The training images of the model of `config`: a seeded subset of `train_limit`."""
        return pipeline.seeded_subset(
            self.train_x, self.train_y, limit=config.train_limit, seed=config.seed
        )

    def steps_per_epoch(self, config):
        return math.ceil(len(self.train_images(config)[1]) / config.batch_size)

    def train(self, config):
        """Shuffled training batches, randomly shifted (and flipped) when `config.augment`."""
        images, labels = self.train_images(config)
        augmentation = make_augmentation(config) if config.augment else None
        return make_pipeline(config, images, labels, True, augmentation)

    def validation(self, config):
        return make_pipeline(config, self.validation_x, self.validation_y, False, None)

    def test(self, config):
        """The test batches, for a benchmark's `model.evaluate` (the project tests in
        evaluate.py, once)."""
        return make_pipeline(config, self.test_images, self.test_labels, False, None)

    def probe(self, config):
        """One validation batch, for the gradient-norm recorder."""
        size = config.batch_size
        images, labels = self.validation_x[:size], self.validation_y[:size]
        return images, (group_labels(config, labels) if config.multitask else labels)


def make_pipeline(config, images, labels, shuffle, augmentation):
    def with_groups(batch_images, batch_labels):
        return batch_images, group_labels(config, batch_labels)

    return pipeline.make_pipeline(
        images,
        labels,
        batch_size=config.batch_size,
        shuffle=shuffle,
        seed=config.seed,
        random_map_fn=augmentation,
        map_fn=with_groups if config.multitask else None,
    )


def group_labels(config, labels):
    """{"class": labels, "group": the coarse group of each label} for the two-headed model."""
    table = np.asarray(COARSE_GROUPS[config.dataset][0], dtype="int32")
    groups = tf.gather(table, labels) if tf.is_tensor(labels) else table[labels]
    return {"class": labels, "group": groups}


def load_datasets(config):
    """Loads the data named by `config` and returns `Datasets`; the test split is left untouched."""
    loader = getattr(loaders, f"load_{config.dataset}")  # Looked up now, so tests can patch it.
    images = loader(config.data_dir, allow_sample=config.allow_sample_data)
    (train_x, train_y), (validation_x, validation_y) = pipeline.split_and_limit(
        images.train_images,
        images.train_labels,
        fraction=config.validation_fraction,
        seed=config.seed,
        limit=config.train_limit,
    )
    return Datasets(
        train_x, train_y, validation_x, validation_y,
        images.test_images, images.test_labels, images.class_names, images.source,
    )  # fmt: skip


def test_time_views(images, config):
    """The copies of `images` whose predictions are averaged at test time: the images, shifted
    diagonally by -s and +s pixels (reflect padding) when s > 0, and all their mirror images
    when test-time flips are on. The first view is always the images themselves."""
    views = [images]
    pixels = config.test_time_shift_pixels()
    if pixels:
        views += [translate(images, -pixels, -pixels), translate(images, pixels, pixels)]
    if config.uses_test_time_flip():
        views += [view[:, :, ::-1, :] for view in views]
    return views


def translate(images, down, right):
    """`images` (N, H, W, C) moved `down` rows and `right` columns, edges filled by reflection."""
    pad = max(abs(down), abs(right))
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="reflect")
    height, width = images.shape[1:3]
    top, left = pad - down, pad - right
    return padded[:, top : top + height, left : left + width, :]


def make_augmentation(config):
    """Random shifts and, on CIFAR-10, mirror images, a whole batch at once (vectorized), kept
    out of the model so XLA stays possible.

    A shifted or mirrored object is still the same object: augmentation writes that invariance
    into the training set (book Section 7.4, dataset augmentation). Each image moves by up to
    `config.shift()` pixels in each direction (bilinear, as `keras.layers.RandomTranslation`;
    edges reflected on CIFAR-10, black on Fashion-MNIST) and is mirrored with probability 1/2.
    The random numbers come from the batch's stateless seed (`pipeline.make_pipeline`), so the
    same seed gives the same run.
    """
    size = IMAGE_SHAPES[config.dataset][0]
    fill_mode = "reflect" if config.dataset == "cifar10" else "constant"
    largest = config.shift() / size  # The shift as a fraction of the image side.

    def augment(images, labels, seed):
        shift_seed, flip_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        images = tf.cast(images, "float32")
        count = tf.shape(images)[0]
        shifts = tf.random.stateless_uniform([count, 2], shift_seed, -largest, largest) * size
        ones, zeros = tf.ones([count, 1]), tf.zeros([count, 1])
        dx, dy = shifts[:, :1], shifts[:, 1:]
        transform = tf.concat([ones, zeros, -dx, zeros, ones, -dy, zeros, zeros], axis=1)
        images = keras.ops.image.affine_transform(
            images, transform, interpolation="bilinear", fill_mode=fill_mode
        )
        if config.uses_flip():
            flip = tf.random.stateless_uniform([count, 1, 1, 1], flip_seed) < 0.5
            images = tf.where(flip, tf.reverse(images, axis=[2]), images)
        return images, labels

    return augment
