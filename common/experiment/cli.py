"""The one command line every project shares.

    python -m projects.<name> [train] --preset smoke|quick|full --data-dir DIR --epochs N --seed N
                                      --out DIR --workdir DIR --set KEY=VALUE --fresh
    python -m projects.<name> tune    (same flags) --max-trials N
    python -m projects.<name> predict (same flags) TEXT...   (projects with a `predict` entry)

A project hands `main` a `Project`: its name, config class and the dotted paths of its `run`,
`tune` and `predict` functions, imported only when needed so that `--help` answers at once.
"""

import argparse
import dataclasses
import importlib
import pathlib
import sys

from common.data import errors
from common.experiment import config as config_lib


@dataclasses.dataclass(frozen=True)
class Project:
    """What the shared CLI needs to know about one project."""

    name: str  # Package name under projects/, e.g. "image_classification".
    description: str  # One line for --help and the demo.
    config_class: type  # Frozen dataclass with PRESETS.
    run: str  # "module:function", called as run(config, workdir, reports_dir=...) -> metrics.
    tune: str | None = None  # "module:function", called as tune(config, workdir, ...).
    # "module:function", called as predict(config, workdir, text=..., preset=...) -> dict with a
    # "summary" line; it raises ValueError (e.g. empty text) or FileNotFoundError (not trained).
    predict: str | None = None


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


COMMANDS = ("train", "tune", "predict")
positive_int = whole_number_at_least(1)
non_negative_int = whole_number_at_least(0)


def add_common_flags(parser, default_preset="quick"):
    """Flags shared by `train`, `tune` and `python -m projects all`."""
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
        default="reports",
        help="Reports root; the report goes to OUT/<project>/. Default: %(default)s.",
    )
    parser.add_argument(
        "--workdir",
        default="runs",
        help="Checkpoints and trained models go to WORKDIR/<project>/. Default: %(default)s.",
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
        [
            "config fields (change with --set KEY=VALUE):",
            *config_lib.describe_fields(project.config_class),
        ]
        + ["", "presets:"]
        + [f"  {name}: {changes}" for name, changes in project.config_class.PRESETS.items()]
    )
    parser = argparse.ArgumentParser(
        prog=f"python -m projects.{project.name}",
        description=project.description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    names = ["train", "tune"] + (["predict"] if project.predict else [])
    commands = parser.add_subparsers(dest="command", metavar="{" + ",".join(names) + "}")
    shared = dict(epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    train = commands.add_parser(
        "train",
        help="Train, evaluate and write the report (the default command).",
        description=f"{project.description}\n\nTrain (the default command; `tune --help` "
        "describes the tuner search"
        + ("; `predict --help` scoring a text with the trained model" if project.predict else "")
        + ").",
        **shared,
    )
    add_common_flags(train)
    tune = commands.add_parser(
        "tune",
        help="Keras Tuner search over the project's hypermodel.",
        description="Hyperband search over the project's hypermodel; rerun to resume.",
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
        add_predict_command(commands, shared)
    return parser


def add_predict_command(commands, shared):
    """`predict TEXT...`: score a text with the model trained by the same flags' `train` run."""
    predict = commands.add_parser(
        "predict",
        help="Score a text with the model a train run with the same flags saved.",
        description="Score TEXT with the model saved by `train` with the same flags (preset, "
        "--set, --workdir). TEXT '-' reads it from standard input.",
        **shared,
    )
    add_common_flags(predict)
    predict.add_argument("text", nargs="*", help="The text to score (words are joined).")


def make_config(project, arguments):
    """The config from preset, then flags, then --set overrides; ValueError on a bad value."""
    changes = config_lib.parse_overrides(project.config_class, arguments.overrides)
    for flag in ("epochs", "seed", "data_dir"):
        value = getattr(arguments, flag)
        if value is not None:
            changes[flag] = value
    return config_lib.from_preset(project.config_class, arguments.preset, **changes)


def import_function(dotted):
    module_name, _, function_name = dotted.partition(":")
    return getattr(importlib.import_module(module_name), function_name)


def main(project, argv=None):
    """Parses `argv`, runs the command and returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        argv.insert(0, "train")  # `train` is the default command; `--help` shows its flags.
    parser = build_parser(project)
    arguments = parser.parse_args(argv)
    try:
        config = make_config(project, arguments)
    except ValueError as error:
        parser.error(str(error))
    if arguments.command == "tune" and project.tune is None:
        parser.error(f"{project.name} has no tuner search yet.")
    if arguments.command == "predict":
        return execute_predict(project, arguments, config)
    return execute(project, arguments, config)


def read_text(words):
    """The text to score: the words joined by spaces, or standard input for a single '-'."""
    if list(words) == ["-"]:
        return sys.stdin.read()
    return " ".join(words)


def execute_predict(project, arguments, config):
    """Runs `predict`, turning a bad input or a missing model into one clear message."""
    function = import_function(project.predict)
    try:
        result = function(
            config, pathlib.Path(arguments.workdir), text=read_text(arguments.text),
            preset=arguments.preset,
        )  # fmt: skip
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(result.get("summary", result))
    return 0


def execute(project, arguments, config):
    """Runs train or tune, turning data and interrupt errors into one clear message."""
    function = import_function(project.tune if arguments.command == "tune" else project.run)
    options = {
        "reports_dir": pathlib.Path(arguments.out),
        "preset": arguments.preset,
        "fresh": arguments.fresh,
    }
    if arguments.command == "tune":
        options["max_trials"] = arguments.max_trials
    try:
        metrics = function(config, pathlib.Path(arguments.workdir), **options)
    except (errors.DataNotFoundError, errors.DataFormatError) as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\nInterrupted. Finished epochs and models are saved; rerun the same command to "
            "continue where it stopped (or add --fresh to start over).",
            file=sys.stderr,
        )
        return 130
    print(f"\n{project.name}: {metrics.get('summary', 'done')}")
    return 0
