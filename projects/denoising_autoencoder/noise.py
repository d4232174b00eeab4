"""The corruption process n(x) of a denoising autoencoder, and a layer that applies it in training.

A denoising autoencoder (book Section 14.2.2, Figure 14.3) is trained on pairs (n(x), x): it sees
a corrupted image and must give back the clean one, so it has to learn where clean images lie
instead of copying its input. Three corruptions are used here, each vectorized over a batch and
seeded: additive Gaussian noise, salt-and-pepper noise and masking noise. Every result is clipped
to the pixel range [0, 1].
"""

import keras
from keras import ops

NOISE_KINDS = ("none", "gaussian", "salt_pepper", "masking")


def gaussian(images, sigma, seed):
    """x + sigma * eps with eps ~ N(0, 1) per pixel, clipped to [0, 1]."""
    noise = keras.random.normal(ops.shape(images), stddev=sigma, seed=seed, dtype=images.dtype)
    return ops.clip(images + noise, 0.0, 1.0)


def salt_and_pepper(images, amount, seed):
    """Each pixel, with probability `amount`, becomes black or white (one or the other, 50/50)."""
    seed_hit, seed_white = _two_seeds(seed)
    hit = keras.random.uniform(ops.shape(images), seed=seed_hit, dtype=images.dtype) < amount
    white = keras.random.uniform(ops.shape(images), seed=seed_white, dtype=images.dtype) < 0.5
    return ops.where(hit, ops.cast(white, images.dtype), images)


def masking(images, fraction, seed):
    """Each pixel, with probability `fraction`, is set to zero (the rest stay as they are)."""
    keep = keras.random.uniform(ops.shape(images), seed=seed, dtype=images.dtype) >= fraction
    return ops.where(keep, images, ops.zeros_like(images))


def corrupt(images, kind, level, seed):
    """Applies the corruption `kind` (one of NOISE_KINDS) at `level` to float images in [0, 1]."""
    images = ops.convert_to_tensor(images, dtype="float32")
    if kind == "none" or level <= 0:
        return images
    if kind == "gaussian":
        return gaussian(images, level, seed)
    if kind == "salt_pepper":
        return salt_and_pepper(images, level, seed)
    if kind == "masking":
        return masking(images, level, seed)
    raise ValueError(f"Unknown noise kind; choose from {NOISE_KINDS}. Received: {kind!r}")


def _two_seeds(seed):
    """Two independent seeds from one: an int seed gives two ints, a SeedGenerator is shared."""
    if isinstance(seed, int):
        return seed, seed + 1_000_003
    return seed, seed


@keras.saving.register_keras_serializable(package="dlfb")
class Corruption(keras.layers.Layer):
    """Corrupts its input during training only; at inference it is the identity.

    Put in front of the encoder, it turns an autoencoder into a denoising one: the training
    criterion becomes L(x, g(f(n(x)))) with the clean x as target (book Section 14.2.2). Like
    `Dropout`, it draws fresh noise at every step from its own `SeedGenerator`.

    Args:
        kind: One of "none", "gaussian", "salt_pepper", "masking".
        level: Gaussian sigma, or the probability that a pixel is hit.
        seed: Seed of the noise stream.
    """

    def __init__(self, kind="gaussian", level=0.5, seed=0, **kwargs):
        super().__init__(**kwargs)
        if kind not in NOISE_KINDS:
            raise ValueError(f"kind must be one of {NOISE_KINDS}. Received: {kind!r}")
        if level < 0:
            raise ValueError(f"level must be >= 0. Received: {level}")
        self.kind, self.level, self.seed = kind, float(level), int(seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs, training=None):
        if not training or self.kind == "none":
            return inputs
        return corrupt(inputs, self.kind, self.level, self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "kind": self.kind, "level": self.level, "seed": self.seed}


@keras.saving.register_keras_serializable(package="dlfb")
class ClipIndicators(keras.layers.Layer):
    """Appends two channels that mark the pixels clipped to black and to white.

    Clipping the noisy image to [0, 1] *censors* it: a pixel read as exactly 0 says only that
    x + noise <= 0, a likelihood Phi(-x / sigma), while a pixel read as 0.01 says that
    x + noise = 0.01, a likelihood phi((0.01 - x) / sigma) (book Sections 3.9.3 and 5.5). For
    the estimate of the clean x the two differ a lot, but a convolution is a smooth function of
    its input and hardly tells them apart; with these indicator channels the difference is one
    weight away.

    Formula:
        output = concat([x, 1[x <= low], 1[x >= high]], axis=-1)

    Example:

    >>> layer = ClipIndicators()
    >>> layer(np.array([[[[0.0], [0.4], [1.0]]]])).shape
    (1, 1, 3, 3)

    Args:
        low: Values at or below it count as clipped to black. Defaults to `0.0`.
        high: Values at or above it count as clipped to white. Defaults to `1.0`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.
    """

    def __init__(self, low=0.0, high=1.0, **kwargs):
        super().__init__(**kwargs)
        if not low < high:
            raise ValueError(f"low must be below high. Received: low={low}, high={high}")
        self.low, self.high = float(low), float(high)

    def call(self, inputs):
        black = ops.cast(inputs <= self.low, inputs.dtype)
        white = ops.cast(inputs >= self.high, inputs.dtype)
        return ops.concatenate([inputs, black, white], axis=-1)

    def compute_output_shape(self, input_shape):
        channels = input_shape[-1]
        return (*input_shape[:-1], None if channels is None else 3 * channels)

    def get_config(self):
        return {**super().get_config(), "low": self.low, "high": self.high}
