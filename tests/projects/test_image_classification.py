"""The image-classification project: model builders, a smoke run of run(), the CLI, the tuner."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from common import config as config_lib
from common import data
from projects.image_classification import config as project_config
from projects.image_classification import model, train
from tests.projects import conftest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def smoke_config(**changes):
    return config_lib.from_preset(project_config.Config, "smoke", **changes)


@pytest.mark.parametrize("hidden", project_config.HIDDEN_UNIT_NAMES)
def test_every_hidden_unit_builds_and_predicts(hidden):
    network = model.build_model(smoke_config(), hidden)
    probabilities = network.predict(np.zeros((2, 28, 28, 1), "uint8"), verbose=0)
    assert probabilities.shape == (2, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_parameter_counts_follow_the_hidden_unit():
    config = smoke_config()  # One conv per block, filters 8 then 16, dense 16, 2 maxout pieces.
    counts = {
        name: model.build_model(config, name).count_params() for name in ("relu", "prelu", "maxout")
    }
    assert counts["prelu"] - counts["relu"] == 8 + 16 + 16  # One alpha per channel.
    assert counts["maxout"] > 1.9 * counts["relu"]  # k = 2 affine pieces per unit.


def test_smoke_run_writes_report_and_reuses_finished_variants(offline_sample_only, tmp_path):
    config = smoke_config(hidden_units=("relu", "maxout"))
    metrics = train.run(config, tmp_path / "runs", reports_dir=tmp_path / "reports", preset="smoke")
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert set(metrics["variants"]) == {"relu", "maxout"}
    folder = tmp_path / "reports" / "image_classification"
    html = (folder / "index.html").read_text()
    assert "bundled SAMPLE" in html and "Test set (used once)" in html
    written = json.loads((folder / "metrics.json").read_text())
    assert written["headline"]["name"] == "test accuracy"
    assert written["metadata"]["data_source"]["is_sample"] is True
    assert (folder / "history.csv").read_text().startswith("epoch")
    assert "image_classification" in (tmp_path / "reports" / "index.html").read_text()

    again = train.run(config, tmp_path / "runs", reports_dir=tmp_path / "reports", preset="smoke")
    assert again["variants"] == metrics["variants"]  # Reused, not retrained.
    assert "Resumed run" in (folder / "index.html").read_text()


def test_command_line_end_to_end(tmp_path):
    environment = {
        **os.environ,
        "DLFB_DATA_DIR": str(data.sample_dir()),
        "DLFB_CACHE_DIR": str(tmp_path / "cache"),
    }
    command = [
        sys.executable,
        "-m",
        "projects",
        "all",
        "--preset",
        "smoke",
        "--out",
        str(tmp_path / "reports"),
        "--workdir",
        str(tmp_path / "runs"),
        "--set",
        "hidden_units=relu",
    ]
    finished = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=600
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "test accuracy" in finished.stdout
    assert (tmp_path / "reports" / "image_classification" / "index.html").exists()
    assert (tmp_path / "reports" / "index.html").exists()


def test_tuner_runs_two_trials_then_resumes_without_repeating(offline_sample_only, tmp_path):
    conftest.check_tuner_resumes(train, "image_classification", smoke_config(), tmp_path)
