"""Test-wide settings: TensorFlow backend, quiet logs, a private data cache per session."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")  # As `common` sets it for every run.
os.environ.setdefault("MPLBACKEND", "Agg")
