"""Early stopping (book Section 7.8) as a Keras callback, and the clocks a time budget reads.

The other callbacks of the collection sit beside this module: `TrainingRecorder` in
`common/nn/recorder.py`, `CurriculumScheduler` in `common/nn/curriculum.py`, `StepRecorder` in
`common/nn/gradients.py`, and the learning-rate schedule over a time budget, `WallClockDecay`, in
`common/nn/schedules.py` with its step-counted twin.
"""

import math
import numbers
import time
import warnings

import keras
import numpy as np

MAXIMIZED_NAME_PARTS = ("acc", "auc", "precision", "recall", "f1", "iou")


def _is_count(value):
    """True for a whole number >= 0 (not a bool)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0


@keras.saving.register_keras_serializable(package="dlfb")
class ValidationEarlyStopping(keras.callbacks.Callback):
    """Stops training when the validation metric stops improving, and keeps the best weights.

    Early stopping (Deep Learning book, Section 7.8, Algorithm 7.1) treats the number of epochs as
    a hyperparameter chosen on a held-out validation set: it remembers the weights of the best
    validation epoch, stops after `patience` epochs without improvement, and hands back the best
    weights, also when training ends because the epochs ran out. Epoch numbers in `stop_reason`
    are 1-based, like Keras' progress bar; `best_epoch` and `stopped_epoch` are 0-based indices.

    Example:

    ```python
    stopper = ValidationEarlyStopping(monitor="val_loss", patience=3)
    model.fit(x, y, validation_data=(x_val, y_val), epochs=50, callbacks=[stopper])
    stopper.summary()["stop_reason"]
    ```

    Args:
        monitor: Name of the logged value to watch. Defaults to `"val_loss"`.
        mode: `"min"`, `"max"`, or `"auto"` (maximize names containing "acc", "auc",
            "precision", "recall", "f1" or "iou", minimize the rest). Defaults to `"auto"`.
        patience: Epochs without improvement before stopping. Defaults to `5`.
        min_delta: Smallest change that counts as an improvement. Defaults to `0.0`.
        restore_best_weights: Whether to put the best epoch's weights back into the model at the
            end of training. Defaults to `True`.
        start_from_epoch: Epochs of warm-up before monitoring starts. Defaults to `0`.
    """

    def __init__(
        self,
        monitor="val_loss",
        mode="auto",
        patience=5,
        min_delta=0.0,
        restore_best_weights=True,
        start_from_epoch=0,
    ):
        super().__init__()
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"`monitor` must be a metric name. Received: monitor={monitor}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"`mode` must be 'auto', 'min' or 'max'. Received: mode={mode}")
        if not _is_count(patience):
            raise ValueError(f"`patience` must be an integer >= 0. Received: patience={patience}")
        if not isinstance(min_delta, numbers.Real) or not min_delta >= 0:
            raise ValueError(f"`min_delta` must be a number >= 0. Received: min_delta={min_delta}")
        if not _is_count(start_from_epoch):
            raise ValueError(
                "`start_from_epoch` must be an integer >= 0. "
                f"Received: start_from_epoch={start_from_epoch}"
            )
        self.monitor = monitor
        self.mode = mode
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.direction = mode if mode != "auto" else self._infer_direction(monitor)
        self.on_train_begin()

    @staticmethod
    def _infer_direction(monitor):
        name = monitor.lower()
        return "max" if any(part in name for part in MAXIMIZED_NAME_PARTS) else "min"

    def on_train_begin(self, logs=None):
        self.best_epoch = None
        self.best_value = None
        self.best_weights = None
        self.stopped_epoch = None
        self.stop_reason = None
        self.last_epoch = None
        self.wait = 0
        self._warned_missing = False

    def _is_improvement(self, value):
        return improves(value, self.best_value, self.direction, self.min_delta)

    def _read_monitor(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None and not self._warned_missing:
            self._warned_missing = True
            warnings.warn(
                f"ValidationEarlyStopping monitors `{self.monitor}`, which is not in the logs. "
                f"Available keys: {', '.join(logs or {}) or 'none'}. Did you pass validation_data?",
                stacklevel=2,
            )
        return None if value is None else float(value)

    def on_epoch_end(self, epoch, logs=None):
        self.last_epoch = epoch
        value = self._read_monitor(logs)
        if value is None or epoch < self.start_from_epoch:
            return
        if self._is_improvement(value):
            self.best_epoch, self.best_value, self.wait = epoch, value, 0
            self.best_weights = [np.array(weight, copy=True) for weight in self.model.get_weights()]
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        restored = self.restore_best_weights and self.best_weights is not None
        if restored:
            self.model.set_weights(self.best_weights)
        self.stop_reason = self._describe(restored)

    def _describe(self, restored):
        total = (self.params or {}).get("epochs")
        return describe(
            self.monitor, self.min_delta, self.best_epoch, self.best_value, self.stopped_epoch,
            self.wait, (self.last_epoch or 0) + 1, total, restored,
        )  # fmt: skip

    def summary(self):
        """Returns the outcome as a JSON-friendly dict for the report."""
        return {
            "monitor": self.monitor,
            "mode": self.direction,
            "best_epoch": self.best_epoch,
            "best_epoch_number": None if self.best_epoch is None else self.best_epoch + 1,
            "best_value": self.best_value,
            "stopped_epoch": self.stopped_epoch,
            "stop_reason": self.stop_reason,
        }

    def get_config(self):
        return {
            "monitor": self.monitor,
            "mode": self.mode,
            "patience": self.patience,
            "min_delta": self.min_delta,
            "restore_best_weights": self.restore_best_weights,
            "start_from_epoch": self.start_from_epoch,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def improves(value, best, direction, min_delta=0.0):
    """Whether `value` beats `best` by more than `min_delta` (NaN never does; anything beats
    None)."""
    if math.isnan(value):
        return False
    if best is None:
        return True
    if direction == "min":
        return value < best - min_delta
    return value > best + min_delta


def describe(monitor, min_delta, best_epoch, best_value, stopped_epoch, wait, epochs_run, total,
             restored):  # fmt: skip
    """The early-stopping outcome in one sentence (epochs counted from 1 in the text)."""
    if best_epoch is None:
        return f"{monitor} was never available; kept the final weights."
    best_number = best_epoch + 1
    weights = (
        f"restored the weights of epoch {best_number}" if restored else "kept the final weights"
    )
    if stopped_epoch is not None:
        epochs = f"{wait} epoch{'s' if wait != 1 else ''}"
        return (
            f"{monitor} did not improve by more than {min_delta} for {epochs} after epoch "
            f"{best_number} (best {best_value:.4g}); stopped after epoch {stopped_epoch + 1} "
            f"and {weights}."
        )
    ran = f"ran all {total} epochs" if total == epochs_run else f"ended after epoch {epochs_run}"
    at_epoch = "" if restored else f" at epoch {best_number}"
    return f"{ran}; {weights} (best {monitor} {best_value:.4g}{at_epoch})."


def stopping_summary(values, *, planned_epochs, patience, monitor="val_loss", mode="auto",
                     min_delta=0.0):  # fmt: skip
    """What `ValidationEarlyStopping` did, read back from the monitored value of every epoch
    run (a saved history): the same dict as its `summary()`, best weights restored."""
    direction = mode if mode != "auto" else ValidationEarlyStopping._infer_direction(monitor)
    best_epoch, best_value, wait, stopped_epoch = None, None, 0, None
    for epoch, value in enumerate(values):
        if improves(float(value), best_value, direction, min_delta):
            best_epoch, best_value, wait = epoch, float(value), 0
            continue
        wait += 1
        if wait >= patience:
            stopped_epoch = epoch
            break
    reason = describe(
        monitor, min_delta, best_epoch, best_value, stopped_epoch, wait, len(values),
        planned_epochs, restored=best_epoch is not None,
    )  # fmt: skip
    return {
        "monitor": monitor,
        "mode": direction,
        "best_epoch": best_epoch,
        "best_epoch_number": None if best_epoch is None else best_epoch + 1,
        "best_value": best_value,
        "stopped_epoch": stopped_epoch,
        "stop_reason": reason,
    }


# The clocks a time budget can be measured on. "process" is the CPU time of this process, all
# threads together: it stops while the process waits, e.g. while a shared virtual machine is
# paused by its host, which a wall clock would charge to whatever happened to be running.
CLOCKS = {"wall": time.perf_counter, "process": time.process_time}


def clock_function(clock):
    """The function reading `clock` ("wall" or "process"), with a clear error for other names."""
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {sorted(CLOCKS)}. Received: clock={clock!r}")
    return CLOCKS[clock]
