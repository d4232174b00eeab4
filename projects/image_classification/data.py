"""Fashion-MNIST or CIFAR-10 as tf.data pipelines: train (augmented), validation, held-out test.

The validation split is carved from the training set once; the test set is untouched until the
headline model is scored on it, once, at the end. Images stay uint8 (the models rescale).
"""

import dataclasses
import functools

import keras
import numpy as np
import tensorflow as tf

from common.data import loaders as data
from common.data import pipeline
from projects.image_classification import model


@dataclasses.dataclass(frozen=True, eq=False)  # Hashed by identity, for the caches.
class Datasets:
    """The arrays, and pipelines made from them on demand (one per augmentation / task)."""

    config: object
    train_x: np.ndarray
    train_y: np.ndarray
    validation_x: np.ndarray
    validation_y: np.ndarray
    test_images: np.ndarray  # uint8, for the report's picture of mistakes.
    test_labels: np.ndarray
    class_names: tuple
    source: data.DataSource

    @property
    def train_size(self):
        return len(self.train_y)

    @property
    def validation_size(self):
        return len(self.validation_y)

    def ablation_size(self):
        """Training images per ablation model (a seeded subset of the training part)."""
        limit = self.config.ablation_train_limit
        return self.train_size if limit is None else min(limit, self.train_size)

    @functools.cache  # noqa: B019 (one Datasets per run; the cache ends with it)
    def train(self, augment=True, multitask=False, limit=None):
        """Shuffled training batches; `limit` keeps a seeded subset of that many images."""
        images, labels = pipeline.seeded_subset(
            self.train_x, self.train_y, limit=limit, seed=self.config.seed
        )
        augmentation = make_augmentation(self.config) if augment else None
        return self._pipeline(images, labels, True, augmentation, multitask)

    @functools.cache  # noqa: B019
    def validation(self, multitask=False):
        return self._pipeline(self.validation_x, self.validation_y, False, None, multitask)

    def test(self):
        return self._pipeline(self.test_images, self.test_labels, False, None, False)

    def probe(self, multitask=False):
        """One validation batch, for the gradient-norm recorder."""
        size = self.config.batch_size
        images, labels = self.validation_x[:size], self.validation_y[:size]
        return images, (group_labels(self.config, labels) if multitask else labels)

    def _pipeline(self, images, labels, shuffle, augmentation, multitask):
        def group(batch_images, batch_labels):
            return batch_images, group_labels(self.config, batch_labels)

        return pipeline.make_pipeline(
            images,
            labels,
            batch_size=self.config.batch_size,
            shuffle=shuffle,
            seed=self.config.seed,
            random_map_fn=augmentation,
            map_fn=group if multitask else None,
        )


def group_labels(config, labels):
    """{"class": labels, "group": the coarse group of each label} for the two-headed model."""
    table = np.asarray(model.COARSE_GROUPS[config.dataset][0], dtype="int32")
    groups = tf.gather(table, labels) if tf.is_tensor(labels) else table[labels]
    return {"class": labels, "group": groups}


def load_datasets(config):
    """Loads the data named by `config` and returns `Datasets`; the test split is left untouched."""
    loader = getattr(data, f"load_{config.dataset}")  # Looked up now, so tests can patch it.
    images = loader(config.data_dir, allow_sample=config.allow_sample_data)
    (train_x, train_y), (validation_x, validation_y) = pipeline.split_and_limit(
        images.train_images,
        images.train_labels,
        fraction=config.validation_fraction,
        seed=config.seed,
        limit=config.train_limit,
    )
    return Datasets(
        config, train_x, train_y, validation_x, validation_y,
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
    size = model.IMAGE_SHAPES[config.dataset][0]
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
