"""`--strategy`: a two-worker cluster on 127.0.0.1 trains a project's smoke preset together.

The projects' image classifier is the cheapest full run (one small CNN with batch
normalization, whose per-replica statistics the multi-worker loop must average).
"""

import json
import os
import pathlib
import socket
import subprocess
import sys

import keras
import numpy as np
import pytest

from common.experiment import cli, distributed
from projects.image_classification import __main__ as image_classification
from projects.image_classification import train  # noqa: F401  Registers the model's loss.

ROOT = pathlib.Path(__file__).resolve().parents[3]
COMMAND = [sys.executable, "-m", "projects.image_classification", "train", "--preset", "smoke"]


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for each in sockets:
        each.bind(("127.0.0.1", 0))
    ports = [each.getsockname()[1] for each in sockets]
    for each in sockets:
        each.close()
    return ports


def cluster(ports, index):
    workers = [f"127.0.0.1:{port}" for port in ports]
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


def start(arguments, tmp_path, tf_config=None):
    environment = {**os.environ, "CI": "1"}
    environment.pop("TF_CONFIG", None)
    if tf_config is not None:
        environment["TF_CONFIG"] = tf_config
    flags = ["--workdir", str(tmp_path / "runs"), "--out", str(tmp_path / "reports")]
    return subprocess.Popen(
        COMMAND + flags + arguments, cwd=ROOT, env=environment, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


def finish(process):
    output, _ = process.communicate(timeout=240)
    assert process.returncode == 0, output[-3000:]
    return output


def weights(tmp_path, workdir):
    [path] = (tmp_path / workdir).glob("image_classification/*/headline/model.keras")
    return keras.saving.load_model(path).get_weights()


def test_two_workers_train_in_sync_and_only_the_chief_reports(tmp_path):
    ports = free_ports(2)
    cluster_path, single_path = tmp_path / "cluster", tmp_path / "single"
    strategy = ["--strategy", "multi_worker"]
    workers = [start(strategy, cluster_path, cluster(ports, index)) for index in (0, 1)]
    chief_output, worker_output = (finish(process) for process in workers)
    assert "report:" in chief_output
    assert "the chief writes the report" in worker_output
    # Both workers hold the same weights, batch normalization's moving statistics included.
    chief_weights, worker_weights = (
        weights(cluster_path, "runs"),
        weights(cluster_path, "runs/worker-1"),
    )
    assert len(chief_weights) == len(worker_weights) > 0
    for chief, worker in zip(chief_weights, worker_weights, strict=True):
        np.testing.assert_array_equal(chief, worker)
    # One report, by the chief, of the same kind as a one-process run's, stating the strategy.
    finish(start([], single_path))
    reports = cluster_path / "reports"
    assert [path.name for path in reports.iterdir() if path.is_dir()] == ["image_classification"]
    one = json.loads((single_path / "reports/image_classification/metrics.json").read_text())
    two = json.loads((reports / "image_classification/metrics.json").read_text())
    assert two["metrics"].keys() == one["metrics"].keys()
    assert sorted(path.name for path in (reports / "image_classification").iterdir()) == sorted(
        path.name for path in (single_path / "reports/image_classification").iterdir()
    )
    assert two["metadata"]["distribution"]["workers"] == 2
    assert two["metadata"]["distribution"]["batch_size_per_replica"] == 32
    assert one["metadata"]["distribution"]["strategy"] == "default"
    assert "multi_worker" in (reports / "image_classification/index.html").read_text()
    # The same recipe on twice as many replicas of half the batch: close to one process.
    assert abs(two["metrics"]["test_loss"] - one["metrics"]["test_loss"]) < 0.05


@pytest.mark.parametrize(
    "tf_config, expected",
    [(None, "TF_CONFIG, which is not set"), ("{not json", "not a valid cluster description")],
)
def test_multi_worker_without_a_cluster_is_a_clear_error(tf_config, expected, monkeypatch):
    environ = {} if tf_config is None else {"TF_CONFIG": tf_config}
    with pytest.raises(ValueError, match=expected):
        distributed.check("multi_worker", environ)
    monkeypatch.delenv("TF_CONFIG", raising=False)
    if tf_config is not None:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(image_classification.PROJECT, ["train", "--strategy", "multi_worker"])
    assert exit_info.value.code == 2


def test_replica_share_leaves_one_device_unchanged():
    loss = keras.ops.convert_to_tensor(0.75)
    assert float(distributed.replica_share(loss)) == float(distributed.whole_loss(loss)) == 0.75
