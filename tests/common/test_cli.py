"""The shared command line: flags, presets, overrides and argparse-style errors."""

import pytest

from common import cli
from projects.image_classification import __main__ as image_classification

PROJECT = image_classification.PROJECT


def parse(argv):
    parser = cli.build_parser(PROJECT)
    arguments = parser.parse_args(argv)
    return cli.make_config(PROJECT, arguments)


def test_flags_override_preset():
    config = parse(["train", "--preset", "smoke", "--epochs", "3", "--seed", "7"])
    assert (config.epochs, config.seed, config.train_limit) == (3, 7, 512)
    config = parse(["train", "--preset", "full", "--set", "hidden_units=relu,maxout"])
    assert config.hidden_units == ("relu", "maxout") and config.train_limit is None


def test_help_lists_every_config_field_and_preset(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(PROJECT, ["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for expected in ("learning_rate", "hidden_units", "smoke:", "full:", "--preset", "tune --help"):
        assert expected in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--preset", "huge"], "invalid choice: 'huge'"),
        (["--epochs", "0"], "must be at least 1"),
        (["--epochs", "ten"], "expected a whole number"),
        (["--seed", "-1"], "must be at least 0"),
        (["--set", "learnin_rate=1"], "Unknown config field 'learnin_rate'"),
        (["--set", "dropout_rate=2"], "dropout_rate must be in"),
        (["--set", "hidden_units=relu,swish"], "Unknown hidden unit"),
    ],
)
def test_bad_values_get_argparse_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(PROJECT, argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_missing_data_is_one_clear_message(tmp_path, monkeypatch, capsys):
    from common import data

    monkeypatch.delenv("DLFB_DATA_DIR", raising=False)

    def missing(*args, **kwargs):
        raise data.DataNotFoundError("No Fashion-MNIST found. Tried: /nowhere")

    monkeypatch.setattr(data, "load_fashion_mnist", missing)
    code = cli.main(
        PROJECT, ["--preset", "smoke", "--out", str(tmp_path), "--workdir", str(tmp_path)]
    )
    assert code == 2
    assert "No Fashion-MNIST found" in capsys.readouterr().err
