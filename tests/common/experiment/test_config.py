import dataclasses
import typing

import pytest

from common.experiment import config as config_lib


@dataclasses.dataclass(frozen=True)
class ToyConfig:
    epochs: int = 10  # Training epochs.
    learning_rate: float = 0.1
    use_bias: bool = True
    name: str = "toy"
    limit: int | None = None
    units: tuple[str, ...] = ("relu",)

    PRESETS: typing.ClassVar[dict] = {"smoke": {"epochs": 1}, "quick": {}, "full": {"epochs": 50}}


def test_preset_then_overrides():
    config = config_lib.from_preset(ToyConfig, "smoke", learning_rate=0.5)
    assert config.epochs == 1 and config.learning_rate == 0.5
    assert config_lib.from_preset(ToyConfig, "full").epochs == 50


def test_unknown_preset_names_choices():
    with pytest.raises(ValueError, match="smoke"):
        config_lib.from_preset(ToyConfig, "huge")


def test_parse_overrides_by_declared_types():
    changes = config_lib.parse_overrides(
        ToyConfig,
        ["epochs=3", "learning_rate=1e-3", "use_bias=false", "limit=none", "units=relu, maxout"],
    )
    assert changes == {
        "epochs": 3,
        "learning_rate": 0.001,
        "use_bias": False,
        "limit": None,
        "units": ("relu", "maxout"),
    }
    assert config_lib.parse_overrides(ToyConfig, ["limit=7"]) == {"limit": 7}


@pytest.mark.parametrize(
    "assignment, message",
    [
        ("epochs=three", "expects int"),
        ("use_bias=maybe", "expects bool"),
        ("batch=3", "Unknown config field 'batch'"),
        ("epochs", "KEY=VALUE"),
        ("PRESETS=1", "Unknown config field"),
    ],
)
def test_bad_overrides_are_named(assignment, message):
    with pytest.raises(ValueError, match=message):
        config_lib.parse_overrides(ToyConfig, [assignment])


def test_fingerprint_tracks_values():
    base = ToyConfig()
    assert config_lib.fingerprint(base) == config_lib.fingerprint(ToyConfig())
    assert config_lib.fingerprint(base) != config_lib.fingerprint(
        config_lib.replace(base, epochs=2)
    )
    with pytest.raises(ValueError, match="Unknown config field"):
        config_lib.replace(base, epoch=2)


def test_to_dict_is_json_friendly():
    assert config_lib.to_dict(ToyConfig())["units"] == ["relu"]
