"""Fashion-MNIST as tf.data pipelines: train (augmented), validation, and the held-out test set."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from common import data


@dataclasses.dataclass(frozen=True)
class Datasets:
    train: tf.data.Dataset
    validation: tf.data.Dataset
    test: tf.data.Dataset
    test_images: np.ndarray  # uint8, for the report's picture of mistakes.
    test_labels: np.ndarray
    probe: tuple  # One validation batch, for the gradient-norm recorder.
    class_names: tuple
    source: data.DataSource
    train_size: int
    validation_size: int


def load_datasets(config):
    """Loads the data named by `config` and returns `Datasets`; the test split is left untouched."""
    images = data.load_fashion_mnist(config.data_dir, allow_sample=config.allow_sample_data)
    (train_x, train_y), (val_x, val_y) = data.split_and_limit(
        images.train_images,
        images.train_labels,
        fraction=config.validation_fraction,
        seed=config.seed,
        limit=config.train_limit,
    )
    augment = make_augmentation(config) if config.augment else None
    pipeline = dict(batch_size=config.batch_size, seed=config.seed)
    return Datasets(
        train=data.make_pipeline(train_x, train_y, shuffle=True, map_fn=augment, **pipeline),
        validation=data.make_pipeline(val_x, val_y, shuffle=False, **pipeline),
        test=data.make_pipeline(images.test_images, images.test_labels, shuffle=False, **pipeline),
        test_images=images.test_images,
        test_labels=images.test_labels,
        probe=(val_x[: config.batch_size], val_y[: config.batch_size]),
        class_names=images.class_names,
        source=images.source,
        train_size=len(train_x),
        validation_size=len(val_x),
    )


def make_augmentation(config):
    """Random shifts of a whole batch at once (vectorized), kept out of the model so XLA stays on.

    A shifted garment is still the same garment: augmentation encodes that invariance into the
    training set (book Section 7.4, dataset augmentation).
    """
    fraction = config.shift_pixels / 28.0
    shift = keras.layers.RandomTranslation(
        fraction, fraction, fill_mode="constant", seed=config.seed
    )

    def augment(images, labels):
        return shift(tf.cast(images, "float32"), training=True), labels

    return augment
