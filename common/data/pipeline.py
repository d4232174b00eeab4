"""Feeding in-memory arrays to Keras: a stratified validation split and a tf.data pipeline."""

import numpy as np
import tensorflow as tf


def split_validation(features, labels, fraction, seed):
    """Carve a validation set out of the training data, `fraction` of every class (stratified).

    The choice depends only on `seed`; both parts keep the original order. Returns
    ((train_features, train_labels), (validation_features, validation_labels)).
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie between 0 and 1, got {fraction}")
    features, labels = np.asarray(features), np.asarray(labels)
    generator = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        chosen.append(generator.permutation(members)[: round(fraction * len(members))])
    is_validation = np.zeros(len(labels), dtype=bool)
    is_validation[np.concatenate(chosen)] = True
    return (
        (features[~is_validation], labels[~is_validation]),
        (features[is_validation], labels[is_validation]),
    )


def make_pipeline(
    features,
    labels,
    *,
    batch_size,
    shuffle,
    seed,
    map_fn=None,
    random_map_fn=None,
    cache=True,
    drop_remainder=False,
) -> tf.data.Dataset:
    """Build a tf.data input pipeline from in-memory arrays.

    Order: slices -> cache -> shuffle (seeded, a new order every epoch) -> batch -> `map_fn` on
    whole batches (vectorized, in parallel) -> prefetch, so the next batch is ready while the
    model trains. `labels=None` gives a pipeline of features only.

    `random_map_fn(features, labels, seed)` is a random batch map (augmentation, noise): it gets
    a fresh stateless seed, a (2,) int64 tensor, with every batch, drawn from `seed` and new in
    every epoch. Random ops that keep their own state (a Keras layer's seed generator,
    `tf.random.Generator`) would be advanced by the parallel map calls in whatever order the
    threads run, so the same seed would not give the same run twice; stateless ops
    (`tf.random.stateless_uniform(..., seed=seed)`) do.
    """
    dataset = tf.data.Dataset.from_tensor_slices(features if labels is None else (features, labels))
    if cache:
        dataset = dataset.cache()
    if shuffle:
        buffer_size = int(dataset.cardinality())
        dataset = dataset.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)
    if random_map_fn is not None:
        dataset = tf.data.Dataset.zip((dataset, batch_seeds(seed)))
        dataset = dataset.map(
            lambda batch, batch_seed: random_map_fn(*_as_tuple(batch), batch_seed),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    if map_fn is not None:
        dataset = dataset.map(map_fn, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _as_tuple(batch):
    return batch if isinstance(batch, tuple) else (batch,)


def batch_seeds(seed):
    """An endless stream of stateless seeds, (2,) int64 each, in a new order every epoch."""
    stream = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
    return stream.batch(2, drop_remainder=True)


def split_and_limit(features, labels, *, fraction, seed, limit=None):
    """`split_validation`, then at most `limit` training examples (None: all).

    The limit keeps a seeded random subset, in the original order: the first `limit` of a file
    sorted by class (IMDB's are) would hold a single class.
    """
    (train_x, train_y), validation = split_validation(features, labels, fraction, seed)
    return seeded_subset(train_x, train_y, limit=limit, seed=seed), validation


def seeded_subset(features, labels, *, limit, seed):
    """At most `limit` examples (None: all), a seeded random choice kept in the original order."""
    if limit is None or limit >= len(labels):
        return features, labels
    chosen = np.sort(np.random.default_rng(seed).permutation(len(labels))[:limit])
    return features[chosen], labels[chosen]


def to_float(images):
    """uint8 pixels [0, 255] -> float32 in [0, 1]."""
    return np.asarray(images, dtype=np.float32) / 255.0
