"""Tests for common/nn/gradients.py: the per-step gradient norm and its recorder."""

import json

import keras
import numpy as np
import tensorflow as tf

from common.nn import gradients


def small_model(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(3,))
    outputs = keras.layers.Dense(1, name="dense")(inputs)
    return gradients.GradientNormModel(inputs, outputs)


def data():
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    return x, (x @ np.array([1.0, -2.0, 3.0], "float32"))[:, None] + 5.0


def test_logged_norm_is_the_global_gradient_norm_before_clipping():
    x, y = data()
    model = small_model()
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(y, model(x))
    expected = tf.linalg.global_norm(tape.gradient(loss, model.trainable_variables))
    model.compile(optimizer=keras.optimizers.SGD(0.1, global_clipnorm=0.01), loss="mse")
    steps = gradients.StepRecorder()
    model.fit(x, y, batch_size=8, epochs=2, callbacks=[steps], verbose=0)
    assert len(steps.history["gradient_norm"]) == 2
    np.testing.assert_allclose(steps.history["gradient_norm"][0], float(expected), rtol=1e-5)
    assert steps.history["gradient_norm"][0] > 0.01  # clipping had work to do


def test_clipping_bounds_the_update_and_metrics_still_work():
    x, y = data()
    model = small_model()
    model.compile(
        optimizer=keras.optimizers.SGD(1.0, global_clipnorm=0.5), loss="mse", metrics=["mae"]
    )
    before = [np.array(weight) for weight in model.trainable_weights]
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    change = [np.array(w) - old for w, old in zip(model.trainable_weights, before, strict=True)]
    assert np.sqrt(sum(float((d**2).sum()) for d in change)) <= 0.5 + 1e-5
    assert {"loss", "mae", "gradient_norm"} <= set(history.history)


def test_saves_and_loads_like_a_functional_model(tmp_path):
    x, y = data()
    model = small_model()
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert isinstance(loaded, gradients.GradientNormModel)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert "gradient_norm" in loaded.fit(x, y, verbose=0).history


def test_step_recorder_keeps_at_most_max_steps():
    x, y = data()
    model = small_model()
    model.compile(optimizer="sgd", loss="mse")
    steps = gradients.StepRecorder(max_steps=3)
    model.fit(x, y, batch_size=2, epochs=2, callbacks=[steps], verbose=0)
    assert [len(values) for values in steps.summary().values()] == [3, 3]


def test_step_recorder_saves_each_epoch_and_a_damaged_record_starts_again(tmp_path):
    x, y = data()
    model = small_model()
    model.compile(optimizer="sgd", loss="mse")
    path = tmp_path / "steps.json"
    steps = gradients.StepRecorder(path=path)
    model.fit(x, y, batch_size=2, epochs=2, callbacks=[steps], verbose=0)
    saved = json.loads(path.read_text())
    assert saved["steps_per_epoch"] == [len(x) // 2] * 2
    assert saved["history"]["loss"] == steps.history["loss"]
    model.fit(x, y, batch_size=2, epochs=1, callbacks=[steps], verbose=0)  # Not resumed.
    assert len(steps.history["loss"]) == len(x) // 2  # A new fit starts a new record.
    path.write_text("{broken")
    model.fit(x, y, batch_size=2, epochs=1, callbacks=[steps], verbose=0)
    assert len(steps.history["loss"]) == len(x) // 2
    assert steps.get_config()["path"] == str(path)
