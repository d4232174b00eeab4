"""Run metadata: everything needed to tell later how a report's numbers were produced.

A number in a report is only useful if you can reproduce it: which command, which preset and
seed, which code (git commit), which library versions, which data and which machine. Every
lookup here is best effort: a missing git, a missing TensorFlow or an unusual OS gives None for
that field instead of crashing a run that has already spent an hour training.
"""

import datetime
import hashlib
import json
import os
import pathlib
import platform
import shlex
import subprocess
import sys

from common.report import parts

PACKAGE_DIR = pathlib.Path(__file__).resolve().parent


def run_metadata(*, config, seed, preset, data_source, wall_time_seconds, command=None) -> dict:
    """Collects command line, time, git commit, versions, data source and hardware of one run."""
    config = parts.to_jsonable(config)
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return {
        "command": command_line(command),
        "timestamp_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "preset": preset,
        "seed": seed,
        "config": config,
        "config_sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16],
        "git": GIT_AT_START,
        "versions": versions(),
        "data_source": parts.to_jsonable(dict(data_source or {})),
        "hardware": hardware(),
        "wall_time_seconds": round(float(wall_time_seconds), 3),
    }


def command_line(command=None):
    """The command as one string; by default this process's, written as `python -m package ...`."""
    if command is not None:
        return shlex.join(str(part) for part in command)
    arguments = list(sys.argv[1:])
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and getattr(spec, "name", None):
        module = spec.name.removesuffix(".__main__")
        return shlex.join(["python", "-m", module, *arguments])
    return shlex.join(["python", *(sys.argv[:1] or ["-c"]), *arguments])


def git_info(directory=None):
    """{"commit", "dirty"} of the git checkout holding this code, or None when there is none."""
    directory = pathlib.Path(directory) if directory is not None else PACKAGE_DIR

    def git(*arguments):
        result = subprocess.run(
            ["git", *arguments],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return result.stdout.strip() if result.returncode == 0 else None

    try:
        commit = git("rev-parse", "HEAD")
        if not commit:
            return None
        status = git("status", "--porcelain", "--untracked-files=no")
        return {"commit": commit, "dirty": bool(status) if status is not None else None}
    except (OSError, subprocess.SubprocessError):
        return None


def versions():
    """Python, NumPy, Keras and TensorFlow versions and the Keras backend (None if missing)."""
    found = {"python": platform.python_version()}
    for name in ("numpy", "keras", "tensorflow", "matplotlib"):
        try:
            module = __import__(name)  # imported here: TensorFlow takes seconds to load
            found[name] = getattr(module, "__version__", None)
        except Exception:  # a broken install must not stop the report
            found[name] = None
    try:
        import keras

        found["keras_backend"] = keras.backend.backend()
    except Exception:
        found["keras_backend"] = os.environ.get("KERAS_BACKEND")
    return found


def hardware():
    """Platform, CPU model and vector extensions, oneDNN, cores, memory, visible GPUs and this
    process's peak memory."""
    return {
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_vector_extensions": cpu_vector_extensions(),
        "onednn": onednn_enabled(),
        "logical_cores": os.cpu_count(),
        "total_memory_gb": _total_memory_gb(),
        "gpus": gpus(),
        "peak_memory_mb": peak_memory_mb(),
    }


def cpu_model():
    """The CPU's name from /proc/cpuinfo (Linux), else what `platform` knows."""
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    except (OSError, IndexError):
        pass
    return platform.processor() or platform.machine() or None


def cpu_vector_extensions():
    """The widest SIMD families the CPU offers (Linux): one "AMD EPYC" name covers machines with
    and without AVX-512, whose training speeds differ by several times here."""
    try:
        flags = next(
            line.split(":", 1)[1].split()
            for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("flags")
        )
    except (OSError, StopIteration):
        return None
    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")
    return [flag for flag in wanted if flag in flags]


def onednn_enabled():
    """Whether TensorFlow runs its oneDNN CPU kernels (see `common/__init__.py`); None when
    TensorFlow cannot say."""
    try:
        from tensorflow.python.util import _pywrap_util_port

        return bool(_pywrap_util_port.IsMklEnabled())
    except Exception:
        return None


def _total_memory_gb():
    try:
        import psutil

        return round(psutil.virtual_memory().total / 2**30, 1)
    except Exception:
        return None


def gpus():
    """Names of the GPUs TensorFlow can see (an empty list on a CPU-only machine)."""
    try:
        import tensorflow as tf

        names = []
        for device in tf.config.list_physical_devices("GPU"):
            try:
                details = tf.config.experimental.get_device_details(device)
            except Exception:
                details = {}
            names.append(details.get("device_name") or device.name)
        return names
    except Exception:
        return None


def peak_memory_mb():
    """Peak resident memory of this process so far (`getrusage`; kB on Linux, bytes on macOS)."""
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)
    except (ImportError, OSError, ValueError):
        return None


# The commit of the code as it was imported, i.e. when the run started: committing or editing
# files while a long run trains must not change what its report says produced it.
GIT_AT_START = git_info()
