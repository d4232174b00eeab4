"""python -m projects all --preset quick: every project in turn, then an index of their reports.

`make demo` runs this. Reports go to runs/reports/ (git ignores it) unless --out names another
folder; the published reports in reports/ change only with --out reports. `python -m projects
readme` rewrites README.md's results table from the published reports and benchmark files.
"""

import argparse
import dataclasses
import sys
import time

from common.experiment import cli, flags
from common.report import readme_table
from projects.adversarial_regularization import __main__ as adversarial_regularization
from projects.denoising_autoencoder import __main__ as denoising_autoencoder
from projects.image_captioning import __main__ as image_captioning
from projects.image_classification import __main__ as image_classification
from projects.sentiment_lstm import __main__ as sentiment_lstm

# In the order of the book's chapters they teach (9, 10, 10+12, 14, 7).
PROJECTS = (
    image_classification.PROJECT,
    sentiment_lstm.PROJECT,
    image_captioning.PROJECT,
    denoising_autoencoder.PROJECT,
    adversarial_regularization.PROJECT,
)


def config_fields(project):
    return {field.name for field in dataclasses.fields(project.config_class)}


def overrides_for(project, overrides):
    """With `all`, each project takes the --set KEY=VALUE items whose KEY its config has."""
    fields = config_fields(project)
    return [item for item in overrides if item.partition("=")[0].strip() in fields]


def timings(seconds):
    """ "a 12 s, b 30 s; 42 s in all": where the demo's minutes went, project by project."""
    parts = [f"{name} {value:.0f} s" for name, value in seconds.items()]
    return f"{', '.join(parts)}; {sum(seconds.values()):.0f} s in all"


def main(argv=None):
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
    flags.add_common_flags(parser)
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
    failures, overrides, seconds = [], arguments.overrides, {}
    for project in chosen:
        print(f"\n=== {project.name} ({arguments.preset}) ===", flush=True)
        arguments.overrides = overrides_for(project, overrides)
        try:
            config = cli.make_config(project, arguments)
        except ValueError as error:
            parser.error(f"{project.name}: {error}")
        arguments.command = "train"
        start = time.perf_counter()
        if cli.execute(project, arguments, config) != 0:
            failures.append(project.name)
        seconds[project.name] = time.perf_counter() - start
    print(f"\nWall time: {timings(seconds)}")
    print(f"Reports index: {arguments.out}/index.html")
    if failures:
        print(f"Failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
