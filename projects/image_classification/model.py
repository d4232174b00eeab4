"""Every network of the project, built from a `plan.Spec`, and how it is compiled.

`build_model(config, spec)` stacks the stages of blocks.py (plain or residual CNN), or one
feature layer of the parameter-sharing comparison, then a softmax classifier; a multi-task spec
adds a second head for the coarse group (book Section 7.7). Images stay uint8 until the model's
`Rescaling` layer, so every pipeline feeds the same input.
"""

import dataclasses

import keras

from common.nn import losses
from projects.image_classification import blocks, plan
from projects.image_classification import config as config_lib

NUM_CLASSES = 10
IMAGE_SHAPES = {"fashion_mnist": (28, 28, 1), "cifar10": (32, 32, 3)}
# Coarse groups for the multi-task head: class index -> group index, and the group names.
COARSE_GROUPS = {
    "fashion_mnist": ((0, 1, 0, 0, 0, 2, 0, 2, 3, 2), ("tops", "bottoms", "footwear", "bags")),
    "cifar10": ((0, 0, 1, 1, 1, 1, 1, 1, 0, 0), ("vehicles", "animals")),
}
# The learning rate each optimizer gets in the ablation (each its usual scale; Chapter 8).
OPTIMIZER_LEARNING_RATES = {
    "sgd": 0.05,
    "momentum": 0.01,
    "nesterov": 0.01,
    "adagrad": 0.05,
    "rmsprop": 1e-3,
    "adam": 2e-3,
}


def build_model(config, spec=None, steps_per_epoch=None, hidden=None):
    """The compiled network for `spec` (default: the headline); `hidden` swaps its unit."""
    spec = spec or plan.headline_spec(config)
    if hidden is not None:
        spec = dataclasses.replace(spec, hidden_unit=hidden)
    inputs = keras.Input(shape=IMAGE_SHAPES[config.dataset], name="image")
    x = keras.layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    if spec.layer == "stages":
        for index, (width, count) in enumerate(
            zip(spec.widths, spec.residual_blocks, strict=True), 1
        ):
            x = blocks.stage(x, width, spec, config, index, count)
    else:
        x = blocks.sharing_layer(x, spec.widths[0], spec, config)
    x = blocks.head_features(x, spec, config)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="class")(x)
    if spec.multitask:
        names = COARSE_GROUPS[config.dataset][1]
        group = keras.layers.Dense(len(names), activation="softmax", name="group")(x)
        outputs = {"class": outputs, "group": group}
    model = keras.Model(inputs, outputs, name=f"cnn_{spec.architecture}_{spec.hidden_unit}")
    epochs = config.epochs if spec.headline else config.ablation_epochs
    compile_model(model, config, spec, epochs, steps_per_epoch or 400)
    return model


def learning_rate(config, spec):
    """The headline uses the config's rate; ablation rows use their optimizer's usual one."""
    return config.learning_rate if spec.headline else OPTIMIZER_LEARNING_RATES[spec.optimizer]


def schedule(config, peak, epochs, steps_per_epoch):
    """A linear warm-up from peak / 10, then a cosine decay to zero (one-cycle-like), or flat."""
    if config.schedule == "constant":
        return peak
    total_steps = epochs * steps_per_epoch
    warmup = min(int(config.warmup_epochs * steps_per_epoch), total_steps - 1)
    return keras.optimizers.schedules.CosineDecay(
        peak / 10 if warmup else peak,
        decay_steps=max(1, total_steps - warmup),
        warmup_target=peak if warmup else None,
        warmup_steps=warmup,
    )


def make_optimizer(name, rate):
    """SGD (8.3.1), momentum and Nesterov (8.3.2-3), AdaGrad (8.5.1), RMSProp (8.5.2), Adam."""
    if name == "sgd":
        return keras.optimizers.SGD(rate)
    if name in ("momentum", "nesterov"):
        return keras.optimizers.SGD(rate, momentum=0.9, nesterov=name == "nesterov")
    if name == "adagrad":
        return keras.optimizers.Adagrad(rate)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(rate)
    if name == "adam":
        return keras.optimizers.Adam(rate)
    raise ValueError(f"Unknown optimizer {name!r}; choose from {config_lib.OPTIMIZERS}.")


def compile_model(model, config, spec, epochs, steps_per_epoch):
    """Cross-entropy (label-smoothed for the headline) with the spec's optimizer and schedule."""
    rate = schedule(config, learning_rate(config, spec), epochs, steps_per_epoch)
    smoothing = config.label_smoothing if spec.headline else 0.0
    loss = losses.SmoothedSparseCrossentropy(smoothing)
    metrics = ["accuracy"]
    if spec.multitask:
        loss = {"class": loss, "group": losses.SmoothedSparseCrossentropy(smoothing)}
        metrics = {"class": ["accuracy"], "group": ["accuracy"]}
    model.compile(
        optimizer=make_optimizer(spec.optimizer, rate),
        loss=loss,
        metrics=metrics,
        jit_compile=config.jit_compile,
    )


def build_hypermodel(config, steps_per_epoch=None):
    """Keras Tuner's `build(hp)`: it only samples values and calls `build_model`."""

    def build(hp):
        depth = hp.Int("stages", 2, 3)
        width = hp.Choice("width", [16, 32, 48])
        sampled = dict(
            widths=tuple(width * 2**stage for stage in range(depth)),
            residual_blocks=(1,) + (0,) * (depth - 1),
            hidden_unit=hp.Choice("hidden_unit", list(config_lib.HIDDEN_UNIT_NAMES)),
            dropout_rate=hp.Float("dropout_rate", 0.0, 0.5, step=0.1),
            learning_rate=hp.Float("learning_rate", 3e-4, 3e-2, sampling="log"),
            optimizer=hp.Choice("optimizer", ["adam", "nesterov", "rmsprop"]),
        )
        trial_config = dataclasses.replace(config, **sampled)
        return build_model(trial_config, plan.headline_spec(trial_config), steps_per_epoch)

    return build
