"""Fashion-MNIST: our CNN against the keras-io `mnist_convnet` recipe, same machine, one run."""

import dataclasses
import math

import keras

from benchmarks import runner
from common import config as config_lib
from projects.image_classification import config as project_config
from projects.image_classification import data, model

TARGETS = (0.90, 0.92, 0.93)
REFERENCE = "keras-io mnist_convnet"


def keras_io_mnist_convnet():
    """keras-io examples/vision/mnist_convnet.py: two conv blocks, dropout 0.5, Adam, batch 128."""
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28, 1)),
            keras.layers.Rescaling(1.0 / 255),
            keras.layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
            keras.layers.MaxPooling2D(pool_size=(2, 2)),
            keras.layers.Flatten(),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def configurations(preset, data_dir=None):
    """The rows of the benchmark: the reference recipe, then ours (first hidden unit)."""
    config = config_lib.from_preset(project_config.Config, preset, data_dir=data_dir)
    plain = dataclasses.replace(config, augment=False)
    ours = data.load_datasets(config)
    reference = data.load_datasets(dataclasses.replace(plain, batch_size=128))
    steps = math.ceil(ours.train_size / config.batch_size)
    rows = [
        runner.Configuration(
            REFERENCE,
            "keras-io mnist_convnet recipe (15 epochs, Adam, batch 128)",
            keras_io_mnist_convnet,
            15 if preset == "full" else config.epochs,
            reference.train,
            reference.validation,
            reference.test,
            reference.train_size,
        )
    ]
    for hidden in config.hidden_units[:1]:  # The report compares units; this measures cost.
        rows.append(
            runner.Configuration(
                f"ours ({hidden})",
                f"projects/image_classification, {preset} preset",
                lambda hidden=hidden: model.build_model(config, hidden, steps),
                config.epochs,
                ours.train,
                ours.validation,
                ours.test,
                ours.train_size,
            )
        )
    return config, ours.source, rows


def run(preset="full", data_dir=None, seed=0):
    config, source, rows = configurations(preset, data_dir)
    results = [runner.run_configuration(row, TARGETS, seed) for row in rows]
    results = runner.ratios(results, REFERENCE)
    return runner.write(
        "image_classification", results, TARGETS, source.as_dict(), config_lib.to_dict(config)
    )
