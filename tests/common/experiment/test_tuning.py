"""The tuner search in real processes: a chief and two workers share one search the Keras Tuner
way (no trial runs twice, the chief reports), and a search killed with SIGKILL resumes without
losing or repeating a finished trial.

The search is the denoising autoencoder's smoke preset (the cheapest project to tune) on the
bundled sample. `--epochs 1` gives Hyperband `max_epochs=2`, one bracket of two 2-epoch trials,
which ends on its own: with `--max-trials` the first worker told to stop can leave the chief
waiting in Keras Tuner's 20-second sleep for the other one.
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

from common.data import loaders

ROOT = pathlib.Path(__file__).resolve().parents[3]
PROJECT = "denoising_autoencoder"
TRIALS = 2  # Hyperband's one bracket for max_epochs=2.


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(folder, cache, tuner=None, port=None):
    """`python -m projects.<PROJECT> tune` writing under `folder`, optionally distributed."""
    environment = {
        **os.environ, "CI": "1", "DLFB_CACHE_DIR": str(cache), "DLFB_SYSTEM_DATA": "0",
    }  # fmt: skip
    environment.pop("DLFB_DATA_DIR", None)
    for name in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"):
        environment.pop(name, None)
    if tuner is not None:
        environment.update(
            KERASTUNER_TUNER_ID=tuner,
            KERASTUNER_ORACLE_IP="127.0.0.1",
            KERASTUNER_ORACLE_PORT=str(port),
        )
    argv = [sys.executable, "-m", f"projects.{PROJECT}", "tune", "--preset", "smoke"]
    argv += ["--epochs", "1", "--data-dir", str(loaders.sample_dir())]
    argv += ["--workdir", str(folder / "runs"), "--out", str(folder / "reports")]
    return subprocess.Popen(
        argv, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def finish(process, timeout=300):
    output, _ = process.communicate(timeout=timeout)
    assert process.returncode == 0, output[-3000:]
    return output


def search_folder(folder):
    return folder / "runs" / PROJECT / "tune-smoke" / "search"


def trained_trials(folder):
    """The trials whose model this process trained: the ones with a saved checkpoint."""
    return {path.parent.name for path in search_folder(folder).glob("trial_*/checkpoint*")}


def trial_states(folder):
    """{trial id: (status, score)} from the oracle's trial.json files."""
    states = {}
    for path in search_folder(folder).glob("trial_*/trial.json"):
        trial = json.loads(path.read_text())
        states[trial["trial_id"]] = (trial["status"], trial["score"])
    return states


def test_a_chief_and_two_workers_share_one_search_and_no_trial_runs_twice(tmp_path):
    port, cache = free_port(), tmp_path / "cache"
    workers = [start(tmp_path / f"tuner{n}", cache, f"tuner{n}", port) for n in range(2)]
    processes = list(workers)
    try:
        # The chief starts once both workers have built their tuner and wait for it: a worker
        # that joined after the search ended would wait for a chief that is gone.
        deadline = time.monotonic() + 240
        while not all(search_folder(tmp_path / f"tuner{n}").exists() for n in range(2)):
            assert all(worker.poll() is None for worker in workers), "a worker stopped early"
            assert time.monotonic() < deadline, "the workers did not start in time"
            time.sleep(0.2)
        chief = start(tmp_path / "chief", cache, "chief", port)
        processes.append(chief)
        outputs = [finish(worker) for worker in workers]
        chief_output = finish(chief, timeout=120)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert all("trials done (the chief writes the report)" in text for text in outputs)
    # Each worker trained the trials it was given in its own folder; none trained one twice.
    ran = [trained_trials(tmp_path / f"tuner{n}") for n in range(2)]
    # Not necessarily one each: a worker that finishes its trial before the other one asks
    # takes the next too (seen once in a fresh clone: [2, 0]). Both took part: each was told
    # by the chief that the search is over (above).
    assert not ran[0] & ran[1], ran
    states = trial_states(tmp_path / "chief")  # The chief's oracle holds the search's state.
    assert len(states) == TRIALS and all(status == "COMPLETED" for status, _ in states.values())
    assert ran[0] | ran[1] == {f"trial_{trial_id}" for trial_id in states}
    assert not trained_trials(tmp_path / "chief")  # The chief only hands out trials.
    report = tmp_path / "chief" / "reports" / f"{PROJECT}-tuning"
    metrics = json.loads((report / "metrics.json").read_text())["metrics"]
    assert sorted(row["trial_id"] for row in metrics["trials"]) == sorted(states)
    assert "report:" in chief_output and (report / "index.html").exists()
    assert not any((tmp_path / f"tuner{n}" / "reports").exists() for n in range(2))


def test_a_killed_search_resumes_without_losing_or_repeating_a_finished_trial(tmp_path):
    folder, cache = tmp_path / "alone", tmp_path / "cache"
    process = start(folder, cache)
    deadline = time.monotonic() + 240
    while not any(status == "COMPLETED" for status, _ in trial_states(folder).values()):
        assert process.poll() is None, "the search ended before it could be killed"
        assert time.monotonic() < deadline, "no trial finished in time"
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)  # As a crash would: no clean-up runs.
    process.communicate()
    before = trial_states(folder)
    finished = {trial_id: state for trial_id, state in before.items() if state[0] == "COMPLETED"}
    assert len(finished) == 1, before
    stamps = {path: path.stat().st_mtime_ns for path in search_folder(folder).glob("*/trial.json")}
    finish(start(folder, cache))
    after = trial_states(folder)
    assert len(after) == TRIALS and all(status == "COMPLETED" for status, _ in after.values())
    for trial_id, state in finished.items():  # Kept as they were, not trained again.
        assert after[trial_id] == state
        path = search_folder(folder) / f"trial_{trial_id}" / "trial.json"
        assert path.stat().st_mtime_ns == stamps[path]
    metrics = json.loads((folder / "reports" / f"{PROJECT}-tuning" / "metrics.json").read_text())
    assert len(metrics["metrics"]["trials"]) == TRIALS
