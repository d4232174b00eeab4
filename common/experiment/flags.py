"""The command line's flags: the ones every command shares, and each command's own.

`build_parser` lists every config field and preset in `--help`, so the help is complete by
construction; `cli.main` parses with it and runs the command.
"""

import argparse

from common.experiment import config as config_lib
from common.experiment import distributed, skeleton


def whole_number_at_least(minimum):
    """An argparse type: a whole number >= `minimum`, else an argparse-style error."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


positive_int = whole_number_at_least(1)
non_negative_int = whole_number_at_least(0)


def add_common_flags(parser, default_preset="quick"):
    """Flags shared by every command and by `python -m projects all`."""
    parser.add_argument(
        "--preset",
        choices=config_lib.PRESET_NAMES,
        default=default_preset,
        help="smoke: seconds, a check that everything runs; quick: minutes, the demo; full: the "
        "published results. Default: %(default)s.",
    )
    parser.add_argument(
        "--data-dir",
        help="Folder holding the data sets' archives or extracted folders (overrides "
        "$DLFB_DATA_DIR; see README 'Data').",
    )
    parser.add_argument("--epochs", type=positive_int, help="Training epochs (overrides preset).")
    parser.add_argument("--seed", type=non_negative_int, help="Seed for every random source.")
    parser.add_argument(
        "--out",
        default=str(skeleton.DEFAULT_REPORTS),
        help="Reports root; the report goes to OUT/<project>/ and OUT/index.html lists them. "
        "Default: %(default)s (git ignores it); --out reports publishes.",
    )
    parser.add_argument(
        "--workdir",
        default="runs",
        help="Checkpoints, models and results go to WORKDIR/<project>/. Default: %(default)s.",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Override any config field, e.g. --set learning_rate=0.01 (repeatable; tuples as "
        "comma lists: --set hidden_units=relu,maxout).",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="Discard checkpoints of an earlier, interrupted run of this config and start over.",
    )


def build_parser(project):
    """The argparse parser for one project, with every config field listed in the epilog."""
    epilog = "\n".join(
        ["config fields (change with --set KEY=VALUE):"]
        + config_lib.describe_fields(project.config_class)
        + ["", "presets:"]
        + [f"  {name}: {changes}" for name, changes in project.config_class.PRESETS.items()]
    )
    parser = argparse.ArgumentParser(
        prog=f"python -m projects.{project.name}",
        description=project.description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    names = ["train", "report", "tune"] + (["predict"] if project.predict else [])
    noun = project.predict_input
    commands = parser.add_subparsers(dest="command", metavar="{" + ",".join(names) + "}")
    shared = dict(epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    train = commands.add_parser(
        "train",
        help="Train, evaluate and write the report (the default command).",
        description=f"{project.description}\n\nTrain (the default command; `report --help` "
        "rebuilds a report from saved results, `tune --help` describes the tuner search"
        + (f"; `predict --help` the trained model on a new {noun}" if project.predict else "")
        + ").",
        **shared,
    )
    add_common_flags(train)
    train.add_argument(
        "--strategy",
        choices=distributed.STRATEGIES,
        default="default",
        help="default: one device; mirrored: every local GPU; multi_worker: one process per "
        "machine, the cluster in $TF_CONFIG (README 'Running on a cluster'). The batch size "
        "stays global, split over the replicas. Default: %(default)s.",
    )
    report = commands.add_parser(
        "report",
        help="Rebuild the report from a run's saved results, in seconds, without training.",
        description="Rebuild the report of the run that the same flags (preset, --set, "
        "--workdir) trained, from its saved results, or of the results in --from DIR (a "
        "report folder such as reports/<project>).",
        **shared,
    )
    add_common_flags(report)
    report.add_argument("--from", dest="source", help="A folder with metrics.json (+ arrays).")
    tune = commands.add_parser(
        "tune",
        help="Keras Tuner search over the project's hyperparameters.",
        description="Hyperband search over the project's hyperparameters; rerun to resume.",
        **shared,
    )
    add_common_flags(tune)
    tune.add_argument(
        "--max-trials",
        type=positive_int,
        default=None,
        help="Stop the search after this many trials (default: Hyperband's full bracket).",
    )
    if project.predict:
        predict = commands.add_parser(
            "predict",
            help=f"Run the model a train run with the same flags saved on a new {noun}.",
            description=f"Run the model saved by `train` with the same flags (preset, --set, "
            f"--workdir) on a new {noun}: TEXT ('-' reads it from standard input), or --file, "
            f"a file (or standard input) with one {noun} per line.",
            **shared,
        )
        add_common_flags(predict)
        predict.add_argument("text", nargs="*", help=f"The {noun} (words are joined).")
        predict.add_argument(
            "--file",
            help=f"Read one {noun} per line from this file ('-': standard input), in batches; "
            "one result per line on standard output, in input order.",
        )
        predict.add_argument(
            "--batch-size",
            type=positive_int,
            default=256,
            help="Lines scored together with --file. Default: %(default)s.",
        )
    return parser
