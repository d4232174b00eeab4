"""A Keras callback that records per-epoch metrics, learning rate, timing and gradient norm."""

import json
import os
import pathlib
import time

import keras
import tensorflow as tf


def save_json(path, value):
    """Writes `value` as JSON through a temporary sibling and a rename, so that a kill leaves the
    previous file or the new one, never half of one (the training records that a resume reads)."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(value))
    os.replace(temporary, path)


def gradient_norm(model, x, y):
    """Global L2 norm of the gradient of the model's loss on one batch `(x, y)`.

    Under a `tf.distribute` strategy (its variables are read per replica), each replica
    measures it on the whole batch and one answers; Keras divides a loss by the number of
    replicas there, so the norm is multiplied back.
    """
    if not tf.distribute.in_cross_replica_context():
        return float(local_gradient_norm(model, x, y))
    strategy = tf.distribute.get_strategy()
    norms = strategy.run(lambda: local_gradient_norm(model, x, y))
    return float(strategy.experimental_local_results(norms)[0]) * strategy.num_replicas_in_sync


def local_gradient_norm(model, x, y):
    with tf.GradientTape() as tape:
        y_pred = model(x, training=False)
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=False)
    gradients = tape.gradient(loss, model.trainable_variables)
    squares = [tf.reduce_sum(tf.square(g)) for g in gradients if g is not None]
    return tf.sqrt(tf.add_n(squares)) if squares else tf.constant(0.0)


@keras.saving.register_keras_serializable(package="dlfb")
class TrainingRecorder(keras.callbacks.Callback):
    """Records per-epoch metrics, learning rate, timing and gradient norm in a plain dict.

    Plotting the gradient norm next to the loss shows how the optimization went: in the Deep
    Learning book (Section 8.2.1, Figure 8.1) the gradient norm grows during successful training,
    a sign of ill-conditioning, and the learning rate schedule (Section 8.3.1) explains when
    progress slows down. The norm comes from the logs when a custom `train_step` reports
    `"gradient_norm"`, otherwise from a probe batch at the end of each epoch. The learning rate
    is the one the optimizer uses next (schedules are evaluated at `optimizer.iterations`).

    With a `path`, the history is also written there (JSON, atomically) after every epoch, and
    a training resumed by `keras.callbacks.BackupAndRestore` continues the saved history from the
    epoch it resumes at, so the record covers the whole training, interruptions included.

    Example:

    ```python
    recorder = TrainingRecorder(probe_data=(x_train[:64], y_train[:64]))
    model.fit(x_train, y_train, validation_split=0.2, epochs=5, callbacks=[recorder])
    recorder.history["gradient_norm"]  # one float per epoch, ready for history.csv
    ```

    Args:
        path: Optional JSON file the history is saved to after every epoch (and read back on
            resume). Defaults to `None`.
        probe_data: Optional tuple `(x, y)` of one batch used to measure the gradient norm.
            It is data, not configuration, so `get_config()` leaves it out. Defaults to `None`.
        log_gradient_norm: Whether to record the gradient norm. Defaults to `True`.
    """

    def __init__(self, path=None, probe_data=None, log_gradient_norm=True):
        super().__init__()
        if probe_data is not None and not (isinstance(probe_data, tuple) and len(probe_data) == 2):
            raise ValueError(
                "`probe_data` must be None or a tuple (x, y) of one batch. "
                f"Received: probe_data of type {type(probe_data).__name__}"
            )
        self.path = None if path is None else pathlib.Path(path)
        self.probe_data = probe_data
        self.log_gradient_norm = bool(log_gradient_norm)
        self.history = {}
        self.epochs_recorded = 0

    def on_train_begin(self, logs=None):
        self.history = self._load()
        self.epochs_recorded = max((len(values) for values in self.history.values()), default=0)
        self.train_start = time.perf_counter()
        self.epoch_start = self.train_start
        self.steps_in_epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()
        self.steps_in_epoch = 0

    def on_train_batch_end(self, batch, logs=None):
        self.steps_in_epoch = batch + 1

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        row = {name: float(value) for name, value in (logs or {}).items()}
        row["learning_rate"] = self._learning_rate()
        if self.log_gradient_norm and "gradient_norm" not in row and self.probe_data is not None:
            row["gradient_norm"] = gradient_norm(self.model, *self.probe_data)
        row["epoch_time"] = now - self.epoch_start
        row["elapsed_time"] = now - self.train_start
        row["steps_per_second"] = self.steps_in_epoch / max(row["epoch_time"], 1e-9)
        if not self.log_gradient_norm:
            row.pop("gradient_norm", None)
        self._truncate(epoch)  # A resumed training repeats no epoch of the saved history.
        self._append(row)
        self._save()

    def _learning_rate(self):
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is None:
            return float("nan")
        return float(keras.ops.convert_to_numpy(optimizer.learning_rate))

    def _truncate(self, epoch):
        if self.epochs_recorded > epoch:
            self.history = {name: values[:epoch] for name, values in self.history.items()}
            self.epochs_recorded = epoch

    def _append(self, row):
        """Adds one epoch; a key missing on either side gets NaN so all lists stay aligned."""
        for name in row.keys() - self.history.keys():
            self.history[name] = [float("nan")] * self.epochs_recorded
        for name, values in self.history.items():
            values.append(row.get(name, float("nan")))
        self.epochs_recorded += 1

    def _load(self):
        if self.path is None or not self.path.exists():
            return {}
        try:
            return {
                name: list(values) for name, values in json.loads(self.path.read_text()).items()
            }
        except (OSError, ValueError, AttributeError):
            return {}  # A damaged record is started again; the weights come from the backup.

    def _save(self):
        if self.path is not None:
            save_json(self.path, self.history)

    def get_config(self):
        return {
            "path": None if self.path is None else str(self.path),
            "probe_data": None,
            "log_gradient_norm": self.log_gradient_norm,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
