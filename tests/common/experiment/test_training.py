"""Resumable training: an interrupted fit continues; a finished variant is reused."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.experiment import training


@dataclasses.dataclass(frozen=True)
class TinyConfig:
    epochs: int = 5
    patience: int = 10


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5], dtype="float32"))[:, None]
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16), (x[:16], y[:16])


def build():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse", jit_compile=False)
    return model


class InterruptAfter(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_interrupted_fit_resumes_from_last_finished_epoch(tmp_path):
    dataset, _ = make_data()
    training.set_seed(0)
    model = build()
    with pytest.raises(KeyboardInterrupt):
        training.fit_resumable(
            model,
            dataset,
            dataset,
            epochs=5,
            folder=tmp_path,
            callbacks=[InterruptAfter(1)],
            verbose=0,
        )
    assert (tmp_path / "backup").exists()
    resumed = build()
    history = training.fit_resumable(
        resumed, dataset, dataset, epochs=5, folder=tmp_path, verbose=0
    )
    assert len(history.history["loss"]) == 3  # Epochs 3, 4 and 5 only.
    assert not (tmp_path / "backup").exists()  # Keras deletes the backup after a finished fit.


def test_finished_variant_is_reused_not_retrained(tmp_path):
    dataset, probe = make_data()
    arguments = dict(config=TinyConfig(), folder=tmp_path / "linear", probe_data=probe)
    model, result = training.train_variant("linear", build, dataset, dataset, **arguments)
    assert result["resumed"] is False and len(result["history"]["loss"]) == 5
    assert result["early_stopping"]["best_epoch_number"] >= 1

    def must_not_build():
        raise AssertionError("a finished variant was trained again")

    again, reused = training.train_variant("linear", must_not_build, dataset, dataset, **arguments)
    assert reused["resumed"] is True and reused["history"] == result["history"]
    np.testing.assert_allclose(again.get_weights()[0], model.get_weights()[0])


def test_broken_model_file_gets_a_clear_message(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="damaged"):
        training.load_model_file(path)
    with pytest.raises(FileNotFoundError, match="No saved model"):
        training.load_model_file(tmp_path / "missing.keras")


class CountEpochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = 0

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1

    def summary(self):
        return {"epochs": self.epochs}


def test_extra_callbacks_run_and_their_summaries_are_kept(tmp_path):
    dataset, probe = make_data()
    arguments = dict(config=TinyConfig(epochs=2), folder=tmp_path / "linear", probe_data=probe)
    extra = {"counter": CountEpochs(), "no_summary": keras.callbacks.Callback()}
    _, result = training.train_variant(
        "linear", build, dataset, dataset, callbacks=extra, **arguments
    )
    assert result["counter"] == {"epochs": 2} and "no_summary" not in result
    _, reused = training.train_variant("linear", build, dataset, dataset, **arguments)
    assert reused["counter"] == {"epochs": 2}
