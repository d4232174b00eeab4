"""Autoencoders x -> h = f(x) -> r = g(h) (book Chapter 14), one builder for every variant.

Every variant shares the same encoder f and decoder g definitions and differs in one named way,
written as config fields in `VARIANTS`: its code unit, its corruption n(x), its penalty, or its
training loop. `build_model(config)` builds the one its config describes.
"""

import dataclasses

import keras
import tensorflow as tf

from projects.denoising_autoencoder import noise, regularizers, unet

# The config fields that make each autoencoder of the main comparison (train.plan applies them
# to the run's config; the convolutional ones also get their own training budget there).
VARIANTS = {
    "undercomplete": dict(),
    "denoising_gaussian": dict(code_activation="relu", noise="gaussian"),
    "denoising_salt_pepper": dict(code_activation="relu", noise="salt_pepper"),
    "denoising_masking": dict(code_activation="relu", noise="masking"),
    "sparse_l1": dict(code_activation="relu", penalty="l1"),
    "sparse_kl": dict(code_activation="sigmoid", penalty="kl"),
    "contractive": dict(code_activation="sigmoid", penalty="contractive"),
    "predictive": dict(penalty="predictive"),
    "conv_denoising": dict(architecture="conv", noise="gaussian"),
    "unet_denoising": dict(architecture="unet", noise="gaussian"),
}


def build_encoder(config):
    """f: image -> code h (dense: hidden ReLU layers, then the code layer; with its penalty)."""
    inputs = keras.Input(shape=config.image_shape, name="image")
    if config.architecture == "conv":
        return conv_encoder(inputs, config.conv_filters)
    if config.architecture == "unet":
        return unet.unet_encoder(
            config.image_shape,
            config.unet_filters,
            config.unet_bottleneck_multiplier,
            config.unet_code_convs,
            config.unet_clip_indicators,
        )
    x = keras.layers.Flatten(name="flatten")(inputs)
    for index in range(1, config.depth + 1):
        x = keras.layers.Dense(config.hidden_size, activation="relu", name=f"hidden{index}")(x)
    codes = keras.layers.Dense(config.code_size, activation=config.code_activation, name="code")(x)
    if config.penalty == "l1":
        codes = regularizers.L1ActivityPenalty(config.l1_weight, name="l1_penalty")(codes)
    if config.penalty == "kl":
        codes = regularizers.KLSparsityPenalty(
            config.sparsity_target, config.kl_weight, name="kl_penalty"
        )(codes)
    return keras.Model(inputs, codes, name="encoder")


def build_decoder(config):
    """g: code h -> reconstruction r, the encoder's mirror image."""
    image_shape = config.image_shape
    if config.architecture == "conv":
        return conv_decoder(config.conv_filters, image_shape, config.output_activation)
    if config.architecture == "unet":
        return unet.unet_decoder(
            image_shape,
            config.unet_filters,
            config.unet_bottleneck_multiplier,
            config.output_activation,
        )
    inputs = keras.Input(shape=(config.code_size,), name="code")
    x = inputs
    for index in range(config.depth, 0, -1):
        x = keras.layers.Dense(config.hidden_size, activation="relu", name=f"hidden{index}")(x)
    pixels = int(image_shape[0] * image_shape[1] * image_shape[2])
    x = keras.layers.Dense(pixels, activation=config.output_activation, name="pixels")(x)
    outputs = keras.layers.Reshape(image_shape, name="image")(x)
    return keras.Model(inputs, outputs, name="decoder")


def conv_encoder(inputs, filters):
    """Convolutional f: full size, then two 2x2 poolings; the code is the coarsest feature map."""
    full = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name="full")(inputs)
    half = keras.layers.MaxPooling2D(2, name="pool1")(full)
    half = keras.layers.Conv2D(filters * 2, 3, padding="same", activation="relu", name="half")(half)
    quarter = keras.layers.MaxPooling2D(2, name="pool2")(half)
    codes = keras.layers.Conv2D(filters * 2, 3, padding="same", activation="relu", name="code")(
        quarter
    )
    return keras.Model(inputs, codes, name="encoder")


def conv_decoder(filters, image_shape, output_activation):
    """Convolutional g: transposed convolutions back to full size, then one output convolution."""
    height, width = image_shape[0] // 4, image_shape[1] // 4
    inputs = keras.Input(shape=(height, width, filters * 2), name="code")
    x = keras.layers.Conv2DTranspose(
        filters * 2, 3, strides=2, padding="same", activation="relu", name="up1"
    )(inputs)
    x = keras.layers.Conv2D(filters * 2, 3, padding="same", activation="relu", name="half")(x)
    x = keras.layers.Conv2DTranspose(
        filters, 3, strides=2, padding="same", activation="relu", name="up2"
    )(x)
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name="full")(x)
    outputs = keras.layers.Conv2D(
        image_shape[2], 3, padding="same", activation=output_activation, name="image"
    )(x)
    return keras.Model(inputs, outputs, name="decoder")


def build_model(config, name="autoencoder"):
    """The (uncompiled) autoencoder `config` describes: f and g joined, with the corruption
    layer in front, or inside a model whose own loss adds the contractive or predictive term."""
    encoder, decoder = build_encoder(config), build_decoder(config)
    if config.penalty == "contractive":
        model = regularizers.ContractiveAutoencoder(
            encoder,
            decoder,
            config.contractive_weight,
            config.jacobian_method,
            config.contractive_sample,
            name=name,
        )
    elif config.penalty == "predictive":
        model = regularizers.PredictiveSparseDecomposition(
            encoder,
            decoder,
            config.predictive_code_steps,
            config.predictive_code_rate,
            config.predictive_weight,
            config.l1_weight,
            name=name,
        )
    else:
        inputs = keras.Input(shape=config.image_shape, name="image")
        corrupted = noise.Corruption(
            config.noise, config.noise_level, config.seed, name="corruption"
        )(inputs)
        model = keras.Model(inputs, decoder(encoder(corrupted)), name=name)
    if not model.built:
        model(keras.ops.zeros((1, *config.image_shape)))  # Subclassed models build on a call.
    return model


@keras.saving.register_keras_serializable(package="dlfb")
class PeakSignalToNoiseRatio(keras.metrics.Mean):
    """Mean PSNR in dB of reconstructions in [0, 1] (`tf.image.psnr`); higher is better."""

    def __init__(self, name="psnr", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"  # Lets Keras callbacks infer that larger is better.

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = keras.ops.clip(y_pred, 0.0, 1.0)
        return super().update_state(tf.image.psnr(y_true, y_pred, max_val=1.0), sample_weight)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


def hyperparameters(hp, config):
    """Keras Tuner's search space: a dense Gaussian denoiser with an L1 code penalty, its code
    size, depth, width and L1 weight sampled into a config (`build_model` builds it). The noise
    stays at `noise_sigma`: validation scores each trial on its own noise, so trials with less
    noise would win by facing an easier task."""
    return dataclasses.replace(
        config,
        architecture="dense",
        code_activation="relu",
        noise="gaussian",
        penalty="l1",
        code_size=hp.Choice("code_size", [16, 32, 64, 128]),
        depth=hp.Int("depth", 1, 2),
        hidden_size=hp.Choice("hidden_size", [128, 256, 512]),
        l1_weight=hp.Float("l1_weight", 1e-6, 1e-3, sampling="log"),
    )
