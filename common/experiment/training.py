"""Training helpers shared by every project: seeding, resumable fits, and finished-work reuse.

A run is resumable at two grains. Inside one model's training, Keras' `BackupAndRestore` saves
the weights, optimizer state and epoch at the end of every epoch; rerunning the same command
continues from the last finished epoch. Across the several models of an ablation, each finished
model leaves `result.json` and `model.keras` in its own folder, and a rerun reuses them instead of
training them again. Both are keyed by the config's fingerprint, so a changed config starts fresh.
"""

import json
import os
import pathlib
import shutil
import sys
import time

import keras

from common.experiment import config as config_lib
from common.nn import callbacks as dlfb_callbacks
from common.nn import recorder as recorder_lib

RESULT_FILE = "result.json"
MODEL_FILE = "model.keras"


def set_seed(seed):
    """Seeds Python, NumPy and the backend (TensorFlow) in one call: one `--seed`, one run."""
    keras.utils.set_random_seed(int(seed))


def run_dir(workdir, project, preset, config_fingerprint):
    """The folder that holds one configuration's checkpoints and models."""
    path = pathlib.Path(workdir) / project / f"{preset}-{config_fingerprint}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def fit_resumable(model, train_data, validation_data, *, epochs, folder, callbacks=(), verbose=1):
    """`model.fit` with `BackupAndRestore` in `folder/backup`: an interrupted fit resumes.

    Returns the Keras `History`. The backup is deleted by Keras when training finishes.
    """
    backup = keras.callbacks.BackupAndRestore(backup_dir=str(pathlib.Path(folder) / "backup"))
    if (pathlib.Path(folder) / "backup").exists():
        print(f"Resuming the interrupted training saved in {folder}/backup.", file=sys.stderr)
    return model.fit(
        train_data,
        validation_data=validation_data,
        epochs=epochs,
        shuffle=False,  # tf.data pipelines shuffle themselves, with the run's seed.
        callbacks=[backup, *callbacks],
        verbose=verbose,
    )


def train_variant(
    name,
    build_model,
    train_data,
    validation_data,
    *,
    config,
    folder,
    probe_data,
    callbacks=None,
):
    """Trains one model (one row of an ablation) with early stopping, or reuses a finished one.

    `build_model()` returns a compiled model. Returns `(model, result)` where `result` holds the
    per-epoch history, the early-stopping summary, the parameter count and the wall time.
    `callbacks` is an optional dict of extra callbacks by name; the `summary()` of each one that
    has it is kept in `result` under its name (saved with the result, so a reused variant has it).
    """
    callbacks = dict(callbacks or {})
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    finished = load_finished(folder)
    if finished is not None:
        print(f"[{name}] finished in an earlier run of this command; reusing it.", file=sys.stderr)
        return finished
    model = build_model()
    early_stopping = dlfb_callbacks.ValidationEarlyStopping(
        monitor="val_loss", patience=config.patience, restore_best_weights=True
    )
    recorder = recorder_lib.TrainingRecorder(probe_data=probe_data)
    print(f"[{name}] training {model.count_params():,} parameters.", file=sys.stderr)
    start = time.perf_counter()
    fit_resumable(
        model,
        train_data,
        validation_data,
        epochs=config.epochs,
        folder=folder,
        callbacks=[early_stopping, recorder, *callbacks.values()],
        verbose=2 if os.environ.get("CI") else 1,
    )
    result = {
        "name": name,
        "parameters": int(model.count_params()),
        "wall_time_seconds": time.perf_counter() - start,
        "history": recorder.history,
        "early_stopping": early_stopping.summary(),
        "resumed": False,
    }
    for key, callback in callbacks.items():
        if hasattr(callback, "summary"):
            result[key] = callback.summary()
    save_finished(folder, model, result)
    return model, result


def save_finished(folder, model, result):
    """Saves the model, then its result: `result.json` is written last, as the 'done' mark."""
    model.save(folder / MODEL_FILE)
    temporary = folder / (RESULT_FILE + ".tmp")
    temporary.write_text(json.dumps(result, indent=2, default=float))
    os.replace(temporary, folder / RESULT_FILE)


def load_finished(folder):
    """Returns `(model, result)` for a finished variant in `folder`, or None."""
    result_path = folder / RESULT_FILE
    if not result_path.exists() or not (folder / MODEL_FILE).exists():
        return None
    try:
        result = json.loads(result_path.read_text())
        model = keras.saving.load_model(folder / MODEL_FILE, safe_mode=True)
    except (ValueError, OSError) as error:
        print(f"Ignoring the unreadable saved result in {folder} ({error}).", file=sys.stderr)
        return None
    result["resumed"] = True
    return model, result


def clear(folder):
    """Deletes the checkpoints and finished models of one configuration (`--fresh`)."""
    shutil.rmtree(folder, ignore_errors=True)


def load_model_file(path):
    """Loads a `.keras` file in safe mode with one clear message when it is missing or broken."""
    path = pathlib.Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"No saved model at {path}. Train one first with the project's run."
        )
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # Keras raises several types for a malformed archive.
        raise ValueError(
            f"Could not load the model in {path}: {error}. The file is damaged or was not written "
            "by this project; delete it and train again."
        ) from error


def summarize(result, planned_epochs):
    """One model's training in a few numbers: its early-stopping point, length and cost.

    A training resumed after an interruption recorded only its last epochs in `history`;
    `first_recorded_epoch` says which (1 for an uninterrupted one).
    """
    stopping = result["early_stopping"]
    stopped = stopping["stopped_epoch"]
    epochs_run = planned_epochs if stopped is None else stopped + 1
    return {
        "parameters": result["parameters"],
        "val_loss": stopping["best_value"],
        "best_epoch": stopping["best_epoch_number"],
        "epochs_run": epochs_run,
        "first_recorded_epoch": epochs_run - len(result["history"]["val_loss"]) + 1,
        "wall_time_seconds": result["wall_time_seconds"],
    }


def prepare_run(config, workdir, project, preset, fresh=False):
    """Seeds everything from `config.seed` and returns this configuration's run folder.

    `fresh` deletes what an earlier run of the same configuration left (checkpoints, models).
    """
    set_seed(config.seed)
    folder = run_dir(workdir, project, preset, config_lib.fingerprint(config))
    if fresh:
        clear(folder)
        folder.mkdir(parents=True)
    return folder
