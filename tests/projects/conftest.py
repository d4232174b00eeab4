"""Fixtures and checks shared by every project's tests."""

import json

import pytest

from common.data import loaders as data


@pytest.fixture
def offline_sample_only(monkeypatch, tmp_path):
    """No data anywhere but the bundled sample: the last resort of the demo."""
    monkeypatch.delenv("DLFB_DATA_DIR", raising=False)
    monkeypatch.setenv("DLFB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(data, "SYSTEM_LOCATIONS", {})
    monkeypatch.setattr(data, "network_problem", lambda: "offline (test)")


def check_tuner_resumes(train_module, project, config, tmp_path):
    """Two trials run and are reported; a rerun of the same search repeats neither."""
    options = dict(reports_dir=tmp_path / "reports", preset="smoke", max_trials=2)
    train_module.tune(config, tmp_path / "runs", **options)
    search = tmp_path / "runs" / project / "tune-smoke" / "search"
    trials = sorted(path.name for path in search.glob("trial_*"))
    assert len(trials) == 2
    first = {name: (search / name / "trial.json").stat().st_mtime for name in trials}
    train_module.tune(config, tmp_path / "runs", **options)
    assert sorted(path.name for path in search.glob("trial_*")) == trials
    assert {name: (search / name / "trial.json").stat().st_mtime for name in trials} == first
    report = tmp_path / "reports" / f"{project}-tuning" / "metrics.json"
    assert len(json.loads(report.read_text())["metrics"]["trials"]) == 2
