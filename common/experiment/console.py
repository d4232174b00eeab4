"""Keeps TensorFlow's known-harmless C++ notices off the learner's terminal, and nothing else.

With oneDNN on (common/__init__.py) on a CPU without AVX-512, TensorFlow's C++ core logs, at
error level, "oneDNN supports DT_BOOL only on platforms with AVX-512. Falling back to the
default Eigen-based implementation" the first time it meets such an op: a notice that it uses
its ordinary kernels, printed as "E0000 ...", so the first word a learner reads mid-run is
"error". No TF_CPP_MIN_LOG_LEVEL drops it without dropping real errors too.

`filtered_stderr()` routes the process's standard error (file descriptor 2, where C++ writes)
through a small child process that drops exactly the lines matching `NOISE` and passes every
other byte on at once. The child outlives a crash of the run (it drains the pipe until the last
writer is gone) and ignores Ctrl-C, so no traceback or message is ever lost. Set
DLFB_TF_STARTUP_LOG=1 to see every line.
"""

import contextlib
import os
import subprocess
import sys

# Whole lines that say only that TensorFlow falls back to its default kernels.
NOISE = r"oneDNN supports DT_\w+ only on platforms with AVX-512\. Falling back"

# The child: copy stdin to stderr as it arrives, line by line, minus the noise. A trailing
# partial line is passed on at once unless it may be the start of a C++ log line ("E0000 ...").
FILTER = r"""
import os, re, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
noise, log_start = re.compile(sys.argv[1].encode()), re.compile(rb"[IWEF][0-9: .]*$")
pending = b""
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    *lines, pending = (pending + chunk).split(b"\n")
    out = b"".join(line + b"\n" for line in lines if not noise.search(line))
    if pending and not log_start.match(pending[:32]):
        out, pending = out + pending, b""
    if out:
        os.write(2, out)
if pending and not noise.search(pending):
    os.write(2, pending)
"""


@contextlib.contextmanager
def filtered_stderr():
    """Within the block, standard error (C++ and Python alike) reaches the terminal minus the
    lines matching `NOISE`; afterwards, the original standard error again."""
    try:
        stderr = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        stderr = None  # No file descriptor (e.g. a notebook): nothing to filter.
    if stderr is None or os.environ.get("DLFB_TF_STARTUP_LOG") == "1":
        yield
        return
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    child = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", FILTER, NOISE], stdin=read_end, stderr=stderr
    )
    os.close(read_end)
    saved = os.dup(stderr)
    os.dup2(write_end, stderr)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, stderr)  # The pipe's last writer is gone: the child drains it and ends.
        os.close(saved)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=10)
