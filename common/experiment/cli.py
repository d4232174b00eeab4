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

import os
import pathlib
import sys

from common.data import errors
from common.experiment import batch_predict, console, distributed, flags, skeleton
from common.experiment import config as config_lib

COMMANDS = ("train", "report", "tune", "predict")
INTERRUPTED = (
    "\nInterrupted. Finished epochs and models are saved; rerun the same command to continue "
    "where it stopped (or add --fresh to start over)."
)


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
    parser = flags.build_parser(project)
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
    except BrokenPipeError:
        return stopped_reading()
    if summary is not None:  # `predict --file` wrote its results already.
        print(summary)
    return 0


def stopped_reading():
    """The reader of standard output went away (`predict --file big.txt | head`): that is
    not an error. Standard output is pointed at the null device, so that Python's own flush at
    exit does not print a second BrokenPipeError, and the run ends quietly."""
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)
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
