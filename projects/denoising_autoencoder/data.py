"""Images as tf.data pipelines of (input, target) pairs for autoencoders, plus the arrays they need.

The target of an autoencoder is its own clean input, so the training pipeline yields (x, x);
corruption, when a model's config asks for it, happens inside the model (noise.Corruption) so
that fresh noise is drawn at every step. Validation and test inputs are corrupted once, with a
fixed seed, so that every model is scored on exactly the same noisy images.
"""

import dataclasses
import math

import numpy as np
import tensorflow as tf
from keras import ops

from common.data import loaders, pipeline
from projects.denoising_autoencoder import noise

LOADERS = {"fashion_mnist": loaders.load_fashion_mnist, "cifar10": loaders.load_cifar10}
VALIDATION_SEED_OFFSET = 101  # Fixed noise seeds, distinct for validation and test.
TEST_SEED_OFFSET = 202


@dataclasses.dataclass(frozen=True)
class Datasets:
    shuffled: tf.data.Dataset  # Batches of (x, x) of `batch_size`, float32 in [0, 1].
    train_images: np.ndarray  # uint8, for the linear probes' training codes.
    train_labels: np.ndarray
    validation_images: np.ndarray  # float32 in [0, 1].
    validation_labels: np.ndarray
    test_images: np.ndarray  # float32 in [0, 1]; touched once, at the end.
    test_labels: np.ndarray
    class_names: tuple
    source: loaders.DataSource
    batch_size: int  # The run's: training batches of the dense models, every validation batch.
    seed: int
    noisy_test_cache: dict = dataclasses.field(default_factory=dict, repr=False)

    @property
    def train_size(self):
        return len(self.train_images)

    @property
    def validation_size(self):
        return len(self.validation_images)

    @property
    def image_shape(self):
        return self.test_images.shape[1:]

    def train(self, config):
        """Shuffled (x, x) batches of `config.batch_size`. Every model draws from the one
        seeded pipeline, whose order goes on from one model to the next."""
        if config.batch_size == self.batch_size:
            return self.shuffled
        # rebatch keeps the order; its length (like unbatch().batch()) is known, so say it:
        # Keras then shows the steps of the first epoch and does not warn when it ends.
        batches = self.shuffled.rebatch(config.batch_size)
        return batches.apply(tf.data.experimental.assert_cardinality(self.steps_per_epoch(config)))

    def steps_per_epoch(self, config):
        return math.ceil(self.train_size / config.batch_size)

    def validation(self, config):
        """(n(x), x) batches of the validation images under the model's own training noise,
        the same noise on every call (early stopping compares like with like)."""
        noisy = corrupt_array(
            self.validation_images, config.noise, config.noise_level,
            self.seed + VALIDATION_SEED_OFFSET,
        )  # fmt: skip
        return pairs(noisy, self.validation_images, self.batch_size)

    def probe(self, config):
        """The first validation batch, for the gradient-norm recorder."""
        inputs, targets = next(iter(self.validation(config).take(1)))
        return inputs, targets

    def noisy_test_images(self, kind, level):
        """The test images under noise `kind` at `level`, seeded: equal for every model."""
        key = (kind, float(level))
        if key not in self.noisy_test_cache:
            self.noisy_test_cache[key] = corrupt_array(
                self.test_images, kind, level, self.seed + TEST_SEED_OFFSET
            )
        return self.noisy_test_cache[key]


def load_datasets(config):
    """Loads the data named by `config`; validation is carved from train, test is left untouched
    (`test_limit` keeps a seeded random subset of it, in the file's order)."""
    images = LOADERS[config.dataset](config.data_dir, allow_sample=config.allow_sample_data)
    (train_x, train_y), (val_x, val_y) = pipeline.split_and_limit(
        images.train_images,
        images.train_labels,
        fraction=config.validation_fraction,
        seed=config.seed,
        limit=config.train_limit,
    )
    shuffled = pipeline.make_pipeline(
        train_x, None, batch_size=config.batch_size, shuffle=True, seed=config.seed, map_fn=as_pair
    )
    # A seeded random subset: CIFAR-10's test folders are sorted by class, so the first
    # `test_limit` images would hold three classes of ten.
    test_x, test_y = pipeline.seeded_subset(
        images.test_images, images.test_labels, limit=config.test_limit, seed=config.seed
    )
    return Datasets(
        shuffled=shuffled,
        train_images=train_x,
        train_labels=train_y,
        validation_images=pipeline.to_float(val_x),
        validation_labels=val_y,
        test_images=pipeline.to_float(test_x),
        test_labels=test_y,
        class_names=images.class_names,
        source=images.source,
        batch_size=config.batch_size,
        seed=config.seed,
    )


def as_pair(images):
    """A batch of uint8 images to the autoencoder pair (x, x), float32 in [0, 1]."""
    images = tf.cast(images, "float32") / 255.0
    return images, images


def pairs(inputs, targets, batch_size):
    """Batches of (inputs, targets) in order, from float arrays."""
    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets)).batch(batch_size)
    return dataset.prefetch(tf.data.AUTOTUNE)


def corrupt_array(images, kind, level, seed):
    """`noise.corrupt` on a whole float array with an integer seed (stateless: reproducible)."""
    if kind == "none" or level <= 0:
        return images
    return ops.convert_to_numpy(noise.corrupt(images, kind, level, seed))
