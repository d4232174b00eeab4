"""A U-Net denoiser: an encoder f and decoder g joined by skip connections (book 14.2.2, Ch. 9).

An undercomplete autoencoder must squeeze every image through its code h, so fine detail is lost.
A *denoising* autoencoder does not need that bottleneck to avoid learning the identity: the
corruption n(x) already makes copying the input useless (the book's Section 14.2.2). The U-Net
uses this freedom: the decoder also sees the encoder's full- and half-resolution feature maps
(skip connections), so the coarse code carries the global shape ("a sandal, pointing left") and
the skips carry where the edges are. Batch normalization (Section 8.7.1) speeds up its training,
which matters when the budget is a few epochs. Its input also gets two indicator channels for the
pixels that the noise clipped to black or white (`noise.ClipIndicators`): such a pixel is a
censored observation, and the network should read it differently from a dark grey one.

The encoder returns `[code, half, full]`; the decoder takes the same list.
"""

import keras

from projects.denoising_autoencoder import noise


def conv_block(x, filters, name):
    """3x3 convolution, batch normalization, ReLU."""
    x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def unet_encoder(image_shape, filters, bottleneck_multiplier, code_convs=4, clip_indicators=True):
    """f: two blocks at full size, two at half size, `code_convs` wide ones at quarter size (the
    code); with `clip_indicators`, the input first gains channels marking its clipped pixels."""
    if image_shape[0] % 4 or image_shape[1] % 4:
        raise ValueError(
            "The U-Net pools twice, so image height and width must be multiples of 4. "
            f"Received: image_shape={tuple(image_shape)}"
        )
    inputs = keras.Input(shape=image_shape, name="image")
    x = noise.ClipIndicators(name="clip_indicators")(inputs) if clip_indicators else inputs
    full = conv_block(conv_block(x, filters, "full1"), filters, "full2")
    half = keras.layers.MaxPooling2D(2, name="pool1")(full)
    half = conv_block(conv_block(half, filters * 2, "half1"), filters * 2, "half2")
    code = keras.layers.MaxPooling2D(2, name="pool2")(half)
    for index in range(1, code_convs + 1):
        code = conv_block(code, filters * bottleneck_multiplier, f"code{index}")
    return keras.Model(inputs, [code, half, full], name="encoder")


def unet_decoder(image_shape, filters, bottleneck_multiplier, output_activation):
    """g: upsample the code, concatenate the encoder's map of the same size, convolve; twice."""
    height, width, channels = image_shape
    code = keras.Input(
        shape=(height // 4, width // 4, filters * bottleneck_multiplier), name="code"
    )
    half = keras.Input(shape=(height // 2, width // 2, filters * 2), name="half")
    full = keras.Input(shape=(height, width, filters), name="full")
    x = keras.layers.Conv2DTranspose(filters * 2, 2, strides=2, activation="relu", name="up1")(code)
    x = conv_block(keras.layers.Concatenate(name="skip_half")([x, half]), filters * 2, "dec_half")
    x = keras.layers.Conv2DTranspose(filters, 2, strides=2, activation="relu", name="up2")(x)
    x = conv_block(keras.layers.Concatenate(name="skip_full")([x, full]), filters, "dec_full")
    outputs = keras.layers.Conv2D(
        channels, 3, padding="same", activation=output_activation, name="pixels"
    )(x)
    return keras.Model([code, half, full], outputs, name="decoder")
