"""Fashion-MNIST in [0, 1] as tf.data pipelines, with Gaussian noise on training inputs when the
model's config asks for it (noise injection).

Attacks and their epsilon live in pixel units of [0, 1], so the images are scaled once here and
every model sees floats in that box. The test set is kept as arrays: the attacks need them.
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf

from common.data import loaders, pipeline


@dataclasses.dataclass(frozen=True)
class Datasets:
    train_images: np.ndarray  # float32 (N, 28, 28, 1) in [0, 1].
    train_labels: np.ndarray
    validation_images: np.ndarray
    validation_labels: np.ndarray
    test_images: np.ndarray  # Touched once, after training.
    test_labels: np.ndarray
    class_names: tuple
    source: loaders.DataSource

    @property
    def train_size(self):
        return len(self.train_images)

    @property
    def validation_size(self):
        return len(self.validation_images)

    def steps_per_epoch(self, config):
        return math.ceil(self.train_size / config.batch_size)

    def train(self, config):
        """Shuffled training batches; the gaussian_noise variant adds fresh clipped noise to each.

        Noise injection (book Section 7.5) perturbs inputs in random directions; compare it with
        the adversarial direction, which is the worst one.
        """
        noise = add_noise(config.noise_sigma) if config.variant == "gaussian_noise" else None
        return pipeline.make_pipeline(
            self.train_images, self.train_labels, batch_size=config.batch_size, shuffle=True,
            seed=config.seed, random_map_fn=noise,
        )  # fmt: skip

    def validation(self, config):
        return pipeline.make_pipeline(
            self.validation_images, self.validation_labels, batch_size=config.batch_size,
            shuffle=False, seed=config.seed,
        )  # fmt: skip

    def probe(self, config):
        """One validation batch, for the gradient-norm recorder."""
        size = config.batch_size
        return self.validation_images[:size], self.validation_labels[:size]


def add_noise(sigma):
    """A random batch map adding N(0, sigma^2) to every pixel, clipped back to [0, 1]; the noise
    comes from the batch's own stateless seed (`pipeline.make_pipeline`), so a run repeats."""

    def noisy(images, labels, seed):
        noise = tf.random.stateless_normal(tf.shape(images), seed=seed, stddev=sigma)
        return tf.clip_by_value(images + noise, 0.0, 1.0), labels

    return noisy


def load_datasets(config):
    """Loads Fashion-MNIST as named by `config`: stratified validation split, optional limits
    (`train_limit`; `test_limit`: a seeded random subset of the test set, in its order)."""
    images = loaders.load_fashion_mnist(config.data_dir, allow_sample=config.allow_sample_data)
    (train_x, train_y), (val_x, val_y) = pipeline.split_and_limit(
        images.train_images,
        images.train_labels,
        fraction=config.validation_fraction,
        seed=config.seed,
        limit=config.train_limit,
    )
    # A seeded random subset, as for train_limit: the first images of a test set sorted by
    # class (CIFAR-10's folders are) would hold a few classes only.
    test_x, test_y = pipeline.seeded_subset(
        images.test_images, images.test_labels, limit=config.test_limit, seed=config.seed
    )
    return Datasets(
        train_images=pipeline.to_float(train_x),
        train_labels=train_y,
        validation_images=pipeline.to_float(val_x),
        validation_labels=val_y,
        test_images=pipeline.to_float(test_x),
        test_labels=test_y,
        class_names=images.class_names,
        source=images.source,
    )
