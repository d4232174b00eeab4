"""The one command line every project shares.

    python -m projects.<name> [train] --preset smoke|quick|full --data-dir DIR --epochs N --seed N
                                      --out DIR --workdir DIR --set KEY=VALUE --fresh
                                      --strategy default|mirrored|multi_worker
    python -m projects.<name> report  (same flags) [--from DIR]
    python -m projects.<name> tune    (same flags) --max-trials N
    python -m projects.<name> predict (same flags) TEXT...   (projects with a `predict` part)
    python -m projects.<name> predict (same flags) --file PATH|- [--batch-size N]

A project's `__main__.py` hands `main` its `skeleton.Project`. Reports go to `runs/reports/`
unless `--out` names another folder; `--out reports` publishes to the committed reports.
"""

import argparse
import pathlib
import sys

from common.data import errors
from common.experiment import batch_predict, console, distributed, skeleton
from common.experiment import config as config_lib

COMMANDS = ("train", "report", "tune", "predict")
INTERRUPTED = (
    "\nInterrupted. Finished epochs and models are saved; rerun the same command to continue "
    "where it stopped (or add --fresh to start over)."
)


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
    commands = parser.add_subparsers(dest="command", metavar="{" + ",".join(names) + "}")
    shared = dict(epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
    train = commands.add_parser(
        "train",
        help="Train, evaluate and write the report (the default command).",
        description=f"{project.description}\n\nTrain (the default command; `report --help` "
        "rebuilds a report from saved results, `tune --help` describes the tuner search"
        + ("; `predict --help` scoring a text with the trained model" if project.predict else "")
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
            help="Score a text with the model a train run with the same flags saved.",
            description="Score TEXT with the model saved by `train` with the same flags "
            "(preset, --set, --workdir). TEXT '-' reads it from standard input; --file scores "
            "a file (or standard input) one line per text.",
            **shared,
        )
        add_common_flags(predict)
        predict.add_argument("text", nargs="*", help="The text to score (words are joined).")
        predict.add_argument(
            "--file",
            help="Score every line of this file ('-': standard input), streamed in batches; "
            "one result per line on standard output, in input order.",
        )
        predict.add_argument(
            "--batch-size",
            type=positive_int,
            default=256,
            help="Lines scored together with --file. Default: %(default)s.",
        )
    return parser


def make_config(project, arguments):
    """The config from preset, then flags, then --set overrides; ValueError on a bad value."""
    changes = config_lib.parse_overrides(project.config_class, arguments.overrides)
    for flag in ("epochs", "seed", "data_dir"):
        value = getattr(arguments, flag)
        if value is not None:
            changes[flag] = value
    return config_lib.from_preset(project.config_class, arguments.preset, **changes)


def main(project, argv=None):
    """Parses `argv`, runs the command and returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        argv.insert(0, "train")  # `train` is the default command; `--help` shows its flags.
    parser = build_parser(project)
    arguments = parser.parse_args(argv)
    try:
        config = make_config(project, arguments)
        distributed.check(getattr(arguments, "strategy", "default"))
    except ValueError as error:
        parser.error(str(error))
    if arguments.command == "tune" and project.hyperparameters is None:
        parser.error(f"{project.name} has no tuner search yet.")
    if getattr(arguments, "file", None) is not None and project.batch_predictor is None:
        parser.error(f"{project.name} predicts one text at a time: --file is not supported yet.")
    return execute(project, arguments, config)


def read_text(words):
    """The text to score: the words joined by spaces, or standard input for a single '-'."""
    if list(words) == ["-"]:
        return sys.stdin.read()
    return " ".join(words)


def execute(project, arguments, config):
    """Runs one command, turning user mistakes, data problems and Ctrl-C into one message."""
    try:
        with console.filtered_stderr():  # TensorFlow's harmless "E0000 oneDNN ..." lines dropped.
            summary = dispatch(project, arguments, config)
    except (errors.DataNotFoundError, errors.DataFormatError) as error:
        print(f"\nerror: {error}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as error:
        if arguments.command not in ("report", "predict"):
            raise  # In training, these are bugs, not user mistakes: keep the traceback.
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        return 130
    if summary is not None:  # `predict --file` wrote its results already.
        print(summary)
    return 0


def dispatch(project, arguments, config):
    """Runs the command; returns the line to print at the end."""
    workdir, out = pathlib.Path(arguments.workdir), pathlib.Path(arguments.out)
    if arguments.command == "predict" and arguments.file is not None:
        return predict_file(project, config, arguments)
    if arguments.command == "predict":
        text = read_text(arguments.text)
        return project.predict(config, workdir, text=text, preset=arguments.preset)["summary"]
    if arguments.command == "report":
        source = arguments.source or skeleton.results_folder(
            project, config, workdir, arguments.preset
        )
        results, path = skeleton.rebuild_report(project, source, out)
    elif arguments.command == "tune":
        results, path = skeleton.tune(
            project, config, workdir=workdir, reports_dir=out, preset=arguments.preset,
            fresh=arguments.fresh, max_trials=arguments.max_trials,
        )  # fmt: skip
    else:
        results, path = skeleton.run(
            project, config, workdir=workdir, reports_dir=out, preset=arguments.preset,
            fresh=arguments.fresh, strategy=getattr(arguments, "strategy", "default"),
        )  # fmt: skip
        if results is None:
            return f"\n{project.name}: training done on this worker; the chief writes the report."
    return f"\n{project.name}: {headline(results, path)}"


def predict_file(project, config, arguments):
    """`predict --file`: streams the file's lines through the project's batch scorer."""
    if arguments.text:
        raise ValueError(
            f"Give TEXT or --file, not both. Received: --file {arguments.file} and TEXT "
            f"{' '.join(arguments.text)[:60]!r}"
        )
    workdir = pathlib.Path(arguments.workdir)
    score = project.batch_predictor(config, workdir, preset=arguments.preset)  # Model first.
    count = batch_predict.score_lines(score, arguments.file, arguments.batch_size)
    print(f"{project.name}: scored {count} lines", file=sys.stderr)
    return None  # The results are printed already.


def headline(results, path):
    """ "test accuracy 0.9338; report: runs/reports/x/index.html" from the saved metrics."""
    if path is None:
        return "trials done (the chief writes the report)"
    line = results.metrics.get("summary") or "done"
    return f"{line}; report: {path}"
