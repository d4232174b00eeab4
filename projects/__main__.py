"""python -m projects all --preset quick: every project in turn, then reports/index.html."""

import argparse
import dataclasses
import importlib
import sys

from common.experiment import cli

# The others join as their issues land.
PROJECT_NAMES = (
    "image_classification",
    "sentiment_lstm",
    "denoising_autoencoder",
    "adversarial_regularization",
)


def project_spec(name):
    return importlib.import_module(f"projects.{name}.__main__").PROJECT


def config_fields(project):
    return {field.name for field in dataclasses.fields(project.config_class)}


def overrides_for(project, overrides):
    """With `all`, each project takes the --set KEY=VALUE items whose KEY its config has."""
    fields = config_fields(project)
    return [item for item in overrides if item.partition("=")[0].strip() in fields]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m projects",
        description="Run every project of the collection (the demo) and index their reports.",
    )
    parser.add_argument("command", choices=["all", "list"], help="all: run each project; list.")
    cli.add_common_flags(parser)
    arguments = parser.parse_args(argv)
    if arguments.command == "list":
        for name in PROJECT_NAMES:
            print(f"{name}: {project_spec(name).description}")
        return 0
    known = set().union(*(config_fields(project_spec(name)) for name in PROJECT_NAMES))
    unknown = [item for item in arguments.overrides if item.partition("=")[0].strip() not in known]
    if unknown:
        parser.error(f"no project has the config field(s) of {unknown}.")
    failures, overrides = [], arguments.overrides
    for name in PROJECT_NAMES:
        project = project_spec(name)
        print(f"\n=== {name} ({arguments.preset}) ===", flush=True)
        arguments.overrides = overrides_for(project, overrides)
        try:
            config = cli.make_config(project, arguments)
        except ValueError as error:
            parser.error(f"{name}: {error}")
        arguments.command = "train"
        if cli.execute(project, arguments, config) != 0:
            failures.append(name)
        arguments.command = "all"
    print(f"\nReports index: {arguments.out}/index.html")
    if failures:
        print(f"Failed: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
