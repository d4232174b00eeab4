"""Training one model of a plan: an interrupted fit resumes with its whole history, a finished
model is reused, the early-stopping outcome is read back from the history."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from common.experiment import training
from common.nn import callbacks, recorder


@dataclasses.dataclass(frozen=True)
class TinyConfig:
    seed: int = 0
    epochs: int = 5
    patience: int = 10


def make_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5], dtype="float32"))[:, None]
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16)


class InterruptAfter(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def train_model(config, dataset, run, interrupt_after=None):
    """A project's train_model in miniature: build, compile, fit with the usual callbacks."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="mse")
    extra = [] if interrupt_after is None else [InterruptAfter(interrupt_after)]
    model.fit(
        dataset,
        validation_data=dataset,
        epochs=config.epochs,
        callbacks=[
            keras.callbacks.BackupAndRestore(run.backup_dir),
            callbacks.ValidationEarlyStopping(patience=config.patience),
            recorder.TrainingRecorder(run.history_path),
            *extra,
        ],
        verbose=0,
    )
    run.notes["note"] = {"epochs": config.epochs}
    return model


def test_interrupted_training_resumes_and_its_record_covers_every_epoch(tmp_path):
    dataset = make_data()

    def interrupted(config, data, run):
        return train_model(config, data, run, interrupt_after=1)

    with pytest.raises(KeyboardInterrupt):
        training.train_or_reuse("linear", interrupted, TinyConfig(), dataset, tmp_path / "linear")
    assert (tmp_path / "linear" / "backup").exists()
    assert len(training.read_history(tmp_path / "linear" / "history.json")["loss"]) == 2
    trained = training.train_or_reuse(
        "linear", train_model, TinyConfig(), dataset, tmp_path / "linear"
    )
    history = trained.record["history"]
    assert len(history["loss"]) == 5  # Epochs 1-2 from the first part, 3-5 from the second.
    assert history["loss"][0] > history["loss"][-1]
    assert not (tmp_path / "linear" / "backup").exists()  # Keras deletes it after a finished fit.
    assert trained.record["note"] == {"epochs": 5}
    assert trained.record["wall_time_seconds"] == pytest.approx(sum(history["epoch_time"]))


def test_finished_model_is_reused_not_retrained(tmp_path):
    dataset = make_data()
    first = training.train_or_reuse("linear", train_model, TinyConfig(), dataset, tmp_path / "m")
    assert first.record["resumed"] is False and len(first.record["history"]["loss"]) == 5
    assert first.record["early_stopping"]["best_epoch_number"] >= 1

    def must_not_train(*arguments):
        raise AssertionError("a finished model was trained again")

    again = training.train_or_reuse("linear", must_not_train, TinyConfig(), dataset, tmp_path / "m")
    assert again.record["resumed"] is True and again.record["history"] == first.record["history"]
    np.testing.assert_allclose(again.model.get_weights()[0], first.model.get_weights()[0])


def test_stopping_summary_read_from_the_history_matches_the_callback():
    values = [1.0, 0.8, 0.9, 0.85, 0.95, 0.7]
    summary = callbacks.stopping_summary(values[:5], planned_epochs=6, patience=3)
    assert summary["best_epoch_number"] == 2 and summary["stopped_epoch"] == 4
    assert "stopped after epoch 5" in summary["stop_reason"]
    ran_all = callbacks.stopping_summary(values, planned_epochs=6, patience=5)
    assert ran_all["stopped_epoch"] is None and ran_all["best_epoch_number"] == 6
    assert ran_all["stop_reason"].startswith("ran all 6 epochs")
    never = callbacks.stopping_summary([float("nan")] * 2, planned_epochs=2, patience=3)
    assert never["best_epoch"] is None and "never available" in never["stop_reason"]


def test_broken_model_file_gets_a_clear_message(tmp_path):
    path = tmp_path / "model.keras"
    path.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="damaged"):
        training.load_model_file(path)
    with pytest.raises(FileNotFoundError, match="No saved model"):
        training.load_model_file(tmp_path / "missing.keras")


def test_model_files_with_code_or_unknown_classes_are_refused_in_safe_mode(tmp_path):
    lambda_model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)])
    lambda_model.save(tmp_path / "lambda.keras")

    @keras.saving.register_keras_serializable(package="test_training")
    class Mystery(keras.layers.Layer):
        def call(self, inputs):
            return inputs

    keras.Sequential([keras.Input((3,)), Mystery()]).save(tmp_path / "mystery.keras")
    del keras.saving.get_custom_objects()["test_training>Mystery"]  # Unknown when loading.
    for name in ("lambda.keras", "mystery.keras"):
        with pytest.raises(ValueError, match="Refused to load the model") as caught:
            training.load_model_file(tmp_path / name)
        message = str(caught.value)
        assert "\n" not in message and "train the model again" in message
