"""The benchmark runner: budgets stop training, samples are counted by steps, tables say so."""

import dataclasses
import functools
import itertools
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from benchmarks import image_classification, runner
from common.experiment import config as config_lib
from common.nn import schedules
from projects.image_classification import config as project_config


def tiny_configuration(seconds=None, epochs=3):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)

    def build():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    return runner.Configuration(
        "tiny", "a test", build, epochs, train, train, train, 64, seconds=seconds
    )


def test_without_budget_runs_every_epoch_and_counts_samples():
    result = runner.run_configuration(tiny_configuration(), targets=(0.5,), seed=0)
    assert result["epochs"] == 3
    assert result["budget_seconds"] is None
    expected = 3 * 64 / result["train_seconds"]
    assert np.isclose(result["samples_per_second"], expected)


def test_a_spent_budget_stops_after_the_first_step():
    result = runner.run_configuration(tiny_configuration(seconds=0.0), targets=(0.5,), seed=0)
    assert result["epochs"] == 1  # The cut-short epoch is still validated.
    assert np.isclose(result["samples_per_second"] * result["train_seconds"], 8)
    table = runner.markdown_table("tiny", [result], (0.5,), {})
    assert "Wall-time budget per recipe: 0 s" in table


@pytest.mark.parametrize("clock", ["wall", "process"])
def test_time_limit_stops_on_its_clock_and_records_both_clocks(clock):
    configuration = tiny_configuration(epochs=5)
    model = configuration.build()
    limit = runner.TimeLimit(0.0, clock=clock)
    model.fit(configuration.train, epochs=5, callbacks=[limit], verbose=0)
    summary = limit.summary()
    assert summary["steps"] == 1 and summary["epochs_started"] == 1
    assert summary["budget_clock"] == clock
    assert summary["train_seconds"] > 0 and summary["train_cpu_seconds"] > 0
    with pytest.raises(ValueError, match="clock='gpu'"):
        runner.TimeLimit(1.0, clock="gpu")


def test_usable_cores_is_a_positive_count_no_larger_than_the_machine():
    assert 1 <= runner.usable_cores() <= os.cpu_count()


def test_cifar10_recipe_under_a_budget_anneals_over_the_clock():
    config = config_lib.from_preset(project_config.Config, "smoke", dataset="cifar10")
    build, make_callbacks, epochs = image_classification.headline_recipe(config, 512, 60)
    (schedule,) = make_callbacks()
    assert isinstance(schedule, schedules.WallClockDecay)
    assert schedule.seconds == 60
    assert epochs == image_classification.MAX_BUDGET_EPOCHS
    model = build()
    assert not isinstance(
        model.optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule
    )
    build, make_callbacks, epochs = image_classification.headline_recipe(config, 512, None)
    assert make_callbacks() == () and epochs == config.epochs


def test_a_suite_without_reference_has_only_our_row_with_its_overrides(offline_sample_only):
    # The bundled CIFAR-10 sample: the rows, not the data, are under test.
    suite = image_classification.SUITES["cifar10_30min"]
    config, _, rows = image_classification.configurations("smoke", suite=suite)
    assert config.widths == (64, 128, 256)
    assert [row.name for row in rows] == ["ours (residual, relu, widths 64-128-256)"]
    assert rows[0].seconds is None  # Budgets apply to the full preset only.
    _, _, rows = image_classification.configurations(
        "smoke", suite=image_classification.SUITES["cifar10"]
    )
    assert [row.name for row in rows] == ["keras-io cifar10_cnn", "ours (residual, relu)"]
    scores = rows[1].extra_scores(rows[1].build())  # Our row adds test-time flip averaging.
    assert 0.0 <= scores["test_accuracy_with_tta"] <= 1.0
    assert rows[0].extra_scores is None


def test_extra_scores_join_the_result_and_get_a_column():
    configuration = dataclasses.replace(
        tiny_configuration(epochs=1), extra_scores=lambda model: {"test_accuracy_with_tta": 0.5}
    )
    result = runner.run_configuration(configuration, targets=(0.5,), seed=0)
    assert result["test_accuracy_with_tta"] == 0.5
    table = runner.markdown_table("tiny", [result], (0.5,), {})
    assert "| test acc (TTA) |" in table and "| 0.5000 |" in table


def test_time_limit_with_slices_adds_up_across_fit_calls():
    configuration = tiny_configuration()
    model = configuration.build()
    limit = runner.TimeLimit(1e9, clock="process", slice_seconds=1e-9)
    for _ in range(3):  # Each call stops after its first step: its slice is spent.
        model.fit(configuration.train, epochs=100, callbacks=[limit], verbose=0)
    summary = limit.summary()
    assert (summary["steps"], summary["epochs_started"], summary["turns"]) == (3, 3, 3)
    assert summary["train_cpu_seconds"] > 0 and not limit.exhausted
    with pytest.raises(ValueError, match="slice_seconds=0"):
        runner.TimeLimit(1.0, slice_seconds=0)


def test_train_in_turns_alternates_until_every_budget_is_spent():
    order = []

    class Recorder(keras.callbacks.Callback):
        def __init__(self, name):
            super().__init__()
            self.name = name

        def on_train_begin(self, logs=None):
            order.append(self.name)

    contestants = []
    for name, seconds in (("first", 6), ("second", 12)):
        configuration = tiny_configuration()
        limit = runner.TimeLimit(seconds, clock="wall", slice_seconds=2)
        # A fake clock that ticks one second per reading: a turn reads it at its start, after
        # each of its two steps and at its end, so it spends 3 seconds.
        limit._now = functools.partial(next, itertools.count())
        contestants.append(
            runner.Contestant(configuration.build(), configuration.train, limit, (Recorder(name),))
        )
    runner.train_in_turns(contestants, verbose=0)
    assert all(contestant.limit.exhausted for contestant in contestants)
    assert order == ["first", "second"] * 2 + ["second"] * 2
    assert [contestant.limit.summary()["steps"] for contestant in contestants] == [4, 8]
    with pytest.raises(ValueError, match="slice_seconds"):
        runner.train_in_turns([runner.Contestant(None, None, runner.TimeLimit(1.0))])


def test_machine_names_the_vector_extensions_and_onednn():
    hardware = {"cpu_model": "AMD EPYC", "logical_cores": 2, "onednn": True}
    hardware["cpu_vector_extensions"] = ["avx2", "fma"]
    assert runner.machine(hardware) == "AMD EPYC (avx2, fma; oneDNN on), 2 cores"
    assert runner.machine({}) == "? (?; oneDNN ?), ? cores"
