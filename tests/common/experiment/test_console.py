"""console.filtered_stderr: TensorFlow's oneDNN fallback notices dropped, every other byte kept,
even when the run crashes or is killed."""

import os
import subprocess
import sys
import textwrap

NOISE_LINE = (
    "E0000 00:00:1796283745.470975    2173 util.cc:131] oneDNN supports DT_BOOL only on "
    "platforms with AVX-512. Falling back to the default Eigen-based implementation if present."
)


def run_python(body):
    """Runs `body` in a fresh interpreter inside filtered_stderr(); returns its stderr."""
    script = (
        "import os, signal, sys\n"
        "from common.experiment import console\n"
        "with console.filtered_stderr():\n" + textwrap.indent(textwrap.dedent(body), "    ")
    )
    # Another Keras backend: `common` then skips TensorFlow, which the filter does not need
    # (importing it costs each process ~4 s of CPU).
    environment = {**os.environ, "KERAS_BACKEND": "numpy"}
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=environment
    )
    return completed.returncode, completed.stderr


def test_drops_only_the_fallback_notice_and_keeps_a_traceback():
    code, stderr = run_python(
        f"""
        os.write(2, {NOISE_LINE!r}.encode() + b"\\n")
        os.write(2, b"E0000 00:00:1.0 real.cc:1] a real C++ error\\n")
        print("python warning", file=sys.stderr)
        os.write(2, b"a partial line")
        raise RuntimeError("boom")
        """
    )
    assert code == 1
    assert "oneDNN supports" not in stderr
    assert "a real C++ error" in stderr and "python warning" in stderr
    assert "a partial line" in stderr
    assert "RuntimeError: boom" in stderr


def test_lines_written_before_a_kill_still_arrive():
    code, stderr = run_python(
        """
        os.write(2, b"written before the kill\\n")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    assert code == -9
    assert "written before the kill" in stderr


def test_everything_passes_when_asked_to_show_it(monkeypatch):
    monkeypatch.setenv("DLFB_TF_STARTUP_LOG", "1")
    _, stderr = run_python(f"os.write(2, {NOISE_LINE!r}.encode() + b'\\\\n')")
    assert "oneDNN supports" in stderr
