"""python -m projects all --preset quick: every project in turn, then reports/index.html."""

import argparse
import importlib
import sys

from common import cli

PROJECT_NAMES = ("image_classification",)  # The others join as their issues land.


def project_spec(name):
    return importlib.import_module(f"projects.{name}.__main__").PROJECT


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
    failures = []
    for name in PROJECT_NAMES:
        project = project_spec(name)
        print(f"\n=== {name} ({arguments.preset}) ===", flush=True)
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
