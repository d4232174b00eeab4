"""Linear probes on frozen codes: how much a representation helps the next task.

A softmax classifier is trained on an encoder's frozen codes f(x) with few labels, against the
same classifier on raw pixels (book Section 15.1: a good representation makes the next task
easy, here with fewer labels).
"""

import math

import keras
import numpy as np
import tensorflow as tf

from projects.denoising_autoencoder import codes


def labelled_subset(labels, count, seed):
    """Indices of `count` training examples, the same number from every class (0: all)."""
    if count == 0 or count >= len(labels):
        return np.arange(len(labels))
    generator = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = max(1, count // len(classes))
    chosen = [generator.permutation(np.flatnonzero(labels == c))[:per_class] for c in classes]
    return np.sort(np.concatenate(chosen))


class LinearProbe:
    """A softmax classifier on standardized frozen features: logistic regression (Section 5.7).

    Each feature is divided by its training standard deviation, but never by less than a tenth
    of a typical feature's (the median over features that vary): a code unit that is dead on
    every training image (std 0) or fires once would otherwise turn a tiny test activation into
    a value of thousands and swamp the probe's decision.
    """

    def __init__(self, features, labels, num_classes, config):
        self.mean = features.mean(axis=0)
        self.scale = feature_scale(features)
        keras.utils.set_random_seed(config.seed)
        self.model = keras.Sequential(
            [keras.Input((features.shape[1],)), keras.layers.Dense(num_classes)]
        )
        self.model.compile(
            optimizer=keras.optimizers.Adam(config.probe_learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        batch_size = min(config.probe_batch_size, len(labels))
        steps = config.probe_epochs * max(math.ceil(len(labels) / batch_size), 30)
        dataset = tf.data.Dataset.from_tensor_slices((self.standardize(features), labels))
        dataset = dataset.shuffle(len(labels), seed=config.seed).repeat().batch(batch_size)
        self.model.fit(dataset, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)

    def standardize(self, features):
        return ((features - self.mean) / self.scale).astype("float32")

    def accuracy(self, features, labels):
        logits = codes.apply(self.model, self.standardize(features))
        return float(np.mean(np.argmax(logits, axis=1) == labels))


def feature_scale(features):
    """Per-feature standard deviations, floored at 0.1 x the median of those above zero."""
    std = features.std(axis=0)
    varying = std[std > 0]
    floor = 0.1 * float(np.median(varying)) if varying.size else 1.0
    return np.maximum(std, floor)


def probe_table(encoders, datasets, config):
    """Test accuracy of linear probes on each encoder's codes (None: raw pixels), per label count.

    Returns `(accuracies, robustness)`: accuracies[name][count], and for the probe with the
    most labels the test accuracy at each Gaussian noise level of the inputs
    (robustness[name][sigma]).
    """
    train_images = datasets.train_images.astype("float32") / 255.0
    num_classes = len(datasets.class_names)
    accuracies, robustness = {}, {}
    for name, encoder in encoders.items():

        def features_of(images, encoder=encoder):
            return (
                images.reshape(len(images), -1)
                if encoder is None
                else codes.encode(encoder, images)
            )

        features, test_features = features_of(train_images), features_of(datasets.test_images)
        accuracies[name], probes = {}, {}
        for count in config.probe_label_counts:
            chosen = labelled_subset(datasets.train_labels, count, config.seed)
            probe = LinearProbe(
                features[chosen], datasets.train_labels[chosen], num_classes, config
            )
            accuracies[name][count] = probe.accuracy(test_features, datasets.test_labels)
            probes[len(chosen)] = probe
        probe = probes[max(probes)]  # The one with the most labels.
        robustness[name] = {
            sigma: probe.accuracy(
                features_of(datasets.noisy_test_images("gaussian", sigma)), datasets.test_labels
            )
            for sigma in config.evaluation_sigmas
        }
    return accuracies, robustness
