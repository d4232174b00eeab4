"""Fashion-MNIST denoising at Gaussian sigma 0.5: our convolutional denoising autoencoder against
the keras-io `autoencoder` recipe, both trained for the same wall time on the same machine.

Score: mean test PSNR (`tf.image.psnr`) and SSIM of g(f(n(x))) against the clean x, with n the
Gaussian noise of sigma 0.5 clipped to [0, 1], drawn once with a fixed seed for both models.
"""

import dataclasses
import math
import time

import keras
import tensorflow as tf

from benchmarks import runner
from common import config as config_lib
from common import report as report_lib
from common import training
from projects.denoising_autoencoder import config as project_config
from projects.denoising_autoencoder import data, evaluate, model

BUDGET_SECONDS = {"smoke": 5, "quick": 60, "full": 240}  # Training wall time of each recipe.
REFERENCE = "keras-io autoencoder"
OURS = "ours (conv_denoising)"
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
    clean = data.to_float(datasets.train_images)
    noisy = data.corrupt_array(clean, "gaussian", config.noise_sigma, NOISE_SEED)
    pipeline = tf.data.Dataset.from_tensor_slices((noisy, clean)).cache()
    pipeline = pipeline.shuffle(len(clean), seed=config.seed).batch(128)
    return pipeline.prefetch(tf.data.AUTOTUNE)


def train_for(name, description, build, train_data, train_size, seconds, datasets, config):
    """Trains `build()` for `seconds` of wall time, then scores it once on the noisy test set."""
    training.set_seed(config.seed)
    network = build()
    limit = runner.TimeLimit(seconds)
    print(f"\n--- {name}: {network.count_params():,} parameters, {seconds:.0f} s", flush=True)
    network.fit(train_data, epochs=10_000, callbacks=[limit], shuffle=False, verbose=2)
    noisy = datasets.noisy_test_images("gaussian", config.noise_sigma)
    quality = evaluate.image_quality(datasets.test_images, evaluate.reconstruct(network, noisy))
    timing = limit.summary()
    return {
        "name": name,
        "description": description,
        "parameters": int(network.count_params()),
        **timing,
        "samples_per_second": timing["steps"] * config.batch_size / timing["train_seconds"],
        "epochs_equivalent": timing["steps"] / math.ceil(train_size / config.batch_size),
        "test_psnr": quality["psnr"],
        "test_ssim": quality["ssim"],
    }


def run(preset="full", data_dir=None, seed=0):
    config = config_lib.from_preset(
        project_config.Config, preset, data_dir=data_dir, seed=seed, train_limit=None
    )
    config = dataclasses.replace(config, batch_size=128)  # The recipe's batch size, for both.
    datasets = data.load_datasets(config)
    seconds = BUDGET_SECONDS[preset]
    steps = math.ceil(datasets.train_size / config.batch_size)
    start = time.perf_counter()
    results = [
        train_for(
            REFERENCE,
            "keras-io examples/vision/autoencoder.py (Adam, binary cross-entropy, batch 128)",
            keras_io_autoencoder,
            keras_io_data(datasets, config),
            datasets.train_size,
            seconds,
            datasets,
            config,
        ),
        train_for(
            OURS,
            f"projects/denoising_autoencoder conv_denoising, {preset} preset",
            lambda: model.build_model(config, "conv_denoising", datasets.image_shape, steps),
            datasets.train,
            datasets.train_size,
            seconds,
            datasets,
            config,
        ),
    ]
    noisy_input = evaluate.noise_curve(None, datasets, (config.noise_sigma,))[0]
    gain = results[1]["test_psnr"] - results[0]["test_psnr"]
    metadata = report_lib.run_metadata(
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
    header = ["configuration", "params", "train s", "steps", "epochs", "samples/s"]
    header += ["test PSNR (dB)", "test SSIM"]
    lines = [
        "# denoising_autoencoder benchmark",
        "",
        f"{document['task']}; each recipe trains for {document['budget_seconds_each']} s of wall "
        f"time. Machine: {hardware.get('cpu_model', '?')}, {hardware.get('logical_cores', '?')} "
        f"cores; data: {metadata.get('data_source', {}).get('location', '?')}; "
        f"preset {metadata['preset']}.",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for row in document["results"]:
        cells = [
            row["name"],
            f"{row['parameters']:,}",
            f"{row['train_seconds']:.0f}",
            f"{row['steps']:,}",
            f"{row['epochs_equivalent']:.1f}",
            f"{row['samples_per_second']:.0f}",
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
