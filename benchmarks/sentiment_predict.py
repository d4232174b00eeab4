"""Throughput of `python -m projects.sentiment_lstm predict --file`: reviews per second on
10,000 IMDB test reviews, one per line, through the model the smoke preset trains on the bundled
sample (trained first when the workdir has none).

    python -m benchmarks.sentiment_predict [--archive aclImdb_v1_labeled.tar.gz] [--workdir DIR]

The command runs as a real subprocess, as a user runs it: wall time includes starting Python,
importing TensorFlow and loading the model, measured apart on a one-line file so that the
steady rate (lines after the first over the extra time) is read too. CPU time and peak memory
of the subprocess are recorded beside the wall time: on a shared machine, the wall time depends
on the other jobs, the CPU time much less.
"""

import argparse
import os
import pathlib
import shlex
import subprocess
import sys
import tarfile
import tempfile
import time

from benchmarks import runner
from common.data import loaders
from common.experiment import config as config_lib
from common.experiment import skeleton, training
from common.report import meta
from projects.sentiment_lstm import __main__ as sentiment_main
from projects.sentiment_lstm import config as project_config

NAME = "sentiment_predict"
REVIEWS = 10_000
BATCH_SIZES = (32, 256)
REPEATS = 3
ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_reviews(archive, count=REVIEWS):
    """`count` test reviews (half negative, half positive, archive order) as (text, label),
    read member by member from the tar archive, each on one line."""
    per_label, found = count // 2, {"neg": [], "pos": []}
    with tarfile.open(archive) as reading:
        for member in reading:
            parts = pathlib.PurePosixPath(member.name).parts
            if len(parts) == 4 and parts[1] == "test" and parts[2] in found and member.isfile():
                if len(found[parts[2]]) < per_label:
                    text = reading.extractfile(member).read().decode("utf-8", "replace")
                    found[parts[2]].append(" ".join(text.split()))
            if all(len(texts) == per_label for texts in found.values()):
                break
    return [(text, 0) for text in found["neg"]] + [(text, 1) for text in found["pos"]]


def predict_command(input_path, workdir, batch_size):
    return [
        sys.executable, "-m", "projects.sentiment_lstm", "predict", "--preset", "smoke",
        "--data-dir", str(loaders.sample_dir()), "--workdir", str(workdir),
        "--file", str(input_path), "--batch-size", str(batch_size),
    ]  # fmt: skip


def timed(command, output_path):
    """Runs `command` with stdout to `output_path`: its wall s, CPU s (user + system) and peak
    memory (MB), read from this one child's own resource usage."""
    start = time.perf_counter()
    with open(output_path, "w") as output:
        child = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{shlex.join(command)} failed")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # maxrss: KiB.


def best_of(repeats, command, output_path):
    """The least wall time and the least CPU time of `repeats` runs (the least disturbed by the
    other jobs of a shared machine), and the largest peak memory."""
    runs = [timed(command, output_path) for _ in range(repeats)]
    return min(run[0] for run in runs), min(run[1] for run in runs), max(run[2] for run in runs)


def measure(reviews, workdir, folder, batch_size, repeats=REPEATS):
    """One batch size: the one-line run (start-up: Python, TensorFlow, the model), then the
    whole file; rates, steady rates (the lines after the first over the extra time), accuracy."""
    one, many = folder / "one.txt", folder / "reviews.txt"
    one.write_text(reviews[0][0] + "\n")
    startup_wall, startup_cpu, startup_mb = best_of(
        repeats, predict_command(one, workdir, batch_size), folder / "one.out"
    )
    wall, cpu, peak_mb = best_of(
        repeats, predict_command(many, workdir, batch_size), folder / "out.txt"
    )
    lines = (folder / "out.txt").read_text().splitlines()
    if len(lines) != len(reviews):
        raise RuntimeError(f"{len(lines)} results for {len(reviews)} reviews")
    labels = [1 if line.endswith("positive") else 0 for line in lines]
    correct = sum(label == truth for label, (_, truth) in zip(labels, reviews, strict=True))
    extra_wall, extra_cpu = wall - startup_wall, cpu - startup_cpu
    return {
        "batch_size": batch_size,
        "reviews": len(reviews),
        "repeats": repeats,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "reviews_per_second": len(reviews) / wall,
        "reviews_per_cpu_second": len(reviews) / cpu,
        "startup_wall_seconds": startup_wall,
        "startup_cpu_seconds": startup_cpu,
        # None when the machine's load made the one-line run slower than the whole file.
        "steady_reviews_per_second": (len(reviews) - 1) / extra_wall if extra_wall > 0 else None,
        "steady_reviews_per_cpu_second": (len(reviews) - 1) / extra_cpu if extra_cpu > 0 else None,
        "peak_memory_mb_one_line": startup_mb,
        "peak_memory_mb": peak_mb,
        "accuracy": correct / len(reviews),
    }


def run(archive, workdir):
    config = config_lib.from_preset(
        project_config.Config, "smoke", data_dir=str(loaders.sample_dir())
    )
    start = time.perf_counter()
    if not (skeleton.results_folder(sentiment_main.PROJECT, config, workdir, "smoke")).exists():
        skeleton.run(sentiment_main.PROJECT, config, workdir=workdir, preset="smoke",
                     reports_dir=pathlib.Path(workdir) / "reports")  # fmt: skip
    reviews = test_reviews(archive)
    with tempfile.TemporaryDirectory() as temporary:
        folder = pathlib.Path(temporary)
        (folder / "reviews.txt").write_text("".join(text + "\n" for text, _ in reviews))
        rows = [measure(reviews, workdir, folder, size) for size in BATCH_SIZES]
    tested = training.run_dir(workdir, "sentiment_lstm", "smoke", config).name
    metadata = meta.run_metadata(
        config=config_lib.to_dict(config), seed=config.seed, preset="smoke",
        data_source={"reviews": f"{pathlib.Path(archive).name}: test split, first "
                     f"{REVIEWS // 2} negative and {REVIEWS // 2} positive"},
        wall_time_seconds=time.perf_counter() - start,
    )  # fmt: skip
    metadata["model_run"] = tested
    metadata["load_average_after"] = os.getloadavg()  # 1, 5, 15 min: the sharing.
    document = {"project": NAME, "results": rows, "metadata": metadata}
    return runner.write_document(NAME, document, markdown(rows, metadata))


def markdown(rows, metadata):
    lines = [
        "# sentiment_lstm predict --file throughput",
        "",
        f"Machine: {runner.machine(metadata['hardware'])}, shared with other jobs while "
        "measured (CPU time beside wall time). Model: the smoke preset trained on the bundled "
        f"sample; input: {metadata['data_source']['reviews']}, one review per line.",
        "",
        "| batch | reviews | wall s | CPU s | reviews/s | reviews/CPU-s | start-up wall s / CPU s "
        "| steady reviews/s / per CPU-s | peak MB (1 line / all) | accuracy |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        steady = [row["steady_reviews_per_second"], row["steady_reviews_per_cpu_second"]]
        steady = " / ".join("—" if value is None else f"{value:.0f}" for value in steady)
        lines.append(
            f"| {row['batch_size']} | {row['reviews']:,} | {row['wall_seconds']:.1f} | "
            f"{row['cpu_seconds']:.1f} | {row['reviews_per_second']:.0f} | "
            f"{row['reviews_per_cpu_second']:.0f} | {row['startup_wall_seconds']:.1f} / "
            f"{row['startup_cpu_seconds']:.1f} | {steady} | "
            f"{row['peak_memory_mb_one_line']:.0f} / {row['peak_memory_mb']:.0f} | "
            f"{row['accuracy']:.3f} |"
        )
    lines += [
        "",
        f"Best of {rows[0]['repeats']} runs each (least wall, least CPU time). Wall time covers "
        "the whole command: Python, TensorFlow and the model start in the start-up time, which a "
        "one-line file measures. Load average after: "
        + ", ".join(f"{value:.1f}" for value in metadata["load_average_after"])
        + " (1, 5, 15 min).",
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.sentiment_predict", description=__doc__
    )
    default = pathlib.Path(os.environ.get("DLFB_DATA_DIR", ".")) / "aclImdb_v1_labeled.tar.gz"
    parser.add_argument("--archive", default=str(default), help="The IMDB archive.")
    parser.add_argument("--workdir", default="runs", help="Where the smoke model is (trained).")
    arguments = parser.parse_args(argv)
    path = run(arguments.archive, pathlib.Path(arguments.workdir))
    print(f"{path}\n{path.with_suffix('.md').read_text()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
