"""Curriculum learning: admit training examples from easy to hard (Deep Learning book, 8.7.6).

`CurriculumScheduler` is a Keras callback that owns a `tf.data` pipeline. The pipeline keeps only
the examples whose difficulty rank is below a `tf.Variable` threshold; the callback raises that
threshold at the start of every epoch, so one `model.fit(dataset, epochs=...)` call walks the
whole curriculum.

Why every epoch has the same number of steps: Keras 3 counts the batches of a dataset of unknown
size during the first epoch and then caps every later epoch at about that count
(`EpochIterator.catch_stop_iteration` stores `_num_batches`), so epochs that grow are silently cut
short. The pipeline therefore repeats the admitted subset and takes exactly
`ceil(len(difficulty) / batch_size)` batches per epoch, a dataset of known size. Each pass over
the admitted subset is a fresh shuffle of it, and the curriculum and a plain baseline take the
same number of gradient steps per epoch, which makes them fair to compare.
"""

import math
import numbers

import keras
import numpy as np
import tensorflow as tf

PACINGS = ("linear", "step")


def _validate_difficulty(difficulty):
    scores = np.asarray(difficulty, dtype="float64")
    if scores.ndim != 1 or scores.size == 0 or not np.all(np.isfinite(scores)):
        raise ValueError(
            "`difficulty` must be a non-empty 1-D array of finite scores, one per training "
            f"example. Received: difficulty with shape {scores.shape}"
        )
    return scores


def _validate_pacing(pacing, start_fraction, full_data_epoch, num_steps):
    if pacing not in PACINGS:
        raise ValueError(f"`pacing` must be one of {PACINGS}. Received: pacing={pacing}")
    if not isinstance(start_fraction, numbers.Real) or not 0.0 < start_fraction <= 1.0:
        raise ValueError(
            f"`start_fraction` must be in (0, 1]. Received: start_fraction={start_fraction}"
        )
    if not isinstance(full_data_epoch, numbers.Integral) or full_data_epoch < 1:
        raise ValueError(
            "`full_data_epoch` must be an integer >= 1. "
            f"Received: full_data_epoch={full_data_epoch}"
        )
    if not isinstance(num_steps, numbers.Integral) or num_steps < 1:
        raise ValueError(f"`num_steps` must be an integer >= 1. Received: num_steps={num_steps}")


@keras.saving.register_keras_serializable(package="dlfb")
class CurriculumScheduler(keras.callbacks.Callback):
    """Feeds the training set from easy to hard examples, one curriculum stage per epoch.

    Curriculum learning (Deep Learning book, Section 8.7.6; Bengio et al., 2009) trains first on
    easy examples and gradually admits harder ones, like a school curriculum. The project supplies
    a difficulty score per example (review length, caption length, noise level...); at epoch `e`
    the easiest `fraction(e)` of the training set is admitted, and from `full_data_epoch` on the
    model trains on the full data. Every epoch takes the same number of steps, reshuffling the
    admitted examples on each pass over them (see the module docstring for why).

    Example:

    ```python
    scheduler = CurriculumScheduler(difficulty=review_lengths, full_data_epoch=4)
    train = scheduler.dataset(x_train, y_train, batch_size=32)
    model.fit(train, epochs=10, callbacks=[scheduler])
    scheduler.fractions  # [0.25, 0.4375, 0.625, 0.8125, 1.0, ...]
    ```

    Args:
        difficulty: 1-D array, one score per training example; lower means easier.
        pacing: `"linear"` grows the admitted fraction a little every epoch; `"step"` grows it in
            `num_steps` equal jumps. Defaults to `"linear"`.
        start_fraction: Fraction of the training set admitted at epoch 0. Defaults to `0.25`.
        full_data_epoch: First epoch (0-based) that trains on the full data. Defaults to `5`.
        num_steps: Number of equal jumps for `"step"` pacing. Defaults to `4`.
        seed: Seed of the shuffle inside the admitted subset. Defaults to `0`.
    """

    def __init__(
        self,
        difficulty,
        pacing="linear",
        start_fraction=0.25,
        full_data_epoch=5,
        num_steps=4,
        seed=0,
    ):
        super().__init__()
        _validate_pacing(pacing, start_fraction, full_data_epoch, num_steps)
        self.difficulty = _validate_difficulty(difficulty)
        self.pacing = pacing
        self.start_fraction = float(start_fraction)
        self.full_data_epoch = int(full_data_epoch)
        self.num_steps = int(num_steps)
        self.seed = int(seed)
        self.order = np.argsort(self.difficulty, kind="stable")
        self.ranks = np.empty_like(self.order)
        self.ranks[self.order] = np.arange(self.order.size)
        self.threshold = tf.Variable(self.admitted_count(0), dtype=tf.int64, trainable=False)
        self.fractions = []
        self.examples_seen = []

    def fraction(self, epoch):
        """Fraction of the training set admitted at `epoch` (0-based)."""
        if epoch >= self.full_data_epoch:
            return 1.0
        progress = epoch / self.full_data_epoch
        if self.pacing == "step":
            progress = math.floor(progress * self.num_steps) / self.num_steps
        return min(1.0, self.start_fraction + (1.0 - self.start_fraction) * progress)

    def admitted_count(self, epoch):
        """Number of (easiest) examples admitted at `epoch`: ceil(fraction * n)."""
        size = self.difficulty.size
        return min(size, math.ceil(round(self.fraction(epoch) * size, 9)))

    def admitted_indices(self, epoch):
        """Indices of the examples admitted at `epoch`, easiest first."""
        return self.order[: self.admitted_count(epoch)].copy()

    def dataset(self, features, labels, batch_size, map_fn=None):
        """Builds the training `tf.data.Dataset` that follows this curriculum.

        Args:
            features: Array, or tuple or dict of arrays, one row per training example.
            labels: Array (or structure of arrays) of targets, one row per example.
            batch_size: Examples per batch.
            map_fn: Optional `map_fn(features, labels) -> (features, labels)` run on each batch.
                Defaults to `None`.

        Returns:
            A dataset of `ceil(n / batch_size)` batches per epoch, drawn from the admitted subset.
        """
        if not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(
                f"`batch_size` must be an integer >= 1. Received: batch_size={batch_size}"
            )
        size = self.difficulty.size
        steps = math.ceil(size / batch_size)
        threshold = self.threshold
        dataset = tf.data.Dataset.from_tensor_slices((self.ranks, features, labels))
        dataset = dataset.shuffle(size, seed=self.seed, reshuffle_each_iteration=True)
        dataset = dataset.filter(lambda rank, x, y: rank < threshold)
        dataset = dataset.repeat().map(lambda rank, x, y: (x, y)).batch(batch_size)
        dataset = dataset.take(steps).apply(tf.data.experimental.assert_cardinality(steps))
        if map_fn is not None:
            dataset = dataset.map(map_fn, num_parallel_calls=tf.data.AUTOTUNE)
        return dataset.prefetch(tf.data.AUTOTUNE)

    def on_train_begin(self, logs=None):
        self.fractions = []
        self.examples_seen = []
        self.threshold.assign(self.admitted_count(0))

    def on_epoch_begin(self, epoch, logs=None):
        count = self.admitted_count(epoch)
        self.threshold.assign(count)
        self.fractions.append(self.fraction(epoch))
        self.examples_seen.append(count)

    def get_config(self):
        return {
            "difficulty": self.difficulty.tolist(),
            "pacing": self.pacing,
            "start_fraction": self.start_fraction,
            "full_data_epoch": self.full_data_epoch,
            "num_steps": self.num_steps,
            "seed": self.seed,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
