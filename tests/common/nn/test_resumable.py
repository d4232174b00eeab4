"""Across a kill: early stopping's best weights and patience count survive on disk, and a
resumed fit deals the same data order and random draws as an uninterrupted one."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.nn import resumable


class FakeModel:
    """One weight array; `_initial_epoch` is where `BackupAndRestore` says the fit resumes."""

    def __init__(self, value, initial_epoch=None):
        self.weights = [np.full(2, float(value))]
        self.stop_training = False
        self._initial_epoch = initial_epoch

    def get_weights(self):
        return self.weights

    def set_weights(self, weights):
        self.weights = [np.array(weight) for weight in weights]


def start(path, model):
    stopper = resumable.ResumableEarlyStopping(path, patience=2)
    stopper.set_model(model)
    stopper.on_train_begin()
    return stopper


def test_a_resumed_fit_restores_the_best_weights_seen_before_the_kill(tmp_path):
    path = tmp_path / "early_stopping.json"
    first = start(path, FakeModel(0))
    first.on_epoch_end(0, {"val_loss": 1.0})  # The best epoch.
    first.model.set_weights([np.full(2, 1.0)])
    first.on_epoch_end(1, {"val_loss": 2.0})
    # Killed here: no on_train_end. A new process resumes at epoch 2 with epoch 2's weights.
    second = start(path, FakeModel(1, initial_epoch=2))
    assert (second.best_epoch, second.wait) == (0, 1)
    second.on_epoch_end(2, {"val_loss": 3.0})
    assert second.model.stop_training and second.stopped_epoch == 2  # Patience 2 spans the kill.
    second.on_train_end()
    assert second.model.weights[0].tolist() == [0.0, 0.0]
    assert not path.exists() and not path.with_suffix(".npz").exists()


def test_state_of_another_fit_is_ignored(tmp_path):
    path = tmp_path / "early_stopping.json"
    first = start(path, FakeModel(0))
    first.on_epoch_end(0, {"val_loss": 1.0})
    for model in (FakeModel(5), FakeModel(5, initial_epoch=3)):  # Fresh, or resumed elsewhere.
        stopper = start(path, model)
        assert stopper.best_epoch is None and stopper.wait == 0
    path.write_text("{broken")
    assert start(path, FakeModel(5, initial_epoch=1)).best_epoch is None


class Interrupt(Exception):
    pass


class InterruptAfterEpoch(keras.callbacks.Callback):
    """Stops the fit, as a kill would, once epoch `epoch` is backed up."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Interrupt()


def train(folder, restore, interrupt_after=None):
    """Four epochs of a small net with dropout on reshuffled data; a fresh start each call, as a
    new process would make. Returns the final weights."""
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(200, 4)).astype("float32")
    y = (x.sum(axis=1) > 0).astype("float32")
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(200, seed=0).batch(32)
    model = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dropout(0.5),
        keras.layers.Dense(1, activation="sigmoid"),
    ])  # fmt: skip
    model.compile(optimizer="adam", loss="binary_crossentropy")
    callbacks = [keras.callbacks.BackupAndRestore(str(folder / "backup"))]
    if restore:
        callbacks.append(resumable.ResumableRandomness(folder / "random.json", data))
    if interrupt_after is not None:
        callbacks.append(InterruptAfterEpoch(interrupt_after))
    model.fit(data, epochs=4, callbacks=callbacks, verbose=0)
    return model.get_weights()


@pytest.mark.parametrize("restore", [True, False])
def test_a_resumed_fit_draws_what_an_uninterrupted_one_draws(tmp_path, restore):
    """With the callback, kill-and-resume ends with exactly the uninterrupted weights; without
    it, the resumed epochs see a new data order and new dropout masks (a control: the test can
    fail). Also guards `ITERATORS_PER_EPOCH` against a Keras release that changes it."""
    whole = train(tmp_path / "whole", restore)
    with pytest.raises(Interrupt):
        train(tmp_path / "killed", restore, interrupt_after=1)
    resumed = train(tmp_path / "killed", restore)
    same = all(np.array_equal(a, b) for a, b in zip(whole, resumed, strict=True))
    assert same == restore
    assert not (tmp_path / "killed" / "random.json").exists()  # Finished: nothing to resume.
