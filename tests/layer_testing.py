"""Shared check for custom layers: shapes, config, `.keras` round trip and one training step."""

import keras
import numpy as np


def check_layer(layer_class, init_kwargs, input_shape, expected_output_shape, tmp_path):
    """Run the checks every custom layer must pass; return the built layer for more checks.

    `input_shape` and `expected_output_shape` include the batch size. The layer is tested
    alone (call, compute_output_shape, get_config/from_config) and inside a small Functional
    model `Input -> Dense -> layer`, which must reload from a `.keras` file with safe_mode=True
    to identical outputs and train for one step with a finite loss and changing weights.
    """
    inputs = np.random.default_rng(0).normal(size=input_shape).astype("float32")
    layer = layer_class(**init_kwargs)
    assert tuple(layer(inputs).shape) == tuple(expected_output_shape)
    assert tuple(layer.compute_output_shape(input_shape)) == tuple(expected_output_shape)
    config = layer.get_config()
    assert layer_class.from_config(config).get_config() == config

    model = _small_model(layer_class(**init_kwargs), input_shape)
    path = tmp_path / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(reloaded.predict_on_batch(inputs), model.predict_on_batch(inputs))

    _check_training_step(model, inputs)
    return layer


def _small_model(layer, input_shape):
    """Functional model `Input -> Dense(same width) -> layer`, so gradients pass through it."""
    inputs = keras.Input(shape=input_shape[1:])
    features = keras.layers.Dense(input_shape[-1])(inputs)
    return keras.Model(inputs, layer(features))


def _check_training_step(model, inputs):
    """Fit one step on random targets; the loss is finite and every trainable weight moves."""
    targets = np.random.default_rng(1).normal(size=(len(inputs), *model.output.shape[1:]))
    model.compile(optimizer="adam", loss="mse", jit_compile=False)
    before = [np.array(weight) for weight in model.trainable_weights]
    history = model.fit(inputs, targets, batch_size=len(inputs), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for weight, old_value in zip(model.trainable_weights, before, strict=True):
        assert not np.array_equal(np.array(weight), old_value), f"{weight.path} did not change"
