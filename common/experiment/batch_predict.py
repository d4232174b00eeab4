"""Scoring many inputs, one per line, in bounded memory: `predict --file PATH` (or `-`).

Lines are read lazily and scored a batch at a time, so only one batch is ever in memory and the
input may be far larger than memory (a pipe, a log, a whole corpus). Each batch's results are
printed, in input order, before the next batch is read.
"""

import contextlib
import itertools
import pathlib
import sys


def score_lines(score, path, batch_size):
    """Prints `score(batch)`'s lines for each batch of `path`'s lines; returns how many."""
    count = 0
    with open_input(path) as stream:
        lines = (line.rstrip("\r\n") for line in stream)  # A generator: nothing read ahead.
        while batch := list(itertools.islice(lines, batch_size)):
            print("\n".join(score(batch)), flush=True)
            count += len(batch)
    return count


def open_input(path):
    """Standard input for '-' (left open), else the file as UTF-8 (bad bytes become U+FFFD)."""
    if path == "-":
        return contextlib.nullcontext(sys.stdin)
    if not pathlib.Path(path).is_file():
        raise FileNotFoundError(
            f"No file to score at --file {path}. Give a text file with one input per line, or "
            "--file - to read standard input."
        )
    return open(path, encoding="utf-8", errors="replace")
