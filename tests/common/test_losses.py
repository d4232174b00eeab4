"""common/losses.py: the label-smoothed sparse cross-entropy."""

import keras
import numpy as np
import pytest

from common import losses

LABELS = np.array([0, 2, 1])
PROBABILITIES = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]], "float32")


def test_without_smoothing_it_is_the_sparse_cross_entropy():
    expected = keras.losses.SparseCategoricalCrossentropy()(LABELS, PROBABILITIES)
    actual = losses.SmoothedSparseCrossentropy()(LABELS, PROBABILITIES)
    np.testing.assert_allclose(float(actual), float(expected), rtol=1e-6)


def test_smoothing_matches_the_dense_version():
    one_hot = np.eye(3, dtype="float32")[LABELS]
    expected = keras.losses.CategoricalCrossentropy(label_smoothing=0.2)(one_hot, PROBABILITIES)
    actual = losses.SmoothedSparseCrossentropy(0.2)(LABELS, PROBABILITIES)
    np.testing.assert_allclose(float(actual), float(expected), rtol=1e-6)


def test_config_round_trip_and_bad_value():
    loss = losses.SmoothedSparseCrossentropy(0.1)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert restored.get_config() == loss.get_config()
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.SmoothedSparseCrossentropy(1.0)
