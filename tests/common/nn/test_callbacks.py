"""Tests for the shared callbacks: early stopping, the training recorder and the curriculum."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.nn import callbacks, curriculum
from common.nn import recorder as recorder_lib


class FakeModel:
    """Stands in for a Keras model: one weight array that the test sets to the epoch index."""

    def __init__(self):
        self.weights = [np.zeros(2)]
        self.stop_training = False

    def get_weights(self):
        return self.weights

    def set_weights(self, weights):
        self.weights = [np.array(weight) for weight in weights]


def drive(callback, values, monitor="val_loss"):
    """Runs a callback over scripted logs, as `model.fit` would, and returns the fake model."""
    model = FakeModel()
    callback.set_model(model)
    callback.set_params({"epochs": len(values)})
    callback.on_train_begin()
    for epoch, value in enumerate(values):
        model.weights[0][:] = epoch  # in place: the callback must copy what it keeps
        callback.on_epoch_end(epoch, {monitor: value})
        if model.stop_training:
            break
    callback.on_train_end()
    return model


def linear_data(size=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(size, 2)).astype("float32")
    return x, (x @ np.array([[2.0], [-1.0]]) + 1.0).astype("float32")


def linear_model(learning_rate=0.1):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(learning_rate), loss="mse")
    return model


def test_early_stopping_stops_after_patience_and_restores_best_weights():
    stopper = callbacks.ValidationEarlyStopping(patience=3)
    model = drive(stopper, [1.0, 0.5, 0.4, 0.6, 0.7, 0.8, 0.9, 1.0])
    assert (stopper.best_epoch, stopper.best_value, stopper.stopped_epoch) == (2, 0.4, 5)
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])
    assert stopper.stop_reason == (
        "val_loss did not improve by more than 0.0 for 3 epochs after epoch 3 (best 0.4); "
        "stopped after epoch 6 and restored the weights of epoch 3."
    )
    assert stopper.summary()["best_epoch_number"] == 3


def test_early_stopping_restores_best_weights_when_epochs_run_out():
    stopper = callbacks.ValidationEarlyStopping(patience=5, min_delta=0.01)
    model = drive(stopper, [1.0, 0.5, 0.3, 0.295, 0.4])
    assert stopper.stopped_epoch is None and stopper.best_epoch == 2
    np.testing.assert_array_equal(model.weights[0], [2.0, 2.0])
    assert stopper.stop_reason.startswith("ran all 5 epochs; restored the weights of epoch 3")


def test_early_stopping_resets_on_train_begin_and_infers_mode():
    stopper = callbacks.ValidationEarlyStopping(monitor="val_accuracy", patience=1)
    assert stopper.direction == "max"
    assert callbacks.ValidationEarlyStopping(monitor="val_mae").direction == "min"
    assert callbacks.ValidationEarlyStopping(monitor="val_auc", mode="min").direction == "min"
    drive(stopper, [0.5, 0.9, 0.8], monitor="val_accuracy")
    assert (stopper.best_epoch, stopper.stopped_epoch) == (1, 2)
    drive(stopper, [0.6, 0.7, 0.8], monitor="val_accuracy")  # worse than 0.9, still a fresh run
    assert (stopper.best_epoch, stopper.best_value, stopper.stopped_epoch) == (2, 0.8, None)


def test_early_stopping_warns_about_a_missing_monitor():
    stopper = callbacks.ValidationEarlyStopping()
    with pytest.warns(UserWarning, match="Available keys: loss"):
        model = drive(stopper, [1.0, 0.5], monitor="loss")
    assert not model.stop_training
    assert stopper.stop_reason == "val_loss was never available; kept the final weights."


def test_early_stopping_in_fit_restores_the_weights_of_the_best_epoch():
    keras.utils.set_random_seed(0)
    x, y = linear_data()
    model = linear_model(learning_rate=0.05)
    snapshots = []
    snapshot = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights())
    )
    stopper = callbacks.ValidationEarlyStopping(patience=2)
    for _ in range(2):  # the same instance, reused: the second fit starts clean
        snapshots.clear()
        history = model.fit(x, y, validation_data=(x, -y), epochs=20, callbacks=[snapshot, stopper])
        best = stopper.best_epoch
        assert best == int(np.argmin(history.history["val_loss"]))
        assert stopper.stopped_epoch == best + 2 == len(history.history["loss"]) - 1
        for restored, kept in zip(model.get_weights(), snapshots[best], strict=True):
            np.testing.assert_array_equal(restored, kept)


@pytest.mark.parametrize(
    "arguments",
    [{"patience": -1}, {"patience": 1.5}, {"mode": "up"}, {"min_delta": -0.1}, {"monitor": ""}],
)
def test_early_stopping_rejects_bad_arguments(arguments):
    with pytest.raises(ValueError, match="Received"):
        callbacks.ValidationEarlyStopping(**arguments)


@pytest.mark.parametrize(
    "callback",
    [
        callbacks.ValidationEarlyStopping(monitor="val_accuracy", patience=2, start_from_epoch=1),
        recorder_lib.TrainingRecorder(log_gradient_norm=False),
        curriculum.CurriculumScheduler([3.0, 1.0, 2.0], pacing="step", full_data_epoch=2, seed=3),
    ],
)
def test_get_config_round_trips(callback):
    config = callback.get_config()
    json.dumps(config)
    assert type(callback).from_config(config).get_config() == config
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(callback))
    assert type(restored) is type(callback) and restored.get_config() == config


def test_recorder_records_one_entry_per_epoch_with_a_decaying_learning_rate():
    keras.utils.set_random_seed(0)
    x, y = linear_data()
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    model = linear_model(learning_rate=schedule)
    recorder = recorder_lib.TrainingRecorder(probe_data=(x[:16], y[:16]))
    model.fit(x, y, batch_size=16, validation_data=(x, y), epochs=4, callbacks=[recorder])
    history = recorder.history
    for name in ("loss", "val_loss", "learning_rate", "gradient_norm", "epoch_time"):
        assert len(history[name]) == 4, name
    np.testing.assert_allclose(history["learning_rate"], 0.1 * 0.5 ** np.arange(1, 5), rtol=1e-5)
    assert np.all(np.diff(history["elapsed_time"]) > 0)
    assert history["gradient_norm"][-1] < history["gradient_norm"][0]
    with tf.GradientTape() as tape:
        loss = keras.ops.mean((model(x[:16]) - y[:16]) ** 2)
    gradients = tape.gradient(loss, model.trainable_variables)
    expected = np.sqrt(sum(float(tf.reduce_sum(g**2)) for g in gradients))
    np.testing.assert_allclose(history["gradient_norm"][-1], expected, rtol=1e-5)
    model.fit(x, y, batch_size=16, epochs=2, callbacks=[recorder])
    assert len(recorder.history["loss"]) == 2 and "val_loss" not in recorder.history


def test_recorder_prefers_a_logged_gradient_norm_and_aligns_missing_keys():
    recorder = recorder_lib.TrainingRecorder(probe_data=None)
    recorder.set_model(linear_model())
    recorder.on_train_begin()
    for epoch, logs in enumerate([{"loss": 1.0, "gradient_norm": 3.0}, {"loss": 0.5, "val": 2.0}]):
        recorder.on_epoch_begin(epoch)
        recorder.on_epoch_end(epoch, logs)
    assert recorder.history["learning_rate"] == pytest.approx([0.1, 0.1])
    np.testing.assert_array_equal(recorder.history["gradient_norm"], [3.0, np.nan])
    np.testing.assert_array_equal(recorder.history["val"], [np.nan, 2.0])
    with pytest.raises(ValueError, match="Received"):
        recorder_lib.TrainingRecorder(probe_data=np.zeros(3))


def test_curriculum_fractions_and_admitted_indices():
    linear = curriculum.CurriculumScheduler(np.arange(8.0), start_fraction=0.25, full_data_epoch=4)
    assert [linear.fraction(e) for e in range(6)] == [0.25, 0.4375, 0.625, 0.8125, 1.0, 1.0]
    step = curriculum.CurriculumScheduler(
        np.arange(8.0), "step", start_fraction=0.2, full_data_epoch=6, num_steps=2
    )
    assert [step.fraction(e) for e in range(8)] == pytest.approx([0.2] * 3 + [0.6] * 3 + [1.0] * 2)
    review_lengths = np.array([50, 10, 30, 20, 40, 60, 5, 70])
    scheduler = curriculum.CurriculumScheduler(
        review_lengths, start_fraction=0.25, full_data_epoch=4
    )
    assert scheduler.admitted_indices(0).tolist() == [6, 1]
    assert scheduler.admitted_indices(2).tolist() == [6, 1, 3, 2, 4]
    assert scheduler.admitted_indices(9).tolist() == np.argsort(review_lengths).tolist()


def test_curriculum_in_fit_admits_the_easiest_examples_each_epoch():
    keras.utils.set_random_seed(0)
    size, difficulty = 40, np.random.default_rng(1).permutation(40).astype(float)
    scheduler = curriculum.CurriculumScheduler(difficulty, start_fraction=0.25, full_data_epoch=3)
    seen = []

    class RecordIndices(keras.layers.Layer):
        def call(self, inputs, training=None):
            if training:
                seen[-1].extend(keras.ops.convert_to_numpy(inputs)[:, 0].astype(int))
            return inputs

    model = keras.Sequential([keras.Input((1,)), RecordIndices(), keras.layers.Dense(1)])
    model.compile("sgd", "mse", run_eagerly=True)
    new_epoch = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append([]))
    x, y = np.arange(size, dtype="float32")[:, None], np.zeros((size, 1), "float32")
    model.fit(
        scheduler.dataset(x, y, batch_size=8),
        epochs=4,
        callbacks=[new_epoch, scheduler],
        shuffle=False,
    )
    assert scheduler.fractions == [0.25, 0.5, 0.75, 1.0]
    assert scheduler.examples_seen == [10, 20, 30, 40]
    for epoch, indices in enumerate(seen):
        assert len(indices) == size  # every epoch takes the same number of steps
        admitted = set(scheduler.admitted_indices(epoch).tolist())
        assert set(indices) == admitted
        rejected = sorted(set(range(size)) - admitted)
        assert rejected == [] or difficulty[list(admitted)].max() <= difficulty[rejected].min()


def first_epoch_order(seed, features):
    scheduler = curriculum.CurriculumScheduler(np.arange(20.0), start_fraction=0.5, seed=seed)
    scheduler.on_epoch_begin(0)
    batches = scheduler.dataset(features, np.arange(20), batch_size=5)
    return np.concatenate([labels for _, labels in batches.as_numpy_iterator()]).tolist()


def test_curriculum_shuffles_within_the_subset_deterministically():
    features = {"tokens": np.zeros((20, 3)), "length": np.arange(20)}
    order = first_epoch_order(0, features)
    assert sorted(order) == sorted(list(range(10)) * 2)  # two passes over the admitted half
    assert order[:10] != list(range(10)) and order[:10] != order[10:]
    assert first_epoch_order(0, features) == order
    assert first_epoch_order(1, features) != order


@pytest.mark.parametrize(
    "arguments",
    [
        {"pacing": "cosine"},
        {"start_fraction": 0.0},
        {"start_fraction": 1.5},
        {"full_data_epoch": 0},
        {"num_steps": 0},
        {"difficulty": np.zeros((2, 2))},
        {"difficulty": []},
        {"difficulty": [1.0, np.nan]},
    ],
)
def test_curriculum_rejects_bad_arguments(arguments):
    with pytest.raises(ValueError, match="Received"):
        curriculum.CurriculumScheduler(**{"difficulty": [1.0, 2.0], **arguments})
