"""Fashion-MNIST denoising at Gaussian sigma 0.5: our U-Net denoising autoencoder against the
keras-io `autoencoder` recipe, both trained for the same time on the same machine.

The budget is 10 minutes of all cores each in the full preset. It is measured on the process's CPU
clock (`time.process_time`, all threads) as 600 s x the cores this process may use, not on the wall
clock: the virtual machines this is developed on are paused by their host for tens of seconds at
random (measured 2026-12-01: 30 s and longer with both cores idle in the middle of a training run),
and a wall clock charges those pauses to whichever recipe happens to be running. The two recipes do
not use the cores alike (the table's "cores busy" column: 1.48 for both in one run, 1.64 for
keras-io and 1.84 for ours in the runs in turns below), so equal CPU time gave ours 11 % less wall
time there than the reference: the CPU clock does not favour ours. Measured 2026-12-01 with this
clock: keras-io 18.43 dB (60.0 epochs), ours 20.37 dB (16.1 epochs), +1.95 dB (before the
clip-indicator U-Net: +1.87 dB); with the wall clock on 2026-11-30, +1.82 and +1.85 dB at 600 s and
+1.90 dB at 240 s. The published recipe trains for 150 epochs, which would take about 30 minutes per
model on this machine.

The two recipes train in turns (`runner.train_in_turns`), one slice of 60 s x cores of their
budget at a time, instead of one after the other: the CPU time that one step costs changed by 2x
within minutes on a shared host (2026-12-01), and a recipe trained during the slow spell would
lose steps to the host, not to its design. In turns, both see the same spells. Measured so on
2026-12-01 on a slower AVX2-only EPYC with oneDNN on: keras-io 18.22 and 18.16 dB (20.4 and 18.7
epochs), ours 20.15 and 20.11 dB (5.1 and 4.7 epochs), +1.92 and +1.95 dB in two runs; with the
U-Net's learning-rate warm-up, keras-io 18.21 and 18.20 dB, ours 20.18 dB twice: +1.97, +1.98 dB;
with a 10 % warm-up and a linear decay, keras-io 18.17 and 18.21 dB, ours 20.20 and 20.21 dB:
+2.02 and +2.00 dB.

Ours is the project's `unet_denoising` variant as the full preset builds it (batch
`conv_batch_size`, Adam at `unet_learning_rate`, log-MSE loss), except that its learning-rate
warm-up (the first `unet_warmup_fraction`) and decay (`unet_decay`) run over the same CPU-time
budget (common.schedules.WallClockDecay on the process clock) instead of over a number of epochs:
a race against the clock cannot know its step count ahead.

Score: mean test PSNR (`tf.image.psnr`) and SSIM of g(f(n(x))) against the clean x, with n the
Gaussian noise of sigma 0.5 clipped to [0, 1], drawn once with a fixed seed for both models.
"""

import math
import time

import keras
import tensorflow as tf

from benchmarks import runner
from common.data import pipeline
from common.experiment import config as config_lib
from common.experiment import training
from common.nn import schedules
from common.report import meta
from projects.denoising_autoencoder import config as project_config
from projects.denoising_autoencoder import data, evaluate, model, train

BUDGET_SECONDS = {"smoke": 5, "quick": 60, "full": 600}  # Training time of each recipe, x cores.
SLICE_SECONDS = {"smoke": 2, "quick": 15, "full": 60}  # One turn of a recipe, x cores.
CLOCK = "process"  # The budget's clock: CPU seconds of this process (see the docstring).
REFERENCE = "keras-io autoencoder"
OURS = "ours (unet_denoising)"
VARIANT = "unet_denoising"
NOISE_SEED = 7  # The keras-io recipe's fixed noisy copy of the training set.


def keras_io_autoencoder():
    """keras-io examples/vision/autoencoder.py: two conv + pool, two transposed convs, sigmoid."""
    inputs = keras.Input(shape=(28, 28, 1))
    x = keras.layers.Conv2D(32, (3, 3), activation="relu", padding="same")(inputs)
    x = keras.layers.MaxPooling2D((2, 2), padding="same")(x)
    x = keras.layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
    x = keras.layers.MaxPooling2D((2, 2), padding="same")(x)
    x = keras.layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    x = keras.layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
    outputs = keras.layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)
    autoencoder = keras.Model(inputs, outputs)
    autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
    return autoencoder


def keras_io_data(datasets, config):
    """The recipe's data: one fixed noisy copy of the training images, clean targets, batch 128."""
    clean = pipeline.to_float(datasets.train_images)
    noisy = data.corrupt_array(clean, "gaussian", config.noise_sigma, NOISE_SEED)
    batches = tf.data.Dataset.from_tensor_slices((noisy, clean)).cache()
    batches = batches.shuffle(len(clean), seed=config.seed).batch(128)
    return batches.prefetch(tf.data.AUTOTUNE)


def build_ours(unet_config, seconds):
    """unet_denoising as the plan configures it, compiled with a constant base rate, which
    `WallClockDecay` then warms up and anneals over this recipe's own share of the clock
    (`resume`: it trains in turns with the reference)."""
    network = model.build_model(unet_config)
    network.compile(
        optimizer=keras.optimizers.Adam(learning_rate=unet_config.learning_rate),
        loss=train.reconstruction_loss(unet_config),
        metrics=[model.PeakSignalToNoiseRatio()],
        jit_compile=unet_config.jit_compile,
        steps_per_execution=unet_config.steps_per_execution,
    )
    schedule = schedules.WallClockDecay(
        unet_config.learning_rate,
        seconds,
        clock=CLOCK,
        resume=True,
        warmup_fraction=unet_config.warmup_fraction,
        decay=unet_config.decay,
    )
    return network, [schedule]


def contestant(name, build, train_data, seconds, slice_seconds, seed):
    """A recipe ready to race: `build()` -> (model, callbacks), seeded, with its own budget."""
    training.set_seed(seed)
    network, extra_callbacks = build()
    limit = runner.TimeLimit(seconds, clock=CLOCK, slice_seconds=slice_seconds)
    print(f"--- {name}: {network.count_params():,} parameters, {seconds:.0f} s", flush=True)
    return runner.Contestant(network, train_data, limit, tuple(extra_callbacks))


def scored(name, description, racer, batch_size, datasets, config):
    """The result row of a trained recipe: its clocks and steps, then PSNR and SSIM on the noisy
    test set (the same noise for every recipe)."""
    noisy = datasets.noisy_test_images("gaussian", config.noise_sigma)
    reconstructed = evaluate.reconstruct(racer.model, noisy)
    quality = evaluate.image_quality(datasets.test_images, reconstructed)
    timing = racer.limit.summary()
    return {
        "name": name,
        "description": description,
        "parameters": int(racer.model.count_params()),
        **timing,
        "batch_size": batch_size,
        "samples_per_second": timing["steps"] * batch_size / timing["train_seconds"],
        "samples_per_cpu_second": timing["steps"] * batch_size / timing["train_cpu_seconds"],
        "cores_busy": timing["train_cpu_seconds"] / timing["train_seconds"],
        "epochs_equivalent": timing["steps"] / math.ceil(datasets.train_size / batch_size),
        "test_psnr": quality["psnr"],
        "test_ssim": quality["ssim"],
    }


def run(preset="full", data_dir=None, seed=0):
    config = config_lib.from_preset(
        project_config.Config, preset, data_dir=data_dir, seed=seed, train_limit=None
    )
    datasets = data.load_datasets(config)
    cores = runner.usable_cores()
    scale = cores if CLOCK == "process" else 1
    seconds, slice_seconds = BUDGET_SECONDS[preset] * scale, SLICE_SECONDS[preset] * scale
    unet_config = train.variant_config(config, VARIANT)
    our_batches, our_batch_size = datasets.train(unet_config), unet_config.batch_size
    start = time.perf_counter()
    reference = contestant(
        REFERENCE,
        lambda: (keras_io_autoencoder(), []),
        keras_io_data(datasets, config),
        seconds,
        slice_seconds,
        config.seed,
    )
    ours = contestant(
        OURS,
        lambda: build_ours(unet_config, seconds),
        our_batches,
        seconds,
        slice_seconds,
        config.seed,
    )
    runner.train_in_turns([reference, ours])
    results = [
        scored(
            REFERENCE,
            "keras-io examples/vision/autoencoder.py (Adam, binary cross-entropy, batch 128)",
            reference,
            128,
            datasets,
            config,
        ),
        scored(
            OURS,
            f"projects/denoising_autoencoder {VARIANT}, {preset} preset, learning rate annealed "
            "over the time budget",
            ours,
            our_batch_size,
            datasets,
            config,
        ),
    ]
    noisy_input = evaluate.noise_curve(None, datasets, (config.noise_sigma,))[0]
    gain = results[1]["test_psnr"] - results[0]["test_psnr"]
    metadata = meta.run_metadata(
        config=config_lib.to_dict(config),
        seed=seed,
        preset=f"benchmark-{preset}",
        data_source=datasets.source.as_dict(),
        wall_time_seconds=time.perf_counter() - start,
    )
    document = {
        "project": "denoising_autoencoder",
        "task": f"denoise Gaussian noise sigma {config.noise_sigma} (clipped), test PSNR",
        "budget_seconds_each": seconds,
        "budget_clock": CLOCK,
        "slice_seconds": slice_seconds,
        "cores": cores,
        "noisy_input_psnr": noisy_input,
        "psnr_gain_over_reference_db": gain,
        "target_gain_db": 2.0,
        "results": results,
        "metadata": metadata,
    }
    markdown = markdown_table(document, metadata)
    return runner.write_document("denoising_autoencoder", document, markdown)


def markdown_table(document, metadata):
    hardware = metadata.get("hardware", {})
    header = ["configuration", "params", "batch", "CPU s", "wall s", "cores busy", "steps"]
    header += ["epochs", "samples/CPU s", "test PSNR (dB)", "test SSIM"]
    clock = document.get("budget_clock", "wall")
    budget = (
        f"{document['budget_seconds_each']:.0f} CPU seconds of this process "
        f"({document['budget_seconds_each'] / document['cores']:.0f} s x {document['cores']} "
        "cores; a clock that the machine's pauses do not advance)"
        if clock == "process"
        else f"{document['budget_seconds_each']:.0f} s of wall time"
    )
    turns = (
        f", in turns of {document['slice_seconds']:.0f} s with the other recipe"
        if document.get("slice_seconds")
        else ""
    )
    lines = [
        "# denoising_autoencoder benchmark",
        "",
        f"{document['task']}; each recipe trains for {budget}{turns}. "
        f"Machine: {runner.machine(hardware)}; "
        f"data: {metadata.get('data_source', {}).get('location', '?')}; "
        f"preset {metadata['preset']}.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in document["results"]:
        cells = [
            row["name"],
            f"{row['parameters']:,}",
            str(row["batch_size"]),
            f"{row['train_cpu_seconds']:.0f}",
            f"{row['train_seconds']:.0f}",
            f"{row['cores_busy']:.2f}",
            f"{row['steps']:,}",
            f"{row['epochs_equivalent']:.1f}",
            f"{row['samples_per_cpu_second']:.0f}",
            f"{row['test_psnr']:.2f}",
            f"{row['test_ssim']:.3f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    gain, target = document["psnr_gain_over_reference_db"], document["target_gain_db"]
    lines += [
        "",
        f"Noisy input PSNR: {document['noisy_input_psnr']:.2f} dB. Gain of ours over the "
        f"reference: {gain:+.2f} dB (target: >= {target:+.1f} dB): "
        f"{'met' if gain >= target else 'NOT met'}.",
    ]
    return "\n".join(lines) + "\n"
