"""Shared building blocks for every project, grouped by role: `nn` (the Keras pieces: layers,
callbacks, losses, schedules), `data` (loaders, readers, pipelines, samples), `experiment` (the
skeleton every project runs: config, training, results, tuning, CLI) and `report` (the HTML
report, its plots and templates).

Importing `common` selects the TensorFlow backend for Keras (the collection is written for it)
unless the user chose another one, turns on TensorFlow's oneDNN kernels for the CPU, which its
Linux wheels enable by default only on CPUs with AVX-512 neural-network instructions (on a 2-core
AVX2 AMD EPYC, 2026-12-01, they cut the CPU time of a training step by 1.4x for the denoising
U-Net and 1.8x for the keras-io autoencoder of the benchmark; set TF_ENABLE_ONEDNN_OPTS=0 to
compare), and imports TensorFlow quietly: the informational lines its C++ core prints before its
logging starts (which no TF_CPP_MIN_LOG_LEVEL reaches) are dropped, every other line is kept.
Set DLFB_TF_STARTUP_LOG=1 to see them all.
"""

import os
import sys
import tempfile
import warnings

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
# Keras 3 warns on every `fit` over a tf.data pipeline that its default `shuffle=True` is ignored;
# the pipelines here shuffle themselves (seeded), so that warning says nothing.
warnings.filterwarnings("ignore", message=r"`shuffle=True` was passed, but will be ignored")

# Lines TensorFlow's C++ core writes while it loads, before absl logging starts: the notice
# that it has not started, and INFO records ("I0000 ..."), e.g. "oneDNN custom operations are on".
STARTUP_NOISE = ("All log messages before absl::InitializeLog() is called", "I0000 ")
STDERR_FD = 2  # Where the C++ core writes, whatever Python's sys.stderr is (pytest swaps it).


def drop_startup_noise(action):
    """Runs `action()` with file descriptor 2 captured, then writes back every line of it that is
    not start-up noise: TensorFlow's INFO lines go, its warnings and errors stay."""
    try:
        os.fstat(STDERR_FD)
    except OSError:  # No standard error at all: nothing to filter.
        return action()
    sys.stderr.flush()
    saved = os.dup(STDERR_FD)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), STDERR_FD)
        try:
            return action()
        finally:
            os.dup2(saved, STDERR_FD)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().splitlines(keepends=True):
                if not any(noise.encode() in line for noise in STARTUP_NOISE):
                    os.write(STDERR_FD, line)


def _import_tensorflow():
    import tensorflow  # noqa: F401


if (
    os.environ.get("KERAS_BACKEND") == "tensorflow"
    and "tensorflow" not in sys.modules
    and os.environ.get("DLFB_TF_STARTUP_LOG") != "1"
):
    drop_startup_noise(_import_tensorflow)
