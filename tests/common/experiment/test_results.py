"""Results as data: a config and its results survive the trip through metrics.json and arrays."""

import dataclasses

import numpy as np
import pytest

from common.experiment import config as config_lib
from common.experiment import results as results_lib


@dataclasses.dataclass(frozen=True)
class Config(config_lib.BaseConfig):
    widths: tuple[int, ...] = (8, 16)
    rate: float | None = None


def make_results():
    return results_lib.Results(
        project="demo",
        config=Config(widths=(4, 5), rate=0.5),
        metrics={"accuracy": np.float32(0.875), "missing": float("nan"), "rows": [1, 2]},
        arrays={"images": np.arange(12, dtype="uint8").reshape(3, 2, 2)},
        training={"m": {"history": {"loss": [1.0, 0.5]}}},
        plan={"headline": "m", "tables": {"t": [["label", "m"]]}},
        metadata={"seed": 0, "data_source": {"is_sample": True}},
    )


def test_results_round_trip_through_the_files(tmp_path):
    results = make_results()
    results_lib.save(results, tmp_path)
    loaded = results_lib.load(tmp_path, Config)
    assert loaded.config == results.config and loaded.config.widths == (4, 5)
    assert loaded.metrics == {"accuracy": 0.875, "missing": None, "rows": [1, 2]}
    np.testing.assert_array_equal(loaded.arrays["images"], results.arrays["images"])
    assert loaded.is_sample and loaded.plan["headline"] == "m"
    assert results_lib.round_trip(results).metrics == loaded.metrics


def test_missing_or_damaged_results_get_a_clear_message(tmp_path):
    with pytest.raises(FileNotFoundError, match="No saved results"):
        results_lib.load(tmp_path, Config)
    (tmp_path / "metrics.json").write_text("{broken")
    with pytest.raises(ValueError, match="cannot be read"):
        results_lib.load(tmp_path, Config)


def test_config_from_dict_restores_tuples_and_ignores_unknown_fields():
    saved = config_lib.to_dict(Config(widths=(1, 2, 3)))
    assert saved["widths"] == [1, 2, 3]
    restored = config_lib.from_dict(Config, {**saved, "gone": 1})
    assert restored == Config(widths=(1, 2, 3))
