"""Across a kill: early stopping's best weights and patience count survive on disk, and a
resumed fit deals the same data order and random draws as an uninterrupted one."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.data import sequences
from common.nn import gradients, resumable


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


def data_and_model(pipeline):
    """Reshuffled examples into a small dense net with dropout; or length-bucketed token batches
    (a shuffle of batches fed by a shuffle of examples) into an embedding net with dropout."""
    random = np.random.default_rng(0)
    if pipeline == "shuffled":
        x = random.normal(size=(200, 4)).astype("float32")
        y = (x.sum(axis=1) > 0).astype("float32")
        data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(200, seed=0).batch(32)
        layers = [keras.Input((4,)), keras.layers.Dense(8, activation="relu")]
    else:
        tokens = random.integers(1, 20, size=(200, 12))
        for row, length in zip(tokens, random.integers(2, 13, size=200), strict=True):
            row[length:] = 0
        y = (tokens[:, 0] > 10).astype("float32")
        data = sequences.bucketed_batches(tokens, y, batch_size=16, seed=0, pool_batches=4)
        layers = [keras.Input((None,), dtype="int32"), keras.layers.Embedding(20, 4),
                  keras.layers.GlobalAveragePooling1D()]  # fmt: skip
    layers += [keras.layers.Dropout(0.5), keras.layers.Dense(1, activation="sigmoid")]
    return data, keras.Sequential(layers)


def train(folder, restore, pipeline="shuffled", interrupt_after=None):
    """Four epochs on reshuffled data; a fresh start each call, as a new process would make.
    Returns the final weights and the per-step losses."""
    keras.utils.set_random_seed(0)
    data, model = data_and_model(pipeline)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    steps = gradients.StepRecorder(keys=("loss",), path=folder / "steps.json")
    callbacks = [keras.callbacks.BackupAndRestore(str(folder / "backup")), steps]
    if restore:
        callbacks.append(resumable.ResumableRandomness(folder / "random.json", data))
    if interrupt_after is not None:
        callbacks.append(InterruptAfterEpoch(interrupt_after))
    model.fit(data, epochs=4, callbacks=callbacks, verbose=0)
    return model.get_weights(), steps.history["loss"]


@pytest.mark.parametrize("pipeline", ["shuffled", "bucketed"])
@pytest.mark.parametrize("restore", [True, False])
def test_a_resumed_fit_draws_what_an_uninterrupted_one_draws(tmp_path, restore, pipeline):
    """With the callback, kill-and-resume ends with exactly the uninterrupted weights and step
    record; without it, the resumed epochs see a new data order and new dropout masks (a
    control: the test can fail). Also guards `ITERATORS_PER_EPOCH` and
    `ITERATORS_READ_PER_EPOCH` against a Keras release that changes them."""
    whole, whole_steps = train(tmp_path / "whole", restore, pipeline)
    with pytest.raises(Interrupt):
        train(tmp_path / "killed", restore, pipeline, interrupt_after=1)
    resumed, resumed_steps = train(tmp_path / "killed", restore, pipeline)
    same = all(np.array_equal(a, b) for a, b in zip(whole, resumed, strict=True))
    assert same == restore
    assert len(resumed_steps) == len(whole_steps)  # The steps before the kill are kept.
    assert (resumed_steps == whole_steps) == restore
    assert not (tmp_path / "killed" / "random.json").exists()  # Finished: nothing to resume.
