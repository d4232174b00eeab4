"""Every project survives `kill -9` and gives the same numbers twice: real subprocesses.

For each project, an uninterrupted smoke run (two epochs) is the reference. A second run of the
same command is killed with SIGKILL in the middle of its second epoch (a real signal, sent by
the process to itself from inside `fit`, so the moment is exact), then the command is run
again: it must resume from the finished epoch, its report must cover both epochs, and every
number must equal the reference's (the data order and the seed generators are restored too):
the same seed gives the same numbers in two processes. Ctrl-C (a real SIGINT) must stop a run
with the message that says how to resume. The runs of one project go in parallel to save wall
time.
"""

import json
import math
import os
import pathlib
import resource
import signal
import subprocess
import sys
import time

import pytest

from common.data import loaders

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Tiny runs: two epochs, so a kill in epoch 2 leaves one finished epoch to resume from.
# Each keeps the model with the project's own training step: the adversarial wrapper, the
# predictive autoencoder, the captioning decoder.
PROJECT_FLAGS = {
    "image_classification": [],
    # The length-bucketed batches are the point; a one-way GRU traces in half the time.
    "sentiment_lstm": [
        "--set",
        "ablations=",
        "--set",
        "baselines=majority",
        "--set",
        "encoder=gru",
        "--set",
        "pooling=last",
    ],
    "denoising_autoencoder": ["--set", "variants=predictive"],
    "adversarial_regularization": [
        "--set",
        "variants=adversarial_pgd",
        "--set",
        "multiplier_sweep=",
    ],
    "image_captioning": ["--set", "ablations="],
}
# Run inside the killed process: SIGKILL at the first batch of the second epoch of the first
# `fit`, after epoch 1's backup and history are on disk. TrainingRecorder is in every project.
KILL_IN_SECOND_EPOCH = """
import os, runpy, signal, sys
from common.nn import recorder
begin = recorder.TrainingRecorder.on_epoch_begin
def on_epoch_begin(self, epoch, logs=None):
    begin(self, epoch, logs)
    self.epoch_now = epoch
def on_train_batch_end(self, batch, logs=None):
    if self.epoch_now >= 1:
        os.kill(os.getpid(), signal.SIGKILL)
recorder.TrainingRecorder.on_epoch_begin = on_epoch_begin
recorder.TrainingRecorder.on_train_batch_end = on_train_batch_end
sys.argv = [sys.argv[0]] + sys.argv[2:]
runpy.run_module(PROJECT, run_name="__main__")
"""
TIMING_WORDS = ("time", "seconds", "per_second", "elapsed")


def command(project, folder, *extra):
    """The CLI flags of one tiny run writing under `folder`."""
    flags = ["--preset", "smoke", "--epochs", "2", "--out", str(folder / "reports")]
    return flags + ["--workdir", str(folder / "runs"), *PROJECT_FLAGS[project], *extra]


def environment(folder):
    return {
        **os.environ,
        "CI": "1",  # One progress line per epoch.
        "DLFB_DATA_DIR": str(loaders.sample_dir()),
        "DLFB_CACHE_DIR": str(folder / "cache"),
        "DLFB_SYSTEM_DATA": "0",
    }


def restore_ctrl_c():
    """A child inherits an ignored SIGINT (a shell's background job, some CI runners): give it
    the default a terminal gives, so Ctrl-C reaches the run as it would a user's."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(project, folder, flags, kill=False, signal_name="SIGKILL"):
    """Starts `python -m projects.<project> FLAGS`, or the variant that sends itself a signal."""
    if kill:
        code = KILL_IN_SECOND_EPOCH.replace("PROJECT", repr(f"projects.{project}"))
        code = code.replace("SIGKILL", signal_name)
        argv = [sys.executable, "-c", code, "--", *flags]
    else:
        argv = [sys.executable, "-m", f"projects.{project}", *flags]
    return subprocess.Popen(
        argv, cwd=ROOT, env=environment(folder), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, preexec_fn=restore_ctrl_c,
    )  # fmt: skip


def finish(process, timeout=600):
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def numbers(value, path=""):
    """The run's numbers as {path: value}, leaving out clocks (they differ run to run)."""
    if isinstance(value, dict):
        found = {}
        for key, item in value.items():
            if not any(word in str(key) for word in TIMING_WORDS):
                found.update(numbers(item, f"{path}/{key}"))
        return found
    if isinstance(value, list):
        found = {}
        for index, item in enumerate(value):
            found.update(numbers(item, f"{path}[{index}]"))
        return found
    if isinstance(value, float) and math.isnan(value):
        return {path: "nan"}
    return {path: value} if isinstance(value, (int, float)) else {}


def measured(run):
    return numbers({"metrics": run["metrics"], "training": run["training"]})


def saved(folder, project):
    return json.loads((folder / "reports" / project / "metrics.json").read_text())


def last_model_history(folder, project):
    """The history of the model the kill interrupted (the one left with a backup)."""
    backups = list((folder / "runs" / project).glob("*/*/backup"))
    assert len(backups) == 1, backups
    return backups[0].parent


@pytest.mark.parametrize("project", sorted(PROJECT_FLAGS))
def test_kill_9_then_rerun_resumes_and_two_runs_give_the_same_numbers(project, tmp_path):
    first, crashed = tmp_path / "first", tmp_path / "crashed"
    started, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
    # The resumed run must equal this uninterrupted one: two processes, the same numbers.
    reference = start(project, first, command(project, first))
    code, _, err = finish(start(project, crashed, command(project, crashed), kill=True))
    assert code == -signal.SIGKILL, err[-3000:]
    killed = last_model_history(crashed, project)
    assert len(json.loads((killed / "history.json").read_text())["loss"]) == 1
    assert (killed / "early_stopping.json").exists()
    assert not (crashed / "reports" / project).exists()  # No report of a half-finished run.
    code, _, err = finish(start(project, crashed, command(project, crashed)))
    assert code == 0, err[-3000:]
    assert f"[{killed.name}] resuming the interrupted training" in err
    assert not (killed / "early_stopping.json").exists()
    code, _, err = finish(reference)
    assert code == 0, err[-3000:]
    whole, resumed = saved(first, project), saved(crashed, project)
    history, reference = (run["training"][killed.name]["history"] for run in (resumed, whole))
    assert len(history["loss"]) == 2  # The record covers the epoch before the kill and after.
    clocks = [key for key in history if any(word in key for word in TIMING_WORDS)]
    before_kill = {key: values[0] for key, values in history.items() if key not in clocks}
    assert before_kill == {key: reference[key][0] for key in before_kill}
    # The same data order and random draws (ResumableRandomness): the same run.
    assert measured(resumed) == measured(whole)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    print(
        f"{project}: {time.perf_counter() - started:.0f} s, {cpu_seconds:.0f} CPU-s; resumed "
        f"{resumed['metrics']['summary']} / uninterrupted {whole['metrics']['summary']}; "
        f"epoch-2 val_loss {history['val_loss'][1]:.6g} / {reference['val_loss'][1]:.6g}"
    )


def test_ctrl_c_stops_cleanly_with_a_message_saying_how_to_resume(tmp_path):
    project = "image_classification"
    flags = command(project, tmp_path)
    code, _, err = finish(start(project, tmp_path, flags, kill=True, signal_name="SIGINT"))
    assert code == 130, err[-3000:]
    assert "Interrupted. Finished epochs and models are saved; rerun the same command" in err
    assert "Traceback" not in err
    assert last_model_history(tmp_path, project).name == "headline"  # Its backup is kept.
