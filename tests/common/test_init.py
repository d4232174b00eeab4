"""Importing `common` drops TensorFlow's start-up INFO lines and keeps everything else."""

import io
import os
import sys

import common


def write_like_tensorflow_starting():
    os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written\n")
    os.write(2, b"I0000 00:00:1.0 1 port.cc:153] oneDNN custom operations are on.\n")
    os.write(2, b"E0000 00:00:1.0 1 cuda_executor.cc:1] a real error\n")
    return "imported"


def test_start_up_noise_is_dropped_and_errors_kept_even_when_sys_stderr_is_swapped(
    capfd, monkeypatch
):
    # pytest (and any tool that captures Python's output) replaces sys.stderr with an object whose
    # file descriptor is not 2; TensorFlow's C++ core still writes to 2.
    monkeypatch.setattr(sys, "stderr", io.StringIO())

    assert common.drop_startup_noise(write_like_tensorflow_starting) == "imported"

    written = capfd.readouterr().err
    assert "a real error" in written
    assert "oneDNN" not in written
    assert "absl::InitializeLog" not in written
