"""The shared command line: flags, presets, overrides and argparse-style errors."""

import dataclasses

import pytest

from common.experiment import cli
from projects.adversarial_regularization import __main__ as adversarial_regularization

PROJECT = adversarial_regularization.PROJECT


def parse(argv):
    parser = cli.build_parser(PROJECT)
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
