"""Autoencoders x -> h = f(x) -> r = g(h) (book Chapter 14), one builder for every variant.

Every variant shares the same encoder f and decoder g definitions and differs in one named way:
its code unit, its corruption n(x), its penalty, or its training loop. `training_plan` lists
the models a config asks for (the main variants, then ablations that each change one thing).
"""

import dataclasses

import keras
import tensorflow as tf

from common.nn import losses, schedules
from projects.denoising_autoencoder import noise, regularizers, unet

LOSSES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "bce": "binary_crossentropy",
    "psnr": losses.LogMeanSquaredError,  # Per-image log MSE: minus the mean PSNR.
}
CONVOLUTIONAL = ("conv", "unet")


@dataclasses.dataclass(frozen=True)
class Variant:
    """What makes one autoencoder different from the base (dense, MSE, sigmoid output)."""

    architecture: str = "dense"  # "dense", "conv" (bottleneck) or "unet" (skip connections).
    code_activation: str = "linear"
    output_activation: str = "sigmoid"
    loss: str = "mse"
    noise: str = "none"  # noise.NOISE_KINDS; applied to the input in training only.
    noise_level: float = 0.0
    penalty: str = "none"  # "l1", "kl", "contractive" or "predictive".
    code_size: int | None = None  # None: config.code_size.


def main_variants(config):
    """The variants of the main comparison (Chapter 14), by name."""
    sigma = config.noise_sigma
    return {
        "undercomplete": Variant(),
        "denoising_gaussian": Variant(code_activation="relu", noise="gaussian", noise_level=sigma),
        "denoising_salt_pepper": Variant(
            code_activation="relu", noise="salt_pepper", noise_level=config.salt_pepper_amount
        ),
        "denoising_masking": Variant(
            code_activation="relu", noise="masking", noise_level=config.masking_fraction
        ),
        "sparse_l1": Variant(code_activation="relu", penalty="l1"),
        "sparse_kl": Variant(code_activation="sigmoid", penalty="kl"),
        "contractive": Variant(code_activation="sigmoid", penalty="contractive"),
        "predictive": Variant(penalty="predictive"),
        "conv_denoising": Variant(architecture="conv", noise="gaussian", noise_level=sigma),
        "unet_denoising": Variant(
            architecture="unet", noise="gaussian", noise_level=sigma, loss="psnr"
        ),
    }


def ablation_variants(config):
    """One change each to denoising_gaussian: loss, output unit, bottleneck size, noise level."""
    base = main_variants(config)["denoising_gaussian"]
    plan = {}
    if "loss" in config.ablations:
        for loss in config.loss_choices:
            plan[f"loss_{loss}"] = dataclasses.replace(base, loss=loss)
    if "output" in config.ablations:
        plan["output_linear"] = dataclasses.replace(base, output_activation="linear")
    if "bottleneck" in config.ablations:
        for size in config.code_sizes:
            plan[f"code_{size}"] = dataclasses.replace(base, code_size=size)
    if "sigma" in config.ablations:
        for sigma in config.sigma_sweep:
            plan[f"sigma_{sigma:g}"] = dataclasses.replace(base, noise_level=sigma)
    return plan


def training_plan(config):
    """Every model this config trains, in order: main variants first, then the ablations."""
    main = main_variants(config)
    plan = {name: main[name] for name in config.variants}
    for name, variant in ablation_variants(config).items():
        plan.setdefault(name, variant)
    return plan


def build_encoder(config, variant, image_shape):
    """f: image -> code h (dense: hidden ReLU layers, then the code layer; with its penalty)."""
    code_size = variant.code_size or config.code_size
    inputs = keras.Input(shape=image_shape, name="image")
    if variant.architecture == "conv":
        return conv_encoder(inputs, config.conv_filters)
    if variant.architecture == "unet":
        return unet.unet_encoder(
            image_shape,
            config.unet_filters,
            config.unet_bottleneck_multiplier,
            config.unet_code_convs,
            config.unet_clip_indicators,
        )
    x = keras.layers.Flatten(name="flatten")(inputs)
    for index in range(1, config.depth + 1):
        x = keras.layers.Dense(config.hidden_size, activation="relu", name=f"hidden{index}")(x)
    codes = keras.layers.Dense(code_size, activation=variant.code_activation, name="code")(x)
    if variant.penalty == "l1":
        codes = regularizers.L1ActivityPenalty(config.l1_weight, name="l1_penalty")(codes)
    if variant.penalty == "kl":
        codes = regularizers.KLSparsityPenalty(
            config.sparsity_target, config.kl_weight, name="kl_penalty"
        )(codes)
    return keras.Model(inputs, codes, name="encoder")


def build_decoder(config, variant, image_shape):
    """g: code h -> reconstruction r, the encoder's mirror image."""
    if variant.architecture == "conv":
        return conv_decoder(config.conv_filters, image_shape, variant.output_activation)
    if variant.architecture == "unet":
        return unet.unet_decoder(
            image_shape,
            config.unet_filters,
            config.unet_bottleneck_multiplier,
            variant.output_activation,
        )
    code_size = variant.code_size or config.code_size
    inputs = keras.Input(shape=(code_size,), name="code")
    x = inputs
    for index in range(config.depth, 0, -1):
        x = keras.layers.Dense(config.hidden_size, activation="relu", name=f"hidden{index}")(x)
    pixels = int(image_shape[0] * image_shape[1] * image_shape[2])
    x = keras.layers.Dense(pixels, activation=variant.output_activation, name="pixels")(x)
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


def build_model(config, variant, image_shape=(28, 28, 1), steps_per_epoch=None, name="autoencoder"):
    """The compiled autoencoder for `variant` (a Variant or a name from `training_plan`)."""
    if isinstance(variant, str):
        variant = {**main_variants(config), **training_plan(config)}[variant]
    image_shape = tuple(image_shape)
    encoder = build_encoder(config, variant, image_shape)
    decoder = build_decoder(config, variant, image_shape)
    if variant.penalty == "contractive":
        model = regularizers.ContractiveAutoencoder(
            encoder,
            decoder,
            config.contractive_weight,
            config.jacobian_method,
            config.contractive_sample,
            name=name,
        )
    elif variant.penalty == "predictive":
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
        inputs = keras.Input(shape=image_shape, name="image")
        corrupted = noise.Corruption(
            variant.noise, variant.noise_level, config.seed, name="corruption"
        )(inputs)
        model = keras.Model(inputs, decoder(encoder(corrupted)), name=name)
    if not model.built:
        model(keras.ops.zeros((1, *image_shape)))  # Subclassed models build on a first call.
    epochs = config.conv_epochs if variant.architecture in CONVOLUTIONAL else config.epochs
    unet = variant.architecture == "unet"
    compile_model(
        model,
        config,
        variant.loss,
        epochs * (steps_per_epoch or 422),
        config.unet_learning_rate if unet else None,
        config.unet_warmup_fraction if unet else 0.0,
        config.unet_decay if unet else "cosine",
    )
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


def compile_model(
    model, config, loss, decay_steps, learning_rate=None, warmup_fraction=0.0, decay="cosine"
):
    """Adam with a learning rate that rises linearly from zero over the first `warmup_fraction`
    of `decay_steps`, then decays to zero along a cosine or a line (`common.schedules.
    WarmupDecay`; `decay_steps=None`: a constant rate, for a schedule set by a callback); the
    loss named by the variant."""
    learning_rate = learning_rate or config.learning_rate
    if decay_steps is not None:
        learning_rate = schedules.WarmupDecay(
            learning_rate, max(1, decay_steps), warmup_fraction, decay
        )
    loss = LOSSES[loss]
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=loss() if isinstance(loss, type) else loss,
        metrics=[PeakSignalToNoiseRatio()],
        jit_compile=config.jit_compile,
        steps_per_execution=config.steps_per_execution,
    )


def build_hypermodel(config, image_shape=(28, 28, 1), steps_per_epoch=None):
    """Keras Tuner's `build(hp)`: it only samples values and calls `build_model`."""

    def build(hp):
        sampled = dict(
            code_size=hp.Choice("code_size", [16, 32, 64, 128]),
            depth=hp.Int("depth", 1, 2),
            noise_sigma=hp.Float("noise_sigma", 0.1, 0.7, step=0.1),
            l1_weight=hp.Float("l1_weight", 1e-6, 1e-3, sampling="log"),
        )
        trial_config = dataclasses.replace(config, **sampled)
        variant = Variant(
            code_activation="relu",
            noise="gaussian",
            noise_level=sampled["noise_sigma"],
            penalty="l1",
        )
        return build_model(trial_config, variant, image_shape, steps_per_epoch)

    return build
