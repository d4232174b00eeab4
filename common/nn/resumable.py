"""Early stopping that survives an interruption: its memory is kept on disk, beside the backup.

`ValidationEarlyStopping` remembers the best epoch's weights and how long it has waited in
memory. A training killed and resumed by `keras.callbacks.BackupAndRestore` would forget them:
the resumed part would restore the best weights of its own epochs only, and count patience
from zero. This subclass saves that memory after every epoch and reads it back when the fit
resumes, so an interrupted training stops and restores exactly as an uninterrupted one.
"""

import json
import os
import pathlib

import keras
import numpy as np

from common.nn import callbacks

STATE_KEYS = ("best_epoch", "best_value", "wait", "last_epoch")


@keras.saving.register_keras_serializable(package="dlfb")
class ResumableEarlyStopping(callbacks.ValidationEarlyStopping):
    """`ValidationEarlyStopping` whose state lives in `path` (JSON) and `path`.npz (weights).

    The files are written at the end of every epoch and removed when the fit ends; a fit that
    starts where the saved state left off (`BackupAndRestore` resuming at the next epoch) takes
    them back, any other fit ignores them.

    Example:

    ```python
    model.fit(x, y, validation_data=(x_val, y_val), epochs=20, callbacks=[
        keras.callbacks.BackupAndRestore("run/backup"),  # First: it sets the resumed epoch.
        ResumableEarlyStopping("run/early_stopping.json", patience=3),
    ])
    ```

    Args:
        path: JSON file of the state; the best weights go to the same name with `.npz`.
        **kwargs: The arguments of `ValidationEarlyStopping` (`monitor`, `patience`, ...).
    """

    def __init__(self, path, **kwargs):
        self.path = pathlib.Path(path)  # Before the parent's __init__, which resets the state.
        self.weights_path = self.path.with_suffix(".npz")
        super().__init__(**kwargs)

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        resumed_at = getattr(getattr(self, "model", None), "_initial_epoch", None) or 0
        state = self._read_state()
        if resumed_at and state and state["last_epoch"] == resumed_at - 1:
            for key in STATE_KEYS:
                setattr(self, key, state[key])
            if self.best_epoch is not None and self.weights_path.exists():
                with np.load(self.weights_path) as saved:
                    self.best_weights = [saved[f"w{i}"] for i in range(len(saved.files))]

    def on_epoch_end(self, epoch, logs=None):
        improved_before = self.best_epoch
        super().on_epoch_end(epoch, logs)
        if self.best_epoch != improved_before and self.best_weights is not None:
            arrays = {f"w{i}": weight for i, weight in enumerate(self.best_weights)}
            temporary = self.weights_path.with_name(f".{self.weights_path.name}.tmp.npz")
            np.savez(temporary, **arrays)
            os.replace(temporary, self.weights_path)
        state = {key: getattr(self, key) for key in STATE_KEYS}
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(state))
        os.replace(temporary, self.path)  # After the weights: the state never names lost ones.

    def on_train_end(self, logs=None):
        super().on_train_end(logs)
        for path in (self.path, self.weights_path):
            path.unlink(missing_ok=True)  # Finished: nothing is left to resume.

    def _read_state(self):
        try:
            state = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) and set(STATE_KEYS) <= state.keys() else None

    def get_config(self):
        return {**super().get_config(), "path": str(self.path)}
