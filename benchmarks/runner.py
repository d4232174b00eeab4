"""Runs named training configurations on one machine, in one process, and writes what they cost.

Each configuration is a function returning a compiled model plus its training recipe; the runner
trains it, records wall time to each target accuracy (checked on validation data after every
epoch), samples per second, peak memory and the final test score, and writes JSON and Markdown.
Benchmarks measure; tests never depend on their timings.
"""

import dataclasses
import json
import math
import os
import pathlib
import resource
import time

import keras

from common.experiment import training
from common.nn import callbacks
from common.report import meta

RESULTS_DIR = pathlib.Path(__file__).parent / "results"


@dataclasses.dataclass(frozen=True)
class Configuration:
    name: str  # Row name, e.g. "keras-io mnist_convnet".
    description: str  # Where the recipe comes from.
    build: callable  # () -> compiled keras.Model.
    epochs: int
    train: object  # tf.data.Dataset, batched.
    validation: object
    test: object
    train_size: int
    seconds: float | None = None  # A wall-time budget: training stops once it is spent.
    callbacks: callable = tuple  # () -> extra callbacks (e.g. a wall-clock schedule).
    extra_scores: callable = (
        None  # model -> {name: value}: more test scores (e.g. with test-time augmentation).
    )


class TimeToTarget(keras.callbacks.Callback):
    """Records the wall time (from the start of fit) at which validation accuracy first reaches
    each target."""

    def __init__(self, targets, monitor="val_accuracy"):
        super().__init__()
        self.targets = tuple(sorted(targets))
        self.monitor = monitor

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()
        self.reached = {target: None for target in self.targets}
        self.curve = []

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self.start
        value = (logs or {}).get(self.monitor)
        if value is None:
            return
        self.curve.append((elapsed, float(value)))
        for target in self.targets:
            if self.reached[target] is None and value >= target:
                self.reached[target] = elapsed


def run_configuration(configuration, targets, seed):
    """Trains one configuration from scratch and returns its measurements."""
    training.set_seed(seed)
    model = configuration.build()
    timer = TimeToTarget(targets)
    limit = TimeLimit(float("inf") if configuration.seconds is None else configuration.seconds)
    fit_callbacks = [timer, limit, *configuration.callbacks()]
    budget = "" if configuration.seconds is None else f", {configuration.seconds:.0f} s budget"
    print(f"\n--- {configuration.name}: {model.count_params():,} parameters{budget}", flush=True)
    start = time.perf_counter()
    model.fit(
        configuration.train,
        validation_data=configuration.validation,
        epochs=configuration.epochs,
        callbacks=fit_callbacks,
        verbose=2,
    )
    train_seconds = time.perf_counter() - start
    epochs = len(timer.curve)  # Epochs run, the last one cut short if the budget ran out.
    samples = samples_seen(configuration, limit.summary()["steps"], epochs)
    test_loss, test_accuracy = model.evaluate(configuration.test, verbose=0)[:2]
    extra = configuration.extra_scores(model) if configuration.extra_scores else {}
    return {
        "name": configuration.name,
        "description": configuration.description,
        "parameters": int(model.count_params()),
        "epochs": epochs,
        "budget_seconds": configuration.seconds,
        "test_accuracy": float(test_accuracy),
        "test_loss": float(test_loss),
        **extra,
        "train_seconds": train_seconds,
        "samples_per_second": samples / train_seconds,
        "seconds_to_target": {f"{target:.3f}": t for target, t in timer.reached.items()},
        "validation_curve": timer.curve,
        "peak_memory_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def samples_seen(configuration, steps, epochs):
    """Training examples processed: by steps when the epoch length is known (a cut-short last
    epoch counts only its steps), else whole epochs (e.g. length-bucketed batches)."""
    steps_per_epoch = int(configuration.train.cardinality())
    if steps_per_epoch > 0:
        return steps * configuration.train_size / steps_per_epoch
    return epochs * configuration.train_size


def ratios(results, reference_name):
    """Time-to-target of every row divided by the reference's (below 1: faster than it)."""
    reference = next(row for row in results if row["name"] == reference_name)
    for row in results:
        row["time_ratio_vs_reference"] = {
            target: (seconds / reference["seconds_to_target"][target])
            if seconds is not None and reference["seconds_to_target"].get(target)
            else None
            for target, seconds in row["seconds_to_target"].items()
        }
    return results


def write(project, results, targets, data_source, config, output_dir=RESULTS_DIR):
    """Writes `<project>.json` (with hardware and versions) and `<project>.md` (a table)."""
    metadata = meta.run_metadata(
        config=config,
        seed=config.get("seed", 0),
        preset="benchmark",
        data_source=data_source,
        wall_time_seconds=sum(r["train_seconds"] for r in results),
    )
    document = {
        "project": project,
        "targets": list(targets),
        "results": results,
        "metadata": metadata,
    }
    markdown = markdown_table(project, results, targets, metadata)
    return write_document(project, document, markdown, output_dir)


def tta_cell(row):
    value = row.get("test_accuracy_with_tta")
    return "—" if value is None else f"{value:.4f}"


def markdown_table(project, results, targets, metadata):
    hardware = metadata.get("hardware", {})
    tta = any("test_accuracy_with_tta" in row for row in results)  # A column if any.
    header = [
        "configuration",
        "params",
        "epochs",
        "test acc",
        *["test acc (TTA)"] * tta,
        "train s",
        "samples/s",
        *[f"s to {t:.0%} val" for t in targets],
        "peak MB",
    ]
    budgets = sorted(
        {row["budget_seconds"] for row in results if row.get("budget_seconds") is not None}
    )
    budget_lines = [
        "Wall-time budget per recipe: "
        + " / ".join(f"{seconds:.0f}" for seconds in budgets)
        + " s (training stops when it is spent; times include validation after every epoch).",
        "",
    ]
    lines = [
        f"# {project} benchmark",
        "",
        f"Machine: {machine(hardware)}; "
        f"data: {metadata.get('data_source', {}).get('location', '?')}",
        "",
        *(budget_lines if budgets else []),
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in results:
        times = [row["seconds_to_target"].get(f"{t:.3f}") for t in targets]
        cells = [
            row["name"],
            f"{row['parameters']:,}",
            str(row["epochs"]),
            f"{row['test_accuracy']:.4f}",
            *[tta_cell(row)] * tta,
            f"{row['train_seconds']:.0f}",
            f"{row['samples_per_second']:.0f}",
            *["—" if t is None else f"{t:.0f}" for t in times],
            f"{row['peak_memory_mb']:.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def usable_cores():
    """Cores this process may run on (its CPU affinity where the OS has one, e.g. Linux; else
    every core), the factor between a CPU-time budget and the wall time it stands for."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class TimeLimit(keras.callbacks.Callback):
    """Stops training once `seconds` have passed on `clock` (checked after every batch), so that
    several recipes can be compared under the same time budget rather than epochs.

    `clock="wall"` counts real time; `clock="process"` counts this process's CPU seconds (all
    threads), a budget that a pause of the machine does not eat. Both are always recorded.

    With `slice_seconds`, each `fit()` call also stops after that much time, and the budget,
    steps and clocks add up across calls until `exhausted`: recipes can then train in turns, one
    slice each (`train_in_turns`), so that a machine whose speed drifts slows them all alike.
    """

    def __init__(self, seconds, clock="wall", slice_seconds=None):
        super().__init__()
        if slice_seconds is not None and not slice_seconds > 0:
            raise ValueError(f"slice_seconds must be > 0. Received: slice_seconds={slice_seconds}")
        self.seconds = float(seconds)
        self.clock = clock
        self.slice_seconds = slice_seconds
        self._now = callbacks.clock_function(clock)
        self._reset()

    def _reset(self):
        self.spent = 0.0  # Seconds of `clock` in finished fit() calls.
        self.train_seconds = 0.0
        self.train_cpu_seconds = 0.0
        self.finished_steps = 0  # Steps of finished epochs.
        self.epoch_steps = 0  # Steps of the epoch in progress.
        self.epochs_started = 0
        self.turns = 0

    @property
    def exhausted(self):
        return self.spent >= self.seconds

    def on_train_begin(self, logs=None):
        if self.slice_seconds is None:
            self._reset()
        self.turns += 1
        self.start = time.perf_counter()
        self.start_cpu = time.process_time()
        self.start_clock = self._now()

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs_started += 1
        self.epoch_steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self.epoch_steps = batch + 1  # `batch` is the last step run (steps_per_execution > 1).
        used = self._now() - self.start_clock
        if self.spent + used >= self.seconds or used >= (self.slice_seconds or math.inf):
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.finished_steps += self.epoch_steps
        self.epoch_steps = 0

    def on_train_end(self, logs=None):
        self.finished_steps += self.epoch_steps  # An epoch cut short without on_epoch_end.
        self.epoch_steps = 0
        self.spent += self._now() - self.start_clock
        self.train_seconds += time.perf_counter() - self.start
        self.train_cpu_seconds += time.process_time() - self.start_cpu

    def summary(self):
        return {
            "budget_seconds": self.seconds,
            "budget_clock": self.clock,
            "train_seconds": self.train_seconds,
            "train_cpu_seconds": self.train_cpu_seconds,
            "steps": self.finished_steps + self.epoch_steps,
            "epochs_started": self.epochs_started,
            "turns": self.turns,
        }


@dataclasses.dataclass
class Contestant:
    """One recipe of a race in turns: its model, training data and `TimeLimit` (with slices)."""

    model: keras.Model
    data: object
    limit: TimeLimit
    callbacks: tuple = ()


def train_in_turns(contestants, verbose=2):
    """Trains each contestant for one slice of its budget, then the next, round after round,
    until every budget is spent. All recipes then see the same machine: a host that slows down
    for ten minutes slows each of them, not only whichever was training at the time."""
    if any(contestant.limit.slice_seconds is None for contestant in contestants):
        raise ValueError("train_in_turns needs TimeLimit(..., slice_seconds=...) for each recipe.")
    while waiting := [contestant for contestant in contestants if not contestant.limit.exhausted]:
        for contestant in waiting:
            contestant.model.fit(
                contestant.data,
                epochs=1_000_000,
                callbacks=[contestant.limit, *contestant.callbacks],
                shuffle=False,
                verbose=verbose,
            )


def machine(hardware):
    """A line like "AMD EPYC (avx2, fma; oneDNN on), 2 cores": the CPU's name alone does not
    say whether it has AVX-512, which changed the speed of the same benchmark several times."""
    extensions = ", ".join(hardware.get("cpu_vector_extensions") or ["?"])
    onednn = {True: "on", False: "off"}.get(hardware.get("onednn"), "?")
    return (
        f"{hardware.get('cpu_model', '?')} ({extensions}; oneDNN {onednn}), "
        f"{hardware.get('logical_cores', '?')} cores"
    )


def write_document(project, document, markdown, output_dir=RESULTS_DIR):
    """Writes `<project>.json` (atomically) and `<project>.md` for any benchmark's own layout."""
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    json_path = output_dir / f"{project}.json"
    temporary = json_path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, indent=2, default=float))
    os.replace(temporary, json_path)
    (output_dir / f"{project}.md").write_text(markdown)
    return json_path
