"""Every network of the project, built from its config alone.

`build_model(config)` stacks the stages of blocks.py (plain or residual CNN), or one feature
layer of the parameter-sharing comparison, then a softmax classifier; a multi-task config adds
a second head for the coarse group (book Section 7.7). Images stay uint8 until the model's
`Rescaling` layer, so every pipeline feeds the same input. How it is compiled and fitted is
train.py's business.
"""

import dataclasses

import keras

from projects.image_classification import blocks, data
from projects.image_classification import config as config_lib

NUM_CLASSES = 10


def build_model(config):
    """The network `config` describes: images -> 10 class probabilities (and group ones)."""
    inputs = keras.Input(shape=data.IMAGE_SHAPES[config.dataset], name="image")
    x = keras.layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    if config.layer == "stages":
        stages = zip(config.widths, config.residual_blocks, strict=True)
        for index, (width, count) in enumerate(stages, 1):
            x = blocks.stage(x, width, config, index, count)
    else:
        x = blocks.sharing_layer(x, config.widths[0], config)
    x = blocks.head_features(x, config)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="class")(x)
    if config.multitask:
        names = data.COARSE_GROUPS[config.dataset][1]
        group = keras.layers.Dense(len(names), activation="softmax", name="group")(x)
        outputs = {"class": outputs, "group": group}
    return keras.Model(inputs, outputs, name=f"cnn_{config.architecture}_{config.hidden_unit}")


def make_optimizer(name, learning_rate):
    """SGD (8.3.1), momentum and Nesterov (8.3.2-3), AdaGrad (8.5.1), RMSProp (8.5.2), Adam."""
    if name == "sgd":
        return keras.optimizers.SGD(learning_rate)
    if name in ("momentum", "nesterov"):
        return keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=name == "nesterov")
    if name == "adagrad":
        return keras.optimizers.Adagrad(learning_rate)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate)
    if name == "adam":
        return keras.optimizers.Adam(learning_rate)
    raise ValueError(f"Unknown optimizer {name!r}; choose from {config_lib.OPTIMIZERS}.")


def hyperparameters(hp, config):
    """Keras Tuner's search space: depth, width, hidden unit, dropout, learning rate and
    optimizer, sampled into a config of the headline model (`build_model` builds it)."""
    depth = hp.Int("stages", 2, 3)
    width = hp.Choice("width", [16, 32, 48])
    return dataclasses.replace(
        config,
        widths=tuple(width * 2**stage for stage in range(depth)),
        residual_blocks=(1,) + (0,) * (depth - 1),
        hidden_unit=hp.Choice("hidden_unit", list(config_lib.HIDDEN_UNIT_NAMES)),
        dropout_rate=hp.Float("dropout_rate", 0.0, 0.5, step=0.1),
        learning_rate=hp.Float("learning_rate", 3e-4, 3e-2, sampling="log"),
        optimizer=hp.Choice("optimizer", ["adam", "nesterov", "rmsprop"]),
    )
