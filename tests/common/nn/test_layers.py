"""Tests for common/nn: Maxout, ModulatedReLU (layers.py), TiledConv2D, AttentionPooling,
PositionEmbedding."""

import doctest

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.nn import attention, convolution, layers
from tests import layer_testing


def gradient_of_sum(layer, inputs, variables=None):
    """Gradient of sum(layer(inputs)) with respect to `inputs`, or to `variables` if given."""
    inputs = tf.constant(inputs, dtype="float32")
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        total = tf.reduce_sum(layer(inputs))
    return tape.gradient(total, variables if variables is not None else inputs)


def test_docstring_examples_run():
    results = doctest.testmod(layers, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 0 and results.failed == 0


# Maxout


@pytest.mark.parametrize("num_units, expected", [(3, [[5, 3, -1]]), (2, [[5, 3]]), (6, None)])
def test_maxout_hand_example(num_units, expected):
    inputs = np.array([[1, 5, 2, 3, -1, -4]], dtype="float32")
    expected = inputs if expected is None else np.array(expected)
    outputs = layers.Maxout(num_units=num_units)(inputs)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(outputs), expected)


def test_maxout_conv_input_groups_channels():
    inputs = np.random.default_rng(0).normal(size=(2, 3, 3, 8)).astype("float32")
    outputs = keras.ops.convert_to_numpy(layers.Maxout(num_units=4)(inputs))
    np.testing.assert_allclose(outputs, inputs.reshape(2, 3, 3, 4, 2).max(axis=-1))


def test_maxout_non_last_axis():
    inputs = np.random.default_rng(0).normal(size=(2, 6, 5)).astype("float32")
    outputs = keras.ops.convert_to_numpy(layers.Maxout(num_units=2, axis=1)(inputs))
    np.testing.assert_allclose(outputs, inputs.reshape(2, 2, 3, 5).max(axis=2))


def test_maxout_gradient_flows_only_to_each_group_max():
    inputs = np.array([[1, 5, 2, 3, -1, -4]], dtype="float32")
    gradient = gradient_of_sum(layers.Maxout(num_units=3), inputs)
    np.testing.assert_array_equal(gradient.numpy(), [[0, 1, 0, 1, 1, 0]])


def test_maxout_rejects_feature_count_not_multiple_of_units():
    with pytest.raises(ValueError, match="features=7, num_units=3"):
        layers.Maxout(num_units=3)(np.zeros((1, 7), dtype="float32"))


@pytest.mark.parametrize("kwargs", [{"num_units": 0}, {"num_units": 2, "axis": 0}])
def test_maxout_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        layers.Maxout(**kwargs)


@pytest.mark.parametrize(
    "kwargs, input_shape, output_shape",
    [({"num_units": 3}, (4, 6), (4, 3)), ({"num_units": 2}, (2, 4, 4, 6), (2, 4, 4, 2))],
)
def test_maxout_passes_layer_checks(kwargs, input_shape, output_shape, tmp_path):
    layer_testing.check_layer(layers.Maxout, kwargs, input_shape, output_shape, tmp_path)


# ModulatedReLU

HAND_INPUTS = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]], dtype="float32")


@pytest.mark.parametrize("alpha", [0.0, -1.0, 0.01, 0.25])
def test_modulated_relu_formula(alpha):
    outputs = layers.ModulatedReLU(alpha=alpha)(HAND_INPUTS)
    expected = np.maximum(0, HAND_INPUTS) + alpha * np.minimum(0, HAND_INPUTS)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(outputs), expected, rtol=1e-6)


def test_modulated_relu_abs_value_and_leaky_by_hand():
    absolute = layers.ModulatedReLU(alpha=-1)(HAND_INPUTS)
    leaky = layers.ModulatedReLU(alpha=0.01)(HAND_INPUTS)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(absolute), [[2, 0.5, 0, 0.5, 3]])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(leaky), [[-0.02, -0.005, 0, 0.5, 3]])


@pytest.mark.parametrize("trainable_alpha", [False, True])
def test_modulated_relu_gradient_is_one_or_alpha(trainable_alpha):
    inputs = np.array([[-2.0, -0.5, 0.5, 3.0]], dtype="float32")
    layer = layers.ModulatedReLU(alpha=0.25, trainable_alpha=trainable_alpha)
    gradient = gradient_of_sum(layer, inputs)
    np.testing.assert_allclose(gradient.numpy(), [[0.25, 0.25, 1, 1]])


@pytest.mark.parametrize(
    "shared_axes, alpha_shape",
    [(None, (3,)), ([1, 2], (1, 1, 3)), ([1], (1, 5, 3)), ("all", ())],
)
def test_modulated_relu_trainable_alpha_shape(shared_axes, alpha_shape):
    layer = layers.ModulatedReLU(alpha=0.1, trainable_alpha=True, shared_axes=shared_axes)
    layer.build((None, 4, 5, 3))
    assert tuple(layer.learned_alpha.shape) == alpha_shape
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer.learned_alpha), 0.1)
    assert layer.trainable_weights == [layer.learned_alpha]


@pytest.mark.parametrize("shared_axes, summed_axes", [(None, (0, 1, 2)), ("all", None)])
def test_modulated_relu_alpha_gradient_is_summed_negative_part(shared_axes, summed_axes):
    inputs = np.random.default_rng(0).normal(size=(2, 4, 5, 3)).astype("float32")
    layer = layers.ModulatedReLU(alpha=0.1, trainable_alpha=True, shared_axes=shared_axes)
    layer.build(inputs.shape)
    gradient = gradient_of_sum(layer, inputs, layer.learned_alpha)
    expected = np.minimum(0, inputs).sum(axis=summed_axes)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(gradient), expected, rtol=1e-5)


def test_modulated_relu_without_trainable_alpha_has_no_weights():
    layer = layers.ModulatedReLU(alpha=0.3)
    layer.build((None, 4))
    assert layer.weights == []


@pytest.mark.parametrize(
    "kwargs",
    [{"alpha": "0.1"}, {"alpha": True}, {"shared_axes": [0]}, {"shared_axes": "some"}],
)
def test_modulated_relu_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        layers.ModulatedReLU(**kwargs)


@pytest.mark.parametrize(
    "kwargs, input_shape",
    [
        ({"alpha": 0.01}, (4, 6)),
        ({"alpha": 0.25, "trainable_alpha": True}, (4, 6)),
        ({"alpha": 0.25, "trainable_alpha": True, "shared_axes": [1, 2]}, (2, 3, 3, 4)),
        ({"alpha": -1.0, "trainable_alpha": True, "shared_axes": "all"}, (2, 3, 3, 4)),
    ],
)
def test_modulated_relu_passes_layer_checks(kwargs, input_shape, tmp_path):
    layer_testing.check_layer(layers.ModulatedReLU, kwargs, input_shape, input_shape, tmp_path)


# TiledConv2D


def test_tiled_conv_with_one_tile_equals_conv2d():
    inputs = np.random.default_rng(0).normal(size=(2, 7, 6, 3)).astype("float32")
    tiled = convolution.TiledConv2D(4, 3, tile_size=(1, 1), strides=2, padding="same")
    plain = keras.layers.Conv2D(4, 3, strides=2, padding="same")
    tiled.build(inputs.shape)
    tiled.bias.assign(np.arange(4, dtype="float32").reshape(1, 4))
    plain.build(inputs.shape)
    plain.set_weights([tiled.kernel.numpy(), tiled.bias.numpy().reshape(4)])
    np.testing.assert_allclose(tiled(inputs).numpy(), plain(inputs).numpy(), rtol=1e-5, atol=1e-5)


def test_tiled_conv_positions_cycle_through_kernel_sets():
    layer = convolution.TiledConv2D(filters=1, kernel_size=1, tile_size=(2, 2), use_bias=False)
    layer.build((1, 4, 5, 1))
    layer.kernel.assign(np.array([1, 2, 3, 4], dtype="float32").reshape(1, 1, 1, 4))
    outputs = keras.ops.convert_to_numpy(layer(np.ones((1, 4, 5, 1), dtype="float32")))
    rows_of_sets_0_1 = [1, 2, 1, 2, 1]
    rows_of_sets_2_3 = [3, 4, 3, 4, 3]
    expected = [rows_of_sets_0_1, rows_of_sets_2_3, rows_of_sets_0_1, rows_of_sets_2_3]
    np.testing.assert_array_equal(outputs[0, :, :, 0], expected)


def test_tiled_conv_bias_is_per_kernel_set():
    layer = convolution.TiledConv2D(
        filters=2, kernel_size=1, tile_size=(1, 3), kernel_initializer="zeros"
    )
    layer.build((1, 2, 3, 1))
    layer.bias.assign(np.array([[1, 10], [2, 20], [3, 30]], dtype="float32"))
    outputs = keras.ops.convert_to_numpy(layer(np.ones((1, 2, 3, 1), dtype="float32")))
    np.testing.assert_array_equal(outputs[0, 1], [[1, 10], [2, 20], [3, 30]])


@pytest.mark.parametrize("tile_size, use_bias", [((1, 1), True), ((2, 3), True), ((3, 3), False)])
def test_tiled_conv_parameter_count(tile_size, use_bias):
    layer = convolution.TiledConv2D(5, (3, 2), tile_size=tile_size, use_bias=use_bias)
    layer.build((None, 9, 9, 2))
    tiles = tile_size[0] * tile_size[1]
    assert layer.count_params() == tiles * 3 * 2 * 2 * 5 + (tiles * 5 if use_bias else 0)


def test_tiled_conv_tile_as_large_as_output_is_locally_connected():
    layer = convolution.TiledConv2D(filters=2, kernel_size=3, tile_size=(4, 4))
    layer.build((None, 6, 6, 1))
    assert layer.compute_output_shape((None, 6, 6, 1)) == (None, 4, 4, 2)
    assert layer.count_params() == 4 * 4 * (3 * 3 * 1 * 2 + 2)


@pytest.mark.parametrize(
    "padding, strides, output_size",
    [("valid", 1, (6, 5)), ("same", 1, (8, 7)), ("valid", 2, (3, 3)), ("same", 3, (3, 3))],
)
def test_tiled_conv_output_shapes(padding, strides, output_size):
    layer = convolution.TiledConv2D(2, 3, tile_size=2, strides=strides, padding=padding)
    outputs = layer(np.zeros((1, 8, 7, 1), dtype="float32"))
    assert tuple(outputs.shape) == (1, *output_size, 2)
    assert layer.compute_output_shape((1, 8, 7, 1)) == (1, *output_size, 2)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filters": 0},
        {"tile_size": (0, 2)},
        {"kernel_size": (3,)},
        {"strides": -1},
        {"padding": "full"},
        {"data_format": "channels_first"},
    ],
)
def test_tiled_conv_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        convolution.TiledConv2D(**{"filters": 2, "kernel_size": 3, **kwargs})


@pytest.mark.parametrize("input_shape", [(None, None, 8, 1), (None, 2, 2, 1)])
def test_tiled_conv_needs_static_input_larger_than_kernel(input_shape):
    with pytest.raises(ValueError, match="Received"):
        convolution.TiledConv2D(2, 3).build(input_shape)


@pytest.mark.parametrize(
    "kwargs, output_shape",
    [
        ({"filters": 3, "kernel_size": 3}, (2, 4, 3, 3)),
        ({"filters": 2, "kernel_size": 2, "tile_size": 3, "padding": "same"}, (2, 6, 5, 2)),
    ],
)
def test_tiled_conv_passes_layer_checks(kwargs, output_shape, tmp_path):
    layer_testing.check_layer(convolution.TiledConv2D, kwargs, (2, 6, 5, 2), output_shape, tmp_path)


# AttentionPooling


def test_attention_docstring_example_runs():
    results = doctest.testmod(attention, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert results.attempted > 0 and results.failed == 0


def test_attention_pooling_matches_hand_computation():
    states = np.array([[[1.0, 0.0], [0.0, 2.0], [3.0, 3.0]]], dtype="float32")
    layer = attention.AttentionPooling(units=1, return_weights=True)
    layer.build(states.shape)
    layer.kernel.assign([[1.0], [0.0]])  # W h_t reads the first feature only.
    layer.bias.assign([0.0])
    layer.score_vector.assign([[2.0]])
    pooled, weights = layer(states, mask=np.array([[True, True, False]]))
    scores = 2.0 * np.tanh(np.array([1.0, 0.0]))  # e_t = v tanh(W h_t + b), masked step left out
    expected = np.exp(scores) / np.exp(scores).sum()
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights)[0], [*expected, 0.0], rtol=1e-6)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(pooled)[0], expected @ states[0, :2], rtol=1e-6
    )


def test_attention_weights_sum_to_one_over_unmasked_steps_and_zero_elsewhere():
    states = np.random.default_rng(0).normal(size=(3, 6, 4)).astype("float32")
    mask = np.arange(6)[None, :] < np.array([[6], [2], [0]])  # the last row is all padding
    layer = attention.AttentionPooling(units=5, return_weights=True)
    pooled, weights = (keras.ops.convert_to_numpy(t) for t in layer(states, mask=mask))
    np.testing.assert_allclose(weights.sum(axis=1), [1.0, 1.0, 0.0], atol=1e-6)
    assert np.all(weights[~mask] == 0.0) and np.all(weights[mask] > 0.0)
    np.testing.assert_array_equal(pooled[2], np.zeros(4))  # no NaN for an empty sequence


def test_attention_takes_the_mask_from_an_embedding():
    tokens = keras.Input(shape=(None,), dtype="int32")
    embedded = keras.layers.Embedding(10, 4, mask_zero=True)(tokens)
    _, weights = attention.AttentionPooling(units=3, return_weights=True)(embedded)
    model = keras.Model(tokens, weights)
    result = model.predict(np.array([[4, 5, 0, 0], [1, 2, 3, 0]]), verbose=0)
    np.testing.assert_array_equal(result[:, 3], [0.0, 0.0])
    assert result[0, 2] == 0.0
    np.testing.assert_allclose(result.sum(axis=1), [1.0, 1.0], rtol=1e-6)


def test_attention_output_shapes_with_weights():
    layer = attention.AttentionPooling(units=2, return_weights=True)
    assert layer.compute_output_shape((None, 7, 3)) == ((None, 3), (None, 7))


@pytest.mark.parametrize("kwargs", [{"units": 0}, {"units": 2.5}, {"units": True}])
def test_attention_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="Received"):
        attention.AttentionPooling(**kwargs)


def test_attention_needs_a_sequence_of_states():
    with pytest.raises(ValueError, match="return_sequences=True"):
        attention.AttentionPooling(units=2)(np.zeros((2, 3), "float32"))


def test_attention_passes_layer_checks(tmp_path):
    layer_testing.check_layer(attention.AttentionPooling, {"units": 4}, (3, 5, 6), (3, 6), tmp_path)


# PositionEmbedding


def test_position_embedding_adds_one_learned_vector_per_position():
    inputs = np.arange(2 * 3 * 2, dtype="float32").reshape(2, 3, 2)
    layer = attention.PositionEmbedding()
    layer.build(inputs.shape)
    table = np.array([[10.0, 0.0], [0.0, 20.0], [-1.0, -1.0]], "float32")
    layer.embeddings.assign(table)
    outputs = keras.ops.convert_to_numpy(layer(inputs))
    np.testing.assert_array_equal(outputs, inputs + table[None])  # Same table for each image.
    gradient = gradient_of_sum(layer, inputs, layer.embeddings)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(gradient), np.full((3, 2), 2.0))


def test_position_embedding_makes_equal_cells_distinguishable():
    layer = attention.PositionEmbedding()
    outputs = keras.ops.convert_to_numpy(layer(np.ones((1, 4, 8), "float32")))
    assert len({tuple(row) for row in outputs[0].round(6)}) == 4


@pytest.mark.parametrize("input_shape", [(2, 8), (2, None, 8), (2, 3, 3, 8)])
def test_position_embedding_needs_known_positions_and_features(input_shape):
    with pytest.raises(ValueError, match="Received: input_shape"):
        attention.PositionEmbedding().build(input_shape)


def test_position_embedding_passes_layer_checks(tmp_path):
    layer_testing.check_layer(attention.PositionEmbedding, {}, (3, 5, 6), (3, 5, 6), tmp_path)
