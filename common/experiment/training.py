"""Training one model of a plan, resumable and reusable: the part of `fit` every project shares.

A run is resumable at two grains. Inside one model's training, Keras' `BackupAndRestore` saves
the weights, optimizer state and epoch at the end of every epoch, and `TrainingRecorder` saves
the history beside them; rerunning the same command continues from the last finished epoch.
Across the models of a plan, each finished model leaves `model.keras` and `result.json` in its
own folder, and a rerun reuses them instead of training them again. Both live in the run folder,
which is keyed by the config's fingerprint, so a changed config starts fresh.
"""

import dataclasses
import json
import os
import pathlib
import shutil
import sys
import time

import keras

from common.experiment import config as config_lib
from common.nn import callbacks

RESULT_FILE = "result.json"
# Keras progress output: a live bar in a terminal; one line per epoch in CI logs, in a file and
# in a pipe (`python -m projects all` reads each project's output through one), where a bar
# would print a line per update.
VERBOSE = 1 if sys.stdout.isatty() and not os.environ.get("CI") else 2
MODEL_FILE = "model.keras"
# What Keras' safe mode says when a file holds code (a Lambda) or a class it cannot find.
UNSAFE_SIGNS = ("safe_mode", "could not be deserialized", "Could not locate class")


def set_seed(seed):
    """Seeds Python, NumPy and the backend (TensorFlow) in one call: one `--seed`, one run."""
    keras.utils.set_random_seed(int(seed))


def run_dir(workdir, project, preset, config):
    """The folder that holds one configuration's checkpoints, models and results."""
    return pathlib.Path(workdir) / project / f"{preset}-{config_lib.fingerprint(config)}"


def prepare_run(config, workdir, project, preset, fresh=False):
    """Seeds everything from `config.seed` and returns this configuration's run folder.

    `fresh` deletes what an earlier run of the same configuration left (checkpoints, models).
    """
    set_seed(config.seed)
    folder = run_dir(workdir, project, preset, config)
    if fresh:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclasses.dataclass
class ModelRun:
    """Where one model's training keeps its state, handed to the project's `train_model`.

    `train_model` passes `backup_dir` to `keras.callbacks.BackupAndRestore`, `history_path` to
    `TrainingRecorder`, `steps_path` to `gradients.StepRecorder`, `early_stopping_path` to
    `ResumableEarlyStopping`, `random_state_path` to `ResumableRandomness` and `tensorboard_dir`
    to `keras.callbacks.TensorBoard`; `notes` takes anything else worth keeping for the report
    (e.g. a curriculum's pacing), JSON-friendly.
    """

    name: str
    folder: pathlib.Path
    notes: dict = dataclasses.field(default_factory=dict)

    @property
    def backup_dir(self):
        return str(self.folder / "backup")

    @property
    def history_path(self):
        return self.folder / "history.json"

    @property
    def steps_path(self):
        """`gradients.StepRecorder`'s per-step record, so its curve survives a kill too."""
        return self.folder / "steps.json"

    @property
    def early_stopping_path(self):
        """`ResumableEarlyStopping`'s memory (best epoch, weights), so it survives a kill too."""
        return self.folder / "early_stopping.json"

    @property
    def random_state_path(self):
        """`ResumableRandomness`' seed-generator states, so a resumed fit draws as before."""
        return self.folder / "random_state.json"

    @property
    def tensorboard_dir(self):
        return str(self.folder / "tensorboard")


@dataclasses.dataclass
class TrainedModel:
    """A trained model and the record of its training (history, stopping, cost)."""

    model: keras.Model
    record: dict


def train_or_reuse(name, train_model, config, datasets, folder):
    """Trains one model of the plan with `train_model(config, datasets, run)`, from the run's
    seed, or reuses the one a finished earlier run of the same command saved in `folder`."""
    folder = pathlib.Path(folder)
    finished = load_finished(folder)
    if finished is not None:
        print(f"[{name}] finished in an earlier run of this command; reusing it.", file=sys.stderr)
        return finished
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "backup").exists():
        print(f"[{name}] resuming the interrupted training saved in {folder}.", file=sys.stderr)
    set_seed(config.seed)  # Same initial randomness for every model.
    run = ModelRun(name, folder)
    start = time.perf_counter()
    model = train_model(config, datasets, run)
    record = make_record(name, model, run, config, time.perf_counter() - start)
    save_finished(folder, model, record)
    return TrainedModel(model, record)


def make_record(name, model, run, config, seconds):
    """What the report needs of one training: history, early stopping, parameters, cost."""
    history = read_history(run.history_path)
    epoch_times = history.get("epoch_time", [])
    monitored = history.get("val_loss", [])
    record = {
        "name": name,
        "parameters": int(model.count_params()),
        # All epochs' time, interrupted parts included, else this call's.
        "wall_time_seconds": float(sum(epoch_times)) if epoch_times else seconds,
        "history": history,
        "early_stopping": callbacks.stopping_summary(
            monitored, planned_epochs=config.epochs, patience=config.patience
        ),
        "resumed": False,
    }
    record.update(run.notes)
    return record


def read_history(path):
    try:
        return json.loads(pathlib.Path(path).read_text())
    except (OSError, ValueError):
        return {}


def save_finished(folder, model, record):
    """Saves the model, then its record: `result.json` is written last, as the 'done' mark."""
    model.save(folder / MODEL_FILE)
    temporary = folder / (RESULT_FILE + ".tmp")
    temporary.write_text(json.dumps(record, indent=2, default=float))
    os.replace(temporary, folder / RESULT_FILE)


def load_finished(folder):
    """Returns the `TrainedModel` a finished training left in `folder`, or None."""
    result_path = folder / RESULT_FILE
    if not result_path.exists() or not (folder / MODEL_FILE).exists():
        return None
    try:
        record = json.loads(result_path.read_text())
        model = keras.saving.load_model(folder / MODEL_FILE, safe_mode=True)
    except (ValueError, OSError) as error:
        print(f"Ignoring the unreadable saved result in {folder} ({error}).", file=sys.stderr)
        return None
    record["resumed"] = True
    return TrainedModel(model, record)


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
        text = str(error).strip()
        first_line = text.splitlines()[0] if text else type(error).__name__
        if any(sign in text for sign in UNSAFE_SIGNS):
            raise ValueError(
                f"Refused to load the model in {path}: it holds a Lambda layer (Python code) or a "
                "class this project does not define, and loading it could run code from the file "
                f"(Keras safe mode; {first_line[:160]}). This project saves neither: train the "
                "model again with this project's command."
            ) from None
        raise ValueError(
            f"Could not load the model in {path}: {first_line}. The file is damaged or was not "
            "written by this project; delete it and train again."
        ) from error


def summarize(record, planned_epochs):
    """One model's training in a few numbers: its early-stopping point, length and cost."""
    stopping = record["early_stopping"]
    stopped = stopping["stopped_epoch"]
    epochs_run = planned_epochs if stopped is None else stopped + 1
    return {
        "parameters": record["parameters"],
        "val_loss": stopping["best_value"],
        "best_epoch": stopping["best_epoch_number"],
        "epochs_run": epochs_run,
        "first_recorded_epoch": epochs_run - len(record["history"].get("val_loss", [])) + 1,
        "wall_time_seconds": record["wall_time_seconds"],
    }
