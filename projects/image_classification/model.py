"""A small CNN whose hidden units can be swapped: ReLU, its generalizations, or maxout.

Every hidden layer is an affine map followed by a fixed nonlinearity g (book Section 6.3). The
variants differ only in g, so their comparison isolates what the choice of hidden unit buys.
"""

import dataclasses

import keras

from common import layers
from projects.image_classification import config as config_lib

NUM_CLASSES = 10


def hidden_unit(name, units, maxout_pieces, layer_name):
    """Returns `(pieces, layer)`: the layer before it must output `pieces` x `units` features."""
    if name == "relu":
        return 1, keras.layers.ReLU(name=layer_name)
    if name == "leaky_relu":
        return 1, layers.ModulatedReLU(alpha=0.01, name=layer_name)
    if name == "abs_relu":
        return 1, layers.ModulatedReLU(alpha=-1.0, name=layer_name)
    if name == "prelu":
        return 1, layers.ModulatedReLU(alpha=0.25, trainable_alpha=True, name=layer_name)
    if name == "maxout":
        return maxout_pieces, layers.Maxout(num_units=units, name=layer_name)
    raise ValueError(f"Unknown hidden unit {name!r}; choose from {config_lib.HIDDEN_UNIT_NAMES}.")


def activate(x, units, config, hidden, layer_name, make_affine):
    """affine (units x pieces features) -> batch norm -> hidden unit (units features)."""
    pieces, unit = hidden_unit(hidden, units, config.maxout_pieces, layer_name)
    x = make_affine(units * pieces)(x)
    x = keras.layers.BatchNormalization(
        momentum=config.batch_norm_momentum, name=f"{layer_name}_norm"
    )(x)
    return unit(x)


def conv_block(x, filters, config, hidden, index):
    """3x3 convolutions and a 2x2 max pooling: the detector and pooling stages (Section 9.3)."""
    for position in range(1, config.convs_per_block + 1):
        name = f"block{index}_conv{position}"

        def make_affine(features, name=name):
            return keras.layers.Conv2D(features, 3, padding="same", use_bias=False, name=name)

        x = activate(x, filters, config, hidden, f"{name}_{hidden}", make_affine)
    x = keras.layers.MaxPooling2D(2, name=f"block{index}_pool")(x)
    return keras.layers.Dropout(config.dropout_rate / 2, name=f"block{index}_dropout")(x)


def build_model(config, hidden="relu", steps_per_epoch=None):
    """The CNN for Fashion-MNIST with `hidden` units, compiled with Adam and cosine decay."""
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = keras.layers.Rescaling(1.0 / 255, name="rescale")(inputs)
    x = conv_block(x, config.filters, config, hidden, index=1)
    x = conv_block(x, config.filters * 2, config, hidden, index=2)
    x = keras.layers.Flatten(name="flatten")(x)

    def make_dense(features):
        return keras.layers.Dense(features, use_bias=False, name="dense")

    x = activate(x, config.dense_units, config, hidden, f"dense_{hidden}", make_dense)
    x = keras.layers.Dropout(config.dropout_rate, name="dense_dropout")(x)
    outputs = keras.layers.Dense(NUM_CLASSES, activation="softmax", name="class_probabilities")(x)
    model = keras.Model(inputs, outputs, name=f"cnn_{hidden}")
    compile_model(model, config, steps_per_epoch or 54_000 // config.batch_size)
    return model


def compile_model(model, config, steps_per_epoch):
    """Adam with a cosine learning-rate decay; sparse categorical cross-entropy (Section 6.2.2)."""
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=max(1, config.epochs * steps_per_epoch)
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=config.jit_compile,
    )


def build_hypermodel(config, steps_per_epoch=None):
    """Keras Tuner's `build(hp)`: it only samples values and calls `build_model`."""

    def build(hp):
        sampled = dict(
            hidden_units=(hp.Choice("hidden_unit", list(config_lib.HIDDEN_UNIT_NAMES)),),
            filters=hp.Choice("filters", [16, 32, 48]),
            dense_units=hp.Choice("dense_units", [64, 128, 256]),
            dropout_rate=hp.Float("dropout_rate", 0.0, 0.5, step=0.1),
            learning_rate=hp.Float("learning_rate", 3e-4, 3e-3, sampling="log"),
        )
        trial_config = dataclasses.replace(config, **sampled)
        return build_model(trial_config, sampled["hidden_units"][0], steps_per_epoch)

    return build
