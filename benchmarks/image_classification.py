"""Our headline CNN against a keras-io recipe on each data set, same machine, one run each.

Fashion-MNIST: the keras-io `mnist_convnet` example. CIFAR-10: the from-scratch CNN of the
Keras examples (`cifar10_cnn.py`: two conv-conv-pool blocks, dropout, a 512-unit dense layer,
RMSprop at 1e-4, batch 32, flips and shifts). Times to each validation target and their ratios
to the reference go to one results file per suite (below), `benchmarks/results/
image_classification{,_cifar10,_cifar10_30min}.{json,md}`. The runner scores the test set with
`model.evaluate`; on CIFAR-10 our row also reports the accuracy with the project's test-time
augmentation (`evaluate.test_once`: 6 views, mirror x shifts), in its own column.

On CIFAR-10 the full preset races the clock instead of counting epochs: each recipe gets the same
wall-time budget (10 minutes, the issue's first target), and ours anneals its learning rate over
that budget (common.schedules.WallClockDecay) so it ends at a low rate whatever the speed.
A third suite gives a wider version of our network 30 minutes (the second target), alone.

`python -m benchmarks image_classification` runs every suite (about 50 minutes on 2 cores:
Fashion-MNIST ~7, CIFAR-10 2 x 10, then 30); `run(suites=("cifar10",))` runs one.
"""

import dataclasses
import math
import types

import keras

from benchmarks import runner
from common.experiment import config as config_lib
from common.nn import schedules
from projects.image_classification import config as project_config
from projects.image_classification import data, evaluate, model, train

TARGETS = {"fashion_mnist": (0.90, 0.92, 0.93), "cifar10": (0.70, 0.80, 0.87, 0.90)}
REFERENCES = {"fashion_mnist": "keras-io mnist_convnet", "cifar10": "keras-io cifar10_cnn"}
MAX_BUDGET_EPOCHS = 1000  # Epoch cap of a budgeted run: the clock stops it first.


@dataclasses.dataclass(frozen=True)
class Suite:
    """One results file: a data set, a wall-time budget per recipe in the full preset (None:
    train for the recipes' epochs), changes to our headline config, and whether the keras-io
    reference runs beside it."""

    dataset: str
    result_name: str
    seconds: float | None = None
    overrides: tuple = ()  # (field, value) pairs applied to our config.
    with_reference: bool = True


SUITES = {
    "fashion_mnist": Suite("fashion_mnist", "image_classification"),
    "cifar10": Suite("cifar10", "image_classification_cifar10", seconds=600),
    "cifar10_30min": Suite(
        "cifar10",
        "image_classification_cifar10_30min",
        seconds=1800,
        overrides=(("widths", (64, 128, 256)), ("residual_blocks", (1, 0, 1))),
        with_reference=False,
    ),
}


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


def keras_io_cifar10_cnn():
    """Keras examples/cifar10_cnn.py: [conv32 x2, pool, dropout .25], [conv64 x2, pool, dropout
    .25], dense 512, dropout .5; RMSprop(1e-4), batch 32 (trained with flips and shifts)."""
    layers = keras.layers
    model = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Rescaling(1.0 / 255)])
    for filters in (32, 64):
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
        model.add(layers.Conv2D(filters, 3, activation="relu"))
        model.add(layers.MaxPooling2D(2))
        model.add(layers.Dropout(0.25))
    for layer in (layers.Flatten(), layers.Dense(512, activation="relu"), layers.Dropout(0.5)):
        model.add(layer)
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-4),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


REFERENCE_RECIPES = {
    "fashion_mnist": (keras_io_mnist_convnet, 128, 15, False),  # build, batch, epochs, augment
    "cifar10": (keras_io_cifar10_cnn, 32, 50, True),
}


def configurations(preset, data_dir=None, suite=SUITES["fashion_mnist"]):
    """The rows of one suite: the reference recipe (if it has one), then our headline model."""
    dataset = suite.dataset
    config = config_lib.from_preset(
        project_config.Config,
        preset,
        data_dir=data_dir,
        dataset=dataset,
        ablations=(),
        **dict(suite.overrides),
    )
    build, batch_size, full_epochs, augment = REFERENCE_RECIPES[dataset]
    ours = data.load_datasets(config)
    seconds = suite.seconds if preset == "full" else None
    if seconds:
        full_epochs = MAX_BUDGET_EPOCHS
    build_ours, make_callbacks, our_epochs = headline_recipe(config, ours.train_size, seconds)
    widths = "-".join(str(width) for width in config.widths)
    changed = f", widths {widths}" if suite.overrides else ""
    rows = [
        runner.Configuration(
            f"ours ({config.architecture}, {config.hidden_unit}{changed})",
            f"projects/image_classification headline model, {preset} preset",
            build_ours,
            our_epochs,
            ours.train(config),
            ours.validation(config),
            ours.test(config),
            ours.train_size,
            seconds=seconds,
            callbacks=make_callbacks,
            extra_scores=tta_scores(config, ours),
        ),
    ]
    if not suite.with_reference:
        return config, ours.source, rows
    reference_config = dataclasses.replace(config, batch_size=batch_size, augment=augment)
    reference = data.load_datasets(reference_config)
    rows.insert(
        0,
        runner.Configuration(
            REFERENCES[dataset],
            f"{REFERENCES[dataset]} recipe ({full_epochs} epochs, batch {batch_size})",
            build,
            full_epochs if preset == "full" else config.epochs,
            reference.train(reference_config),
            reference.validation(reference_config),
            reference.test(reference_config),
            reference.train_size,
            seconds=seconds,
        ),
    )
    return config, ours.source, rows


def tta_scores(config, datasets):
    """Our test accuracy with test-time augmentation, where the project uses it (CIFAR-10)."""
    if not config.uses_test_time_augmentation():
        return None

    def score(trained):
        evaluation = evaluate.test_once(trained, datasets, config)
        return {"test_accuracy_with_tta": evaluation["accuracy"]}

    return score


def headline_recipe(config, train_size, seconds):
    """(build, callbacks, epochs) of our headline: its step-based schedule over its epochs, or,
    under a budget, a constant compiled rate that `WallClockDecay` anneals over the clock."""
    steps = types.SimpleNamespace(
        steps_per_epoch=lambda _: math.ceil(train_size / config.batch_size)
    )

    def compiled(model_config):
        network = model.build_model(model_config)
        train.compile_model(network, model_config, steps)
        return network

    if not seconds:
        return lambda: compiled(config), tuple, config.epochs
    constant = dataclasses.replace(config, schedule="constant")
    return (
        lambda: compiled(constant),
        lambda: [schedules.WallClockDecay(config.learning_rate, seconds)],
        MAX_BUDGET_EPOCHS,
    )


def run(preset="full", data_dir=None, seed=0, suites=tuple(SUITES)):
    """Runs each named suite in turn; returns the path of the last JSON written."""
    path = None
    for name in suites:
        suite = SUITES[name]
        config, source, rows = configurations(preset, data_dir, suite)
        targets = TARGETS[suite.dataset]
        results = [runner.run_configuration(row, targets, seed) for row in rows]
        if suite.with_reference:
            results = runner.ratios(results, REFERENCES[suite.dataset])
        path = runner.write(
            suite.result_name,
            results,
            targets,
            source.as_dict(),
            config_lib.to_dict(config),
        )
    return path
