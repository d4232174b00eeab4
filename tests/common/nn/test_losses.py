"""common/nn/losses.py: the label-smoothed sparse cross-entropy and the per-image log MSE."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.nn import losses

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


def test_log_mse_is_minus_the_mean_psnr_by_hand():
    generator = np.random.default_rng(0)
    clean = generator.uniform(0, 1, (3, 4, 4, 1)).astype("float32")
    noisy = np.clip(
        clean + generator.normal(0, 0.1 * np.arange(1, 4)[:, None, None, None], clean.shape), 0, 1
    )
    noisy = noisy.astype("float32")
    per_image = ((clean - noisy) ** 2).mean(axis=(1, 2, 3))
    by_hand = np.mean(10 * np.log10(per_image + 1e-8))
    loss = losses.LogMeanSquaredError(epsilon=1e-8)(clean, noisy)
    np.testing.assert_allclose(float(loss), by_hand, rtol=1e-5)
    psnr = tf.image.psnr(clean, noisy, max_val=1.0).numpy().mean()
    np.testing.assert_allclose(float(loss), -psnr, rtol=1e-4)


def test_log_mse_round_trips_and_rejects_a_bad_epsilon():
    loss = losses.LogMeanSquaredError(epsilon=1e-4)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert restored.get_config() == loss.get_config()
    with pytest.raises(ValueError, match="epsilon=0"):
        losses.LogMeanSquaredError(epsilon=0)
