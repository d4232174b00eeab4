"""Test-wide settings (TensorFlow backend, quiet logs) and the fixture every suite uses for
the bundled samples."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # As `common` sets it for every run.
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402  (after the settings above, which must precede TensorFlow)

from common.data import loaders  # noqa: E402


@pytest.fixture
def offline_sample_only(monkeypatch, tmp_path):
    """No data anywhere but the bundled sample: the last resort of the demo."""
    monkeypatch.delenv("DLFB_DATA_DIR", raising=False)
    monkeypatch.setenv("DLFB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(loaders, "SYSTEM_LOCATIONS", {})
    monkeypatch.setattr(loaders, "network_problem", lambda: "offline (test)")
