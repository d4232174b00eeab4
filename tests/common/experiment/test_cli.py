"""The shared command line: flags, presets, overrides and argparse-style errors."""

import dataclasses
import pathlib
import shutil
import subprocess
import sys

import keras
import pytest

from common.data import loaders
from common.experiment import cli, flags, training
from projects.adversarial_regularization import __main__ as adversarial_regularization

PROJECT = adversarial_regularization.PROJECT


def parse(argv):
    parser = flags.build_parser(PROJECT)
    arguments = parser.parse_args(argv)
    return cli.make_config(PROJECT, arguments)


def test_flags_override_preset():
    config = parse(["train", "--preset", "smoke", "--epochs", "3", "--seed", "7"])
    assert (config.epochs, config.seed, config.train_limit) == (3, 7, 256)
    config = parse(["train", "--preset", "full", "--set", "variants=base,adversarial_pgd"])
    assert config.variants == ("base", "adversarial_pgd") and config.train_limit is None


def test_help_lists_every_config_field_and_preset(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(PROJECT, ["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for expected in (
        "learning_rate",
        "multiplier_sweep",
        "smoke:",
        "full:",
        "--preset",
        "tune --help",
    ):
        assert expected in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--preset", "huge"], "invalid choice: 'huge'"),
        (["--epochs", "0"], "must be at least 1"),
        (["--epochs", "ten"], "expected a whole number"),
        (["--seed", "-1"], "must be at least 0"),
        (["--set", "epochs=abc"], "Config field 'epochs' expects int; got 'abc'"),
        (["--set", "epochs=-1"], "epochs must be at least 1. Received: epochs=-1"),
        (["--set", "learnin_rate=1"], "Unknown config field 'learnin_rate'"),
        (["--set", "clean_weight=2"], "clean_weight must be in"),
        (["--set", "variants=base,fgsm"], "variants must be among"),
    ],
)
def test_bad_values_get_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(PROJECT, argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_data_is_one_clear_message(tmp_path, monkeypatch, capsys):
    from common.data import errors, loaders

    monkeypatch.delenv("DLFB_DATA_DIR", raising=False)

    def missing(*args, **kwargs):
        raise errors.DataNotFoundError("No Fashion-MNIST found. Tried: /nowhere")

    monkeypatch.setattr(loaders, "load_fashion_mnist", missing)
    code = cli.main(
        PROJECT, ["--preset", "smoke", "--out", str(tmp_path), "--workdir", str(tmp_path)]
    )
    assert code == 2
    assert "No Fashion-MNIST found" in capsys.readouterr().err


def run_cli(argv, capsys, project=PROJECT):
    """Runs the command line in-process; returns (exit code, standard error)."""
    code = cli.main(project, argv)
    return code, capsys.readouterr().err


def test_missing_or_corrupt_data_folder_is_exit_2_with_one_paragraph(tmp_path, capsys):
    flags = ["--preset", "smoke", "--out", str(tmp_path / "out"), "--workdir", str(tmp_path)]
    code, err = run_cli([*flags, "--data-dir", str(tmp_path / "no such folder")], capsys)
    assert code == 2 and "no such folder: folder does not exist" in err
    folder = tmp_path / "truncated"
    shutil.copytree(loaders.sample_dir() / "fashion-mnist", folder)
    archive = folder / "train-images-idx3-ubyte.gz"
    archive.write_bytes(archive.read_bytes()[:3000])  # A download cut short.
    code, err = run_cli([*flags, "--data-dir", str(folder)], capsys)
    assert code == 2 and "train-images-idx3-ubyte.gz is not a readable .gz file" in err
    assert "Traceback" not in err and err.strip().startswith("error:")


def load_model_predict(config, workdir, *, text, preset):
    training.load_model_file(pathlib.Path(workdir) / text)


def test_predict_refuses_a_model_with_a_lambda_layer(tmp_path, capsys):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x + 1)])
    model.save(tmp_path / "lambda.keras")
    project = dataclasses.replace(PROJECT, name="loading", predict=load_model_predict)
    argv = ["predict", "--preset", "smoke", "--workdir", str(tmp_path), "lambda.keras"]
    code, err = run_cli(argv, capsys, project)
    assert code == 2 and "error: Refused to load the model" in err and "Traceback" not in err


def fake_predict(config, workdir, *, text, preset):
    if not text.strip():
        raise ValueError("The text is empty: give a review to score.")
    return {"summary": f"{preset}: {len(text.split())} words from {workdir}"}


PREDICTING = dataclasses.replace(PROJECT, name="predicting", predict=fake_predict)


def test_predict_command_passes_the_text_and_prints_the_summary(tmp_path, capsys):
    argv = ["predict", "--preset", "smoke", "--workdir", str(tmp_path), "a", "fine film"]
    assert cli.main(PREDICTING, argv) == 0
    assert capsys.readouterr().out.strip() == f"smoke: 3 words from {tmp_path}"


def test_predict_errors_are_one_clear_message(capsys):
    assert cli.main(PREDICTING, ["predict", "--preset", "smoke", " "]) == 2
    assert "error: The text is empty" in capsys.readouterr().err


def test_predict_is_listed_only_for_projects_that_have_it(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(PROJECT, ["predict", "some text"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'predict'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(PREDICTING, ["--help"])
    assert "`predict --help`" in capsys.readouterr().out


class CountingInput:
    """Standard input that counts the lines handed out so far."""

    def __init__(self, lines):
        self.lines, self.read = lines, 0

    def __iter__(self):
        for line in self.lines:
            self.read += 1
            yield line


def test_predict_file_streams_stdin_in_batches_and_keeps_the_order(monkeypatch, capsys):
    stream = CountingInput([f"review {n}\n" for n in range(7)])
    batches = []

    def batch_predictor(config, workdir, *, preset):
        def score(texts):
            batches.append(list(texts))
            assert stream.read <= sum(map(len, batches)) + 1  # Read ahead: one line at most.
            return [text.upper() for text in texts]

        return score

    monkeypatch.setattr("sys.stdin", stream)
    project = dataclasses.replace(PREDICTING, batch_predictor=batch_predictor)
    assert (
        cli.main(project, ["predict", "--preset", "smoke", "--file", "-", "--batch-size", "3"]) == 0
    )
    assert [len(batch) for batch in batches] == [3, 3, 1]
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"REVIEW {n}" for n in range(7)]
    assert "scored 7 lines" in captured.err


def test_predict_file_needs_a_project_that_scores_batches(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(PREDICTING, ["predict", "--preset", "smoke", "--file", "-"])
    assert exit_info.value.code == 2
    assert "--file is not supported" in capsys.readouterr().err


UPPER_CASE_SCORER = """
import dataclasses, sys
from common.experiment import cli
from projects.adversarial_regularization import __main__ as project_main

def batch_predictor(config, workdir, *, preset):
    return lambda texts: [text.upper() for text in texts]

project = dataclasses.replace(
    project_main.PROJECT, name="upper", predict=print, batch_predictor=batch_predictor
)
sys.exit(cli.main(project, ["predict", "--preset", "smoke", "--file", sys.argv[1]]))
"""


def test_predict_file_into_a_closed_pipe_ends_quietly(tmp_path):
    """`predict --file big.txt | head -n 1`: the reader leaves early, which is no error."""
    path = tmp_path / "lines.txt"
    path.write_text("".join(f"review {n}\n" for n in range(200_000)))
    process = subprocess.Popen(
        [sys.executable, "-c", UPPER_CASE_SCORER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=pathlib.Path(__file__).parents[3],
    )
    assert process.stdout.readline() == b"REVIEW 0\n"
    process.stdout.close()  # As `head` does once it has its line.
    error = process.stderr.read().decode()
    assert process.wait(timeout=120) == 0, error
    assert "Traceback" not in error and "BrokenPipe" not in error
