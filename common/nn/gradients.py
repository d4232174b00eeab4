"""Watching the gradient at every training step: a model that reports its norm, and a recorder.

Exploding and vanishing gradients (book Sections 8.2.5 and 10.7) and the cliffs that gradient
clipping guards against (Section 10.11.1, Figure 10.17) happen from one step to the next, so an
end-of-epoch probe misses them. `GradientNormModel` is an ordinary functional model whose
training step also returns the global L2 norm of the gradient it computed, before any clipping;
`StepRecorder` keeps that and the loss for every step.
"""

import json
import pathlib

import keras
import tensorflow as tf

from common.nn import recorder


@keras.saving.register_keras_serializable(package="dlfb")
class GradientNormModel(keras.Model):
    """A functional model whose `fit` logs `gradient_norm`, ||g||_2 before clipping, every step.

    Build it like `keras.Model(inputs, outputs)`; it trains, saves and loads like one. The
    optimizer still applies its own clipping (`clipnorm`, `global_clipnorm`) afterwards, so
    the logged value shows what clipping had to cut. TensorFlow backend only.

    Example:

    ```python
    model = GradientNormModel(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(global_clipnorm=1.0), loss="mse")
    steps = StepRecorder()
    model.fit(x, y, callbacks=[steps])
    steps.history["gradient_norm"]  # one raw norm per training step
    ```
    """

    def train_step(self, data):
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(
                x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True
            )
        variables = self.trainable_variables
        gradients = tape.gradient(loss, variables)
        norm = tf.linalg.global_norm([g for g in gradients if g is not None])
        self.optimizer.apply(gradients, variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred, sample_weight=sample_weight)
        return {**self.get_metrics_result(), "gradient_norm": norm}


@keras.saving.register_keras_serializable(package="dlfb")
class StepRecorder(keras.callbacks.Callback):
    """Records chosen logged values after every training step (not averaged over the epoch).

    With a `GradientNormModel`, `keys=("loss", "gradient_norm")` gives the per-step curves of
    the book's Figure 8.1 and of gradient clipping. `loss` in Keras' step logs is the running
    mean over the epoch so far; `gradient_norm` is the step's own value. With a `path`, the
    steps are also written there (JSON, atomically) after every epoch, and a training resumed by
    `keras.callbacks.BackupAndRestore` continues them from the epoch it resumes at, so the
    curve covers the whole training, interruptions included.

    Example:

    ```python
    steps = StepRecorder(path="run/steps.json")
    model.fit(x, y, epochs=3, callbacks=[keras.callbacks.BackupAndRestore("run/backup"), steps])
    steps.history["loss"]  # one value per step of all three epochs
    ```

    Args:
        keys: Names of the logged values to keep. Defaults to `("loss", "gradient_norm")`.
        max_steps: Keep at most this many steps (the first ones), to bound memory and the size
            of saved results. Defaults to `20_000`.
        path: Optional JSON file the steps are saved to after every epoch (and read back on
            resume). Defaults to `None`.
    """

    def __init__(self, keys=("loss", "gradient_norm"), max_steps=20_000, path=None):
        super().__init__()
        self.keys = tuple(keys)
        self.max_steps = int(max_steps)
        self.path = None if path is None else pathlib.Path(path)
        self.history = {key: [] for key in self.keys}
        self.steps_per_epoch = []  # Steps kept in each finished epoch.

    def on_train_begin(self, logs=None):
        self.history, self.steps_per_epoch = self._load()

    def on_epoch_begin(self, epoch, logs=None):
        if len(self.steps_per_epoch) > epoch:  # Resumed: drop what the epochs redone recorded.
            kept = sum(self.steps_per_epoch[:epoch])
            self.history = {key: values[:kept] for key, values in self.history.items()}
            self.steps_per_epoch = self.steps_per_epoch[:epoch]
        self.epoch_start_steps = len(self.history[self.keys[0]])

    def on_train_batch_end(self, batch, logs=None):
        if not logs or len(self.history[self.keys[0]]) >= self.max_steps:
            return
        for key in self.keys:
            value = logs.get(key)
            self.history[key].append(float("nan") if value is None else float(value))

    def on_epoch_end(self, epoch, logs=None):
        self.steps_per_epoch.append(len(self.history[self.keys[0]]) - self.epoch_start_steps)
        if self.path is not None:
            saved = {"steps_per_epoch": self.steps_per_epoch, "history": self.history}
            recorder.save_json(self.path, saved)

    def summary(self):
        """The per-step values as a JSON-friendly dict of lists."""
        return {key: list(values) for key, values in self.history.items()}

    def get_config(self):
        path = None if self.path is None else str(self.path)
        return {"keys": list(self.keys), "max_steps": self.max_steps, "path": path}

    def _load(self):
        empty = {key: [] for key in self.keys}, []
        if self.path is None or not self.path.exists():
            return empty
        try:
            saved = json.loads(self.path.read_text())
            history = {key: [float(v) for v in saved["history"][key]] for key in self.keys}
            counts = [int(count) for count in saved["steps_per_epoch"]]
        except (OSError, ValueError, KeyError, TypeError):
            return empty  # A damaged record is started again; the weights come from the backup.
        if sum(counts) != len(history[self.keys[0]]):
            return empty
        return history, counts
