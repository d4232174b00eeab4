"""python -m projects all --preset quick: every project, then an index of their reports.

`make demo` runs this. Reports go to runs/reports/ (git ignores it) unless --out names another
folder; the published reports in reports/ change only with --out reports. `python -m projects
readme` rewrites README.md's results table from the published reports and benchmark files.

One project's training keeps about one and a half of two cores busy, so by default two projects
run at once, each in its own process (`--jobs`), in the order of PROJECTS (below).
"""

import argparse
import dataclasses
import os
import subprocess
import sys
import threading
import time

from common.experiment import cli, flags
from common.report import index, readme_table
from projects.adversarial_regularization import __main__ as adversarial_regularization
from projects.denoising_autoencoder import __main__ as denoising_autoencoder
from projects.image_captioning import __main__ as image_captioning
from projects.image_classification import __main__ as image_classification
from projects.sentiment_lstm import __main__ as sentiment_lstm

# The order `all` starts them in. Two at a time, the longest quick runs (captioning, then
# adversarial training) start early so that the one left running alone at the end is short
# (denoising); image classification has fetched Fashion-MNIST before the other two that read it
# start, since each of those waits for two projects to finish.
PROJECTS = (
    image_classification.PROJECT,
    sentiment_lstm.PROJECT,
    image_captioning.PROJECT,
    adversarial_regularization.PROJECT,
    denoising_autoencoder.PROJECT,
)


# Set in the processes `all` starts: they leave the wall-time and index lines to it.
CHILD_VARIABLE = "DLFB_ALL_CHILD"


def config_fields(project):
    return {field.name for field in dataclasses.fields(project.config_class)}


def overrides_for(project, overrides):
    """With `all`, each project takes the --set KEY=VALUE items whose KEY its config has."""
    fields = config_fields(project)
    return [item for item in overrides if item.partition("=")[0].strip() in fields]


def timings(seconds, elapsed=None, jobs=1):
    """ "a 12 s, b 30 s; 42 s in all": where the demo's minutes went, project by project; with
    projects run side by side, the wall clock from start to end instead of the sum."""
    parts = ", ".join(f"{name} {value:.0f} s" for name, value in seconds.items())
    if elapsed is None:
        return f"{parts}; {sum(seconds.values()):.0f} s in all"
    return f"{parts}; {elapsed:.0f} s from start to end, {jobs} at a time"


def child_command(project, arguments):
    """`python -m projects all --only <project> --jobs 1` with every other flag of this run."""
    argv = ["all", "--only", project.name, "--jobs", "1", "--preset", arguments.preset]
    argv += ["--out", str(arguments.out), "--workdir", str(arguments.workdir)]
    for flag, value in (
        ("--data-dir", arguments.data_dir),
        ("--epochs", arguments.epochs),
        ("--seed", arguments.seed),
    ):  # fmt: skip
        if value is not None:
            argv += [flag, str(value)]
    for item in overrides_for(project, arguments.overrides):
        argv += ["--set", item]
    return [sys.executable, "-m", "projects", *argv, *(["--fresh"] if arguments.fresh else [])]


def run_processes(commands, jobs):
    """Runs {name: argv} `jobs` at a time, in order, each output line prefixed with [name].

    Returns ({name: seconds}, [names that failed]). Ctrl-C reaches every running child (they
    share the terminal's process group), which saves its finished epochs and stops."""
    waiting, running, seconds, failures = list(commands), {}, {}, []
    lock = threading.Lock()

    def relay(name, stream):
        for line in stream:
            with lock:
                print(f"[{name}] {line}", end="", flush=True)

    environment = {**os.environ, "PYTHONUNBUFFERED": "1", CHILD_VARIABLE: "1"}
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                name = waiting.pop(0)
                print(f"=== {name}: started ===", flush=True)
                process = subprocess.Popen(
                    commands[name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    text=True, env=environment,
                )  # fmt: skip
                relayer = threading.Thread(target=relay, args=(name, process.stdout))
                relayer.start()
                running[name] = (process, relayer, time.perf_counter())
            time.sleep(0.2)
            for name, (process, relayer, start) in list(running.items()):
                if process.poll() is not None:
                    relayer.join()
                    seconds[name] = time.perf_counter() - start
                    ended = "finished"
                    if process.returncode != 0:
                        failures.append(name)
                        ended = f"FAILED (exit status {process.returncode})"
                    print(f"=== {name}: {ended} after {seconds[name]:.0f} s ===", flush=True)
                    del running[name]
    except KeyboardInterrupt:
        for process, relayer, _ in running.values():
            process.wait()
            relayer.join()
        raise
    return seconds, failures


def run_in_turn(chosen, arguments):
    """Each project in this process, one after another (its flags checked already by `main`).
    Returns (seconds, failures)."""
    failures, overrides, seconds = [], arguments.overrides, {}
    for project in chosen:
        print(f"\n=== {project.name} ({arguments.preset}) ===", flush=True)
        arguments.overrides = overrides_for(project, overrides)
        config = cli.make_config(project, arguments)
        arguments.command = "train"
        start = time.perf_counter()
        if cli.execute(project, arguments, config) != 0:
            failures.append(project.name)
        seconds[project.name] = time.perf_counter() - start
    arguments.overrides = overrides
    return seconds, failures


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m projects",
        description="Run every project of the collection (the demo) and index their reports.",
    )
    parser.add_argument(
        "command",
        choices=["all", "list", "readme"],
        help="all: run each project, then index the reports; list: name them; readme: rewrite "
        "README.md's results table from reports/ and benchmarks/results/.",
    )
    parser.add_argument(
        "--only", action="append", default=[], help="Run only this project (repeatable)."
    )
    parser.add_argument(
        "--jobs",
        type=flags.positive_int,
        default=min(2, os.cpu_count() or 1),
        help="Projects run at once, each in its own process, its lines prefixed with its name "
        "(default: %(default)s here, two at most; 1: one after another, in this process).",
    )
    flags.add_common_flags(parser)
    return parser


def main(argv=None):
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.command == "list":
        for project in PROJECTS:
            print(f"{project.name}: {project.description}")
        return 0
    if arguments.command == "readme":
        changed = readme_table.update_readme(".")
        print("README.md's results table " + ("rewritten." if changed else "was up to date."))
        return 0
    chosen = [p for p in PROJECTS if not arguments.only or p.name in arguments.only]
    unknown = sorted(set(arguments.only) - {project.name for project in PROJECTS})
    if unknown:
        parser.error(f"no project named {unknown}; see `python -m projects list`.")
    known = set().union(*(config_fields(project) for project in chosen))
    unknown = [item for item in arguments.overrides if item.partition("=")[0].strip() not in known]
    if unknown:
        parser.error(f"no project has the config field(s) of {unknown}.")
    for project in chosen:  # Bad flags fail here, before anything starts.
        try:
            changed = {"overrides": overrides_for(project, arguments.overrides)}
            cli.make_config(project, argparse.Namespace(**{**vars(arguments), **changed}))
        except ValueError as error:
            parser.error(f"{project.name}: {error}")
    if arguments.jobs == 1 or len(chosen) == 1:
        seconds, failures = run_in_turn(chosen, arguments)
        if os.environ.get(CHILD_VARIABLE):
            return 1 if failures else 0  # The parent sums up.
        print(f"\nWall time: {timings(seconds)}")
    else:
        commands = {project.name: child_command(project, arguments) for project in chosen}
        start = time.perf_counter()
        try:
            seconds, failures = run_processes(commands, arguments.jobs)
        except KeyboardInterrupt:
            print("Interrupted. Rerun the same command: finished projects and epochs are reused.")
            return 130
        index.write_index(arguments.out)
        seconds = {name: seconds[name] for name in commands}  # In the order they started.
        elapsed, jobs = time.perf_counter() - start, min(arguments.jobs, len(commands))
        print(f"\nWall time: {timings(seconds, elapsed, jobs)}")
    print(f"Reports index: {arguments.out}/index.html")
    if failures:
        print(f"Failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
