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

from common.nn import callbacks, recorder

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
        recorder.save_json(self.path, state)  # After the weights: it never names lost ones.

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


# Keras 3.15's `fit` opens two iterators of the training data per epoch: one ahead, at the end
# of each epoch, then a fresh one at the start of the next (`EpochIterator`), and reads one of
# them. Each new iterator of a pipeline shuffled with `reshuffle_each_iteration=True` deals the
# next order; a shuffle that feeds another (length-bucketed batches: examples, then batches)
# deals it only when first read. Checked by tests/common/nn/test_resumable.py, which fails if a
# Keras release changes either count.
ITERATORS_PER_EPOCH = 2
ITERATORS_READ_PER_EPOCH = 1


@keras.saving.register_keras_serializable(package="dlfb")
class ResumableRandomness(keras.callbacks.Callback):
    """Gives a resumed fit the random streams an uninterrupted one would have had.

    A backup of the weights leaves out two random streams. The shuffled data: a pipeline that
    reshuffles at each iteration deals the epochs' orders one after another, so a new process
    would deal epoch 0's order again. The layers' seed generators (dropout masks, noise layers,
    random attack starts): `model.weights` omits their states. This callback saves those
    states after every epoch and, when `BackupAndRestore` resumes at epoch k, restores them and
    opens as many iterators of the training data as the k finished epochs opened, reading one
    batch of as many as they read (a shuffle inside another, as in length-bucketed batches,
    deals its order at the first read), so the resumed epochs see the same examples in the
    same order with the same noise.
    A pipeline that repeats inside an epoch (a curriculum's) draws orders at its own pace and
    is not restored; the seed generators still are. Put it after `BackupAndRestore` and after
    every callback that draws random numbers at an epoch's end (a recorder probing the
    gradients through dropout), so that the state it keeps is the one the next epoch starts
    from.

    Example:

    ```python
    model.fit(train_data, epochs=20, callbacks=[
        keras.callbacks.BackupAndRestore("run/backup"),  # First: it sets the resumed epoch.
        # ... other callbacks ...
        ResumableRandomness("run/random_state.json", train_data),  # Last (see below).
    ])
    ```

    Args:
        path: JSON file of the seed generators' states and the epoch they follow.
        train_data: The `tf.data.Dataset` given to `fit` (the same object).
    """

    def __init__(self, path, train_data=None):
        super().__init__()
        self.path = pathlib.Path(path)
        self.train_data = train_data

    def on_train_begin(self, logs=None):
        resumed_at = getattr(self.model, "_initial_epoch", None) or 0
        state = self._read_state()
        if not resumed_at or state is None or state["epoch"] != resumed_at - 1:
            return
        generators = seed_generator_states(self.model)
        if len(generators) == len(state["seeds"]):
            for variable, value in zip(generators, state["seeds"], strict=True):
                variable.assign(np.asarray(value, dtype=variable.dtype))
        if self.train_data is not None:
            for _ in range(resumed_at):  # Each finished epoch's iterators, as `fit` used them.
                for opened in range(ITERATORS_PER_EPOCH):
                    iterator = iter(self.train_data)
                    if opened < ITERATORS_READ_PER_EPOCH:
                        next(iterator, None)  # The first read deals an inner shuffle's order.

    def on_epoch_end(self, epoch, logs=None):
        seeds = [np.asarray(variable).tolist() for variable in seed_generator_states(self.model)]
        recorder.save_json(self.path, {"epoch": epoch, "seeds": seeds})

    def on_train_end(self, logs=None):
        self.path.unlink(missing_ok=True)  # Finished: nothing is left to resume.

    def _read_state(self):
        try:
            state = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) and {"epoch", "seeds"} <= state.keys() else None

    def get_config(self):
        return {"path": str(self.path)}


def seed_generator_states(model):
    """The state variables of every `keras.random.SeedGenerator` the model tracks, in order."""
    return [variable for variable in model.variables if variable.name == "seed_generator_state"]
