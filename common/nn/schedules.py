"""Learning-rate schedules (book Section 8.3.1): a warm-up, then a decay to zero.

`WarmupDecay` counts optimizer steps, for a run whose length is known ahead; `WallClockDecay`
is a callback that counts seconds, for a race against a time budget. Both follow the same
`decay_factor`, so a benchmark timed on the clock trains with the same schedule shape as the
project run it stands for.
"""

import math

import keras
import numpy as np

from common.nn import callbacks

DECAYS = ("cosine", "linear")


def check_schedule_arguments(warmup_fraction, decay):
    """A `ValueError` naming the bad value, for a warm-up share outside [0, 1) or an unknown
    decay shape."""
    if not 0 <= warmup_fraction < 1:
        raise ValueError(
            f"warmup_fraction must be in [0, 1). Received: warmup_fraction={warmup_fraction}"
        )
    if decay not in DECAYS:
        raise ValueError(f"decay must be one of {DECAYS}. Received: decay={decay!r}")


def decay_factor(fraction, warmup_fraction=0.0, decay="cosine", ops=keras.ops):
    """The share of the peak rate after `fraction` of the run: a linear rise from 0 over the
    first `warmup_fraction`, then a cosine or straight-line fall to 0 at `fraction` 1.

    `ops` is any namespace with `clip`, `cos` and `where`: `keras.ops` for a float step tensor
    inside the optimizer, `numpy` for a Python float read before every batch (a microsecond
    there, where eager `keras.ops` would spend a millisecond of the budget per batch).
    """
    fraction = ops.clip(fraction, 0.0, 1.0)
    rising = fraction / max(warmup_fraction, 1e-12)
    progress = ops.clip((fraction - warmup_fraction) / (1.0 - warmup_fraction), 0.0, 1.0)
    if decay == "cosine":
        falling = 0.5 * (1.0 + ops.cos(math.pi * progress))
    else:
        falling = 1.0 - progress
    return ops.where(fraction < warmup_fraction, rising, falling)


SHAPES = ("constant", "cosine", "linear")


def learning_rate_schedule(
    peak, total_steps, decay="cosine", warmup_fraction=0.0, warmup_start=0.0
):
    """The learning rate of every model in the collection: one factory, three shapes.

    "constant": `peak` throughout. "cosine": Keras' `CosineDecay` to zero over `total_steps`,
    after an optional linear warm-up over `warmup_fraction` of them from `warmup_start * peak`.
    "linear": `WarmupDecay`, a linear warm-up from zero, then a straight line down to zero.
    A warm-up lets Adam's first, poorly estimated moments act with small steps; the decay to
    zero lets the last steps settle into a minimum (book Section 8.3.1).
    """
    if decay not in SHAPES:
        raise ValueError(f"decay must be one of {SHAPES}. Received: decay={decay!r}")
    if decay == "constant":
        return peak
    total_steps = max(1, int(total_steps))
    if decay == "linear":
        if warmup_start:
            raise ValueError(
                f"A linear decay warms up from 0. Received: warmup_start={warmup_start}"
            )
        return WarmupDecay(peak, total_steps, warmup_fraction, "linear")
    warmup_steps = min(round(warmup_fraction * total_steps), total_steps - 1)
    return keras.optimizers.schedules.CosineDecay(
        peak * warmup_start if warmup_steps else peak,
        decay_steps=max(1, total_steps - warmup_steps),
        warmup_target=peak if warmup_steps else None,
        warmup_steps=warmup_steps,
    )


@keras.saving.register_keras_serializable(package="dlfb")
class WarmupDecay(keras.optimizers.schedules.LearningRateSchedule):
    """A linear warm-up from zero, then a cosine or linear decay to zero, over a step count.

    The warm-up lets Adam's first, poorly estimated moments (and batch normalization's first
    statistics) act with small steps; the decay to zero lets the last steps settle into a
    minimum instead of bouncing around it (book Section 8.3.1).

    Formula:
        f = min(step / decay_steps, 1), w = warmup_fraction, p = (f - w) / (1 - w)
        lr = peak_learning_rate * f / w                        if f < w
        lr = peak_learning_rate * (1 + cos(pi * p)) / 2         if decay == "cosine"
        lr = peak_learning_rate * (1 - p)                       if decay == "linear"

    Example:

    ```python
    schedule = WarmupDecay(1e-3, decay_steps=2000, warmup_fraction=0.05, decay="linear")
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse")
    ```

    Args:
        peak_learning_rate: The rate at the end of the warm-up (at step 0 without one). Must
            be > 0.
        decay_steps: The step at which the rate reaches zero. Must be >= 1.
        warmup_fraction: The share of `decay_steps` over which the rate first rises linearly
            from zero, in [0, 1). Defaults to `0.0`.
        decay: `"cosine"` or `"linear"`. Defaults to `"cosine"`.
    """

    def __init__(self, peak_learning_rate, decay_steps, warmup_fraction=0.0, decay="cosine"):
        if not peak_learning_rate > 0:
            raise ValueError(
                f"peak_learning_rate must be > 0. Received: peak_learning_rate={peak_learning_rate}"
            )
        if not decay_steps >= 1:
            raise ValueError(f"decay_steps must be >= 1. Received: decay_steps={decay_steps}")
        check_schedule_arguments(warmup_fraction, decay)
        self.peak_learning_rate = float(peak_learning_rate)
        self.decay_steps = int(decay_steps)
        self.warmup_fraction = float(warmup_fraction)
        self.decay = decay

    def __call__(self, step):
        fraction = keras.ops.cast(step, "float32") / self.decay_steps
        return self.peak_learning_rate * decay_factor(fraction, self.warmup_fraction, self.decay)

    def get_config(self):
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "decay_steps": self.decay_steps,
            "warmup_fraction": self.warmup_fraction,
            "decay": self.decay,
        }


@keras.saving.register_keras_serializable(package="dlfb")
class WallClockDecay(keras.callbacks.Callback):
    """Warms up, then anneals the learning rate over a time budget instead of over steps.

    A learning-rate schedule (book Section 8.3.1) is usually written in steps, but a race against
    the clock does not know in advance how many steps fit in it: this schedule reads the elapsed
    time before every batch, so the rate reaches zero exactly when the budget is spent, whatever
    the machine's speed. Pair it with a callback that stops training at the same budget. The
    shape is `WarmupDecay`'s, with the share of the budget spent in place of the share of steps.

    Formula:
        f = min(t / seconds, 1), w = warmup_fraction, p = (f - w) / (1 - w)
        lr(t) = initial_learning_rate * f / w                      if f < w
        lr(t) = initial_learning_rate * (1 + cos(pi * p)) / 2       if decay == "cosine"
        lr(t) = initial_learning_rate * (1 - p)                     if decay == "linear"

    where t is the time spent in this `fit()` call or, with `resume=True`, in all of them.

    Example:

    ```python
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    model.fit(x, y, epochs=1000, callbacks=[WallClockDecay(1e-3, seconds=240)])
    ```

    Args:
        initial_learning_rate: The peak rate: at time 0, or at the end of the warm-up. Must be
            > 0.
        seconds: The time budget over which the rate decays to zero. Must be > 0.
        clock: `"wall"` (elapsed real time) or `"process"` (CPU seconds of this process, all
            threads together: a budget immune to the machine pausing). Defaults to `"wall"`.
        resume: If `True`, time spent in earlier `fit()` calls counts too, so a model trained in
            turns with others (one slice of the budget per call) continues its schedule where
            the last call left it; only time inside `fit()` counts. Defaults to `False`.
        warmup_fraction: The share of the budget over which the rate first rises linearly from
            zero, in [0, 1). Defaults to `0.0` (no warm-up).
        decay: `"cosine"` or `"linear"`. Defaults to `"cosine"`.
    """

    def __init__(
        self,
        initial_learning_rate,
        seconds,
        clock="wall",
        resume=False,
        warmup_fraction=0.0,
        decay="cosine",
    ):
        super().__init__()
        if not initial_learning_rate > 0:
            raise ValueError(
                "initial_learning_rate must be > 0. "
                f"Received: initial_learning_rate={initial_learning_rate}"
            )
        if not seconds > 0:
            raise ValueError(f"seconds must be > 0. Received: seconds={seconds}")
        check_schedule_arguments(warmup_fraction, decay)
        self.initial_learning_rate = float(initial_learning_rate)
        self.seconds = float(seconds)
        self.clock = clock
        self.resume = bool(resume)
        self.warmup_fraction = float(warmup_fraction)
        self.decay = decay
        self._now = callbacks.clock_function(clock)
        self.spent_before = 0.0  # Seconds spent in earlier fit() calls (counted with `resume`).

    def on_train_begin(self, logs=None):
        schedule = self.model.optimizer._learning_rate
        if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
            raise ValueError(
                "WallClockDecay sets the learning rate itself: compile the model with a "
                "constant learning rate, not a LearningRateSchedule."
            )
        if not self.resume:
            self.spent_before = 0.0
        self.start = self._now()
        self.learning_rate = self._rate()

    def on_train_batch_begin(self, batch, logs=None):
        self.learning_rate = self._rate()
        self.model.optimizer.learning_rate.assign(self.learning_rate)

    def on_train_end(self, logs=None):
        self.spent_before += self._now() - self.start

    def _rate(self):
        spent = self.spent_before + self._now() - self.start
        factor = decay_factor(spent / self.seconds, self.warmup_fraction, self.decay, np)
        return self.initial_learning_rate * float(factor)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "seconds": self.seconds,
            "clock": self.clock,
            "resume": self.resume,
            "warmup_fraction": self.warmup_fraction,
            "decay": self.decay,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
