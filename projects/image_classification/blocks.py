"""The pieces every network of the project is built from, each switched by a field of its config.

A hidden layer is an affine map (convolution or dense), optional batch normalization, then a
nonlinearity g (book Section 6.3). A stage is one such convolution followed by downsampling
(Section 9.3), then optional extra blocks: two more convolutions, added to their input in a
residual network (f(x) + x) or not in a plain one of the same depth.
"""

import keras

from common.nn import convolution, layers


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
    raise ValueError(f"Unknown hidden unit {name!r}.")


def penalty(config):
    """The parameter norm penalty on every kernel (Section 7.1): lambda ||w||_2^2 or ||w||_1."""
    if config.penalty == "none" or config.penalty_weight == 0:
        return None
    if config.penalty == "l2":
        return keras.regularizers.L2(config.penalty_weight)
    if config.penalty == "l1":
        return keras.regularizers.L1(config.penalty_weight)
    return None


def activate(x, units, config, name, make_affine):
    """affine (units x pieces features) -> batch norm (Section 8.7.1) -> hidden unit."""
    pieces, unit = hidden_unit(config.hidden_unit, units, config.maxout_pieces, f"{name}_unit")
    x = make_affine(units * pieces)(x)
    if config.batch_norm:
        x = keras.layers.BatchNormalization(momentum=config.batch_norm_momentum, name=f"{name}_bn")(
            x
        )
    return unit(x)


def conv_unit(x, filters, config, name, strides=1, padding="same"):
    """A 3x3 convolution (no bias when batch norm follows) and its hidden unit."""

    def make_affine(features):
        return keras.layers.Conv2D(
            features,
            3,
            strides=strides,
            padding=padding,
            use_bias=not config.batch_norm,
            kernel_regularizer=penalty(config),
            name=name,
        )

    return activate(x, filters, config, name, make_affine)


def extra_block(x, filters, config, name):
    """Two more convolutions; the residual network adds the block's input back: f(x) + x."""
    shortcut = x
    x = conv_unit(x, filters, config, f"{name}_conv1")
    x = conv_unit(x, filters, config, f"{name}_conv2")
    if config.architecture == "residual":
        x = keras.layers.Add(name=f"{name}_add")([x, shortcut])
    return x


def stage(x, filters, config, index, blocks):
    """Convolution + downsampling (max pooling, or the convolution's own stride 2), then blocks."""
    name = f"stage{index}"
    if config.downsample == "strided":
        x = conv_unit(x, filters, config, f"{name}_conv", strides=2, padding=config.padding)
    else:
        x = conv_unit(x, filters, config, f"{name}_conv", padding=config.padding)
        x = keras.layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    for block in range(1, blocks + 1):
        x = extra_block(x, filters, config, f"{name}_block{block}")
    return x


def sharing_layer(x, filters, config):
    """One feature layer three ways, same output shape (Sections 7.9, 9.5): a convolution (one
    kernel everywhere), a tiled convolution (2x2 kernel sets cycled), or a dense layer (a weight
    per input pixel and output unit, no sharing at all). Each is followed by 2x2 max pooling."""
    height, width = x.shape[1] // 2, x.shape[2] // 2
    if config.layer == "dense":

        def make_affine(features):
            return keras.layers.Dense(
                features, kernel_regularizer=penalty(config), name="dense_map"
            )

        flat = keras.layers.Flatten(name="pixels")(x)
        x = activate(flat, height * width * filters, config, "dense_map", make_affine)
        return keras.layers.Reshape((height, width, filters), name="as_maps")(x)
    if config.layer == "tiled":

        def make_affine(features):
            return convolution.TiledConv2D(
                features,
                3,
                tile_size=(2, 2),
                padding="same",
                kernel_regularizer=penalty(config),
                name="tiled_conv",
            )

        x = activate(x, filters, config, "tiled_conv", make_affine)
    else:
        x = conv_unit(x, filters, config, "conv")
    return keras.layers.MaxPooling2D(2, name="pool")(x)


def head_features(x, config):
    """Flatten -> hidden dense layer, or global max pooling; then dropout (Section 7.12)."""
    if config.dense_units > 0:
        x = keras.layers.Flatten(name="flatten")(x)

        def make_affine(features):
            return keras.layers.Dense(
                features,
                use_bias=not config.batch_norm,
                kernel_regularizer=penalty(config),
                name="fc",
            )

        x = activate(x, config.dense_units, config, "fc", make_affine)
    else:
        x = keras.layers.GlobalMaxPooling2D(name="global_pool")(x)
    if config.dropout_rate > 0:
        x = keras.layers.Dropout(config.dropout_rate, name="dropout")(x)
    return x
