"""Tests for the learning-rate schedules: over steps (schedules.WarmupDecay) and over a clock
(schedules.WallClockDecay)."""

import json

import keras
import numpy as np
import pytest

from common.nn import schedules


@pytest.mark.parametrize(
    "decay, step, expected",
    # 1,000 steps, warm-up over the first 100: a quarter up, the peak, halfway down, near and
    # at the end (cosine: (1 + cos(pi * 890 / 900)) / 2 = 3.05e-4 of the peak; line: 10 / 900).
    [
        ("cosine", 25, 0.25),
        ("cosine", 100, 1.0),
        ("cosine", 550, 0.5),
        ("cosine", 990, 3.0458e-4),
        ("cosine", 1000, 0.0),
        ("cosine", 2000, 0.0),
        ("linear", 25, 0.25),
        ("linear", 100, 1.0),
        ("linear", 550, 0.5),
        ("linear", 990, 10 / 900),
        ("linear", 2000, 0.0),
    ],
)
def test_warmup_decay_matches_hand_values(decay, step, expected):
    schedule = schedules.WarmupDecay(2e-3, decay_steps=1000, warmup_fraction=0.1, decay=decay)
    assert float(schedule(step)) == pytest.approx(2e-3 * expected, rel=1e-4, abs=1e-9)


def test_warmup_decay_without_warmup_is_keras_cosine_decay():
    ours = schedules.WarmupDecay(0.01, decay_steps=50)
    theirs = keras.optimizers.schedules.CosineDecay(0.01, decay_steps=50)
    for step in (0, 1, 13, 25, 49, 50, 80):
        assert float(ours(step)) == pytest.approx(float(theirs(step)), abs=1e-8)


def test_warmup_decay_rejects_bad_arguments():
    with pytest.raises(ValueError, match="peak_learning_rate=0"):
        schedules.WarmupDecay(0, decay_steps=10)
    with pytest.raises(ValueError, match="decay_steps=0"):
        schedules.WarmupDecay(0.1, decay_steps=0)
    with pytest.raises(ValueError, match="warmup_fraction=1.5"):
        schedules.WarmupDecay(0.1, decay_steps=10, warmup_fraction=1.5)
    with pytest.raises(ValueError, match="decay='exponential'"):
        schedules.WarmupDecay(0.1, decay_steps=10, decay="exponential")


def test_a_model_compiled_with_warmup_decay_round_trips_through_a_keras_file(tmp_path):
    schedule = schedules.WarmupDecay(0.01, decay_steps=40, warmup_fraction=0.25, decay="linear")
    model = _regression_model(schedule)
    x = np.ones((32, 2), "float32")
    model.fit(x, x[:, :1], batch_size=8, epochs=2, verbose=0)  # 8 steps: still warming up.
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01 * 8 / 10, rel=1e-5)
    model.save(tmp_path / "model.keras")
    restored = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert restored.optimizer._learning_rate.get_config() == schedule.get_config()
    assert float(restored.optimizer.learning_rate) == pytest.approx(0.008, rel=1e-5)


def _regression_model(learning_rate=0.1):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    return model


@pytest.mark.parametrize("clock", ["wall", "process"])
@pytest.mark.parametrize("seconds, expected", [(1e6, 0.1), (1e-9, 0.0)])
def test_wall_clock_decay_follows_the_clock(seconds, expected, clock):
    model = _regression_model()
    x = np.ones((32, 2), "float32")
    schedule = schedules.WallClockDecay(0.1, seconds=seconds, clock=clock)
    model.fit(x, x[:, :1], batch_size=8, epochs=2, callbacks=[schedule], verbose=0)
    assert schedule.learning_rate == pytest.approx(expected, abs=1e-6)
    assert float(model.optimizer.learning_rate) == pytest.approx(expected, abs=1e-6)


def test_wall_clock_decay_rejects_a_schedule_and_bad_arguments():
    model = _regression_model(keras.optimizers.schedules.CosineDecay(0.1, 10))
    x = np.ones((8, 2), "float32")
    with pytest.raises(ValueError, match="constant learning rate"):
        model.fit(x, x[:, :1], callbacks=[schedules.WallClockDecay(0.1, 5)], verbose=0)
    with pytest.raises(ValueError, match="seconds=0"):
        schedules.WallClockDecay(0.1, seconds=0)
    with pytest.raises(ValueError, match="initial_learning_rate=-1"):
        schedules.WallClockDecay(-1, seconds=5)
    with pytest.raises(ValueError, match="clock='cpu'"):
        schedules.WallClockDecay(0.1, seconds=5, clock="cpu")
    with pytest.raises(ValueError, match="warmup_fraction=1"):
        schedules.WallClockDecay(0.1, seconds=5, warmup_fraction=1)
    with pytest.raises(ValueError, match="decay='step'"):
        schedules.WallClockDecay(0.1, seconds=5, decay="step")


@pytest.mark.parametrize(
    "decay, elapsed, expected",
    # Budget 100 s, warm-up 10 s: halfway up, the peak, halfway down, zero; and at 77.5 s,
    # three quarters down: (1 + cos(3 pi / 4)) / 2 = 0.1464 of the peak on the cosine, 1/4 on
    # the line.
    [
        ("cosine", 5.0, 0.05),
        ("cosine", 10.0, 0.1),
        ("cosine", 55.0, 0.05),
        ("cosine", 77.5, 0.1 * (1 - 0.5**0.5) / 2),
        ("cosine", 100.0, 0.0),
        ("cosine", 150.0, 0.0),
        ("linear", 5.0, 0.05),
        ("linear", 55.0, 0.05),
        ("linear", 77.5, 0.025),
        ("linear", 150.0, 0.0),
    ],
)
def test_wall_clock_decay_warms_up_linearly_then_decays(decay, elapsed, expected):
    schedule = schedules.WallClockDecay(0.1, seconds=100, warmup_fraction=0.1, decay=decay)
    schedule._now = lambda: elapsed  # A fake clock: `elapsed` seconds after a start at 0.
    schedule.start, schedule.spent_before = 0.0, 0.0
    assert schedule._rate() == pytest.approx(expected, abs=1e-7)


def test_wall_clock_decay_config_keeps_its_clock():
    schedule = schedules.WallClockDecay(
        0.1, seconds=5, clock="process", resume=True, warmup_fraction=0.05, decay="linear"
    )
    restored = schedules.WallClockDecay.from_config(schedule.get_config())
    assert (restored.initial_learning_rate, restored.seconds, restored.clock) == (0.1, 5, "process")
    assert restored.resume and restored.warmup_fraction == 0.05 and restored.decay == "linear"
    json.dumps(schedule.get_config())


@pytest.mark.parametrize("resume", [False, True])
def test_wall_clock_decay_resumes_across_fit_calls_only_when_asked(resume):
    model = _regression_model()
    x = np.ones((32, 2), "float32")
    schedule = schedules.WallClockDecay(0.1, seconds=1e6, resume=resume)
    schedule.spent_before = 5e5  # As if half the budget went to an earlier fit() call.
    model.fit(x, x[:, :1], batch_size=8, callbacks=[schedule], verbose=0)
    # Resumed: halfway along the cosine, lr = 0.1 * (1 + cos(pi / 2)) / 2 = 0.05.
    assert schedule.learning_rate == pytest.approx(0.05 if resume else 0.1, abs=1e-4)
    assert schedule.spent_before > (5e5 if resume else 0.0)
