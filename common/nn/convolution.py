"""Tiled convolution (book Section 9.5), a Keras layer between convolution and local connection."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dlfb")
class TiledConv2D(keras.layers.Layer):
    """Tiled 2-D convolution: `t` kernel sets cycled across output positions.

    Tiled convolution (book Section 9.5, Fig. 9.16; Le et al., 2010) sits between a
    convolution and a locally connected layer: output position (i, j) uses kernel set
    (i mod tile_h, j mod tile_w). `tile_size=(1, 1)` is a plain `Conv2D` (full parameter
    sharing); a tile as large as the output map is a locally connected layer (no sharing).
    It runs one convolution with `t * filters` channels; a one-hot position mask then keeps,
    at each output position, only the `filters` channels of that position's kernel set.

    Formula:
        Z[i, j, f] = b[k, f] + sum_{u, v, c} V[i*s + u, j*s + v, c] K[u, v, c, k*filters + f],
        with k = (i mod tile_h) * tile_w + (j mod tile_w)

    Example:
        >>> layer = TiledConv2D(filters=8, kernel_size=3, tile_size=(2, 2))
        >>> layer.build((None, 28, 28, 1))
        >>> tuple(layer.kernel.shape), tuple(layer.bias.shape), layer.count_params()
        ((3, 3, 1, 32), (4, 8), 320)
        >>> layer.compute_output_shape((None, 28, 28, 1))
        (None, 26, 26, 8)

    Args:
        filters: Number of output channels. Required (no default).
        kernel_size: Int or (height, width) of each kernel. Required (no default).
        tile_size: Int or (tile_h, tile_w); there are t = tile_h * tile_w kernel sets.
            Defaults to `(2, 2)`.
        strides: Int or (stride_h, stride_w). Defaults to `(1, 1)`.
        padding: `"valid"` or `"same"`. Defaults to `"valid"`.
        use_bias: Whether to add a bias per kernel set and filter. Defaults to `True`.
        kernel_initializer: Initializer of the kernel, shape (kh, kw, in, t * filters).
            Defaults to `"glorot_uniform"`.
        bias_initializer: Initializer of the bias, shape (t, filters). Defaults to `"zeros"`.
        kernel_regularizer: Regularizer of the kernel. Defaults to `None`.
        data_format: Only `"channels_last"` is supported. Defaults to `None`, which means
            `keras.config.image_data_format()`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        tile_size=(2, 2),
        strides=(1, 1),
        padding="valid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"`filters` must be a positive integer. Received: {filters=}")
        self.filters = filters
        self.kernel_size = _positive_pair(kernel_size, "kernel_size")
        self.tile_size = _positive_pair(tile_size, "tile_size")
        self.strides = _positive_pair(strides, "strides")
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"`padding` must be 'valid' or 'same'. Received: {padding=}")
        self.data_format = data_format or keras.config.image_data_format()
        if self.data_format != "channels_last":
            raise ValueError(f"Only 'channels_last' is supported. Received: {data_format=}")
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.num_tiles = self.tile_size[0] * self.tile_size[1]

    def build(self, input_shape):
        if len(input_shape) != 4 or None in input_shape[1:]:
            raise ValueError(
                "TiledConv2D assigns kernel sets per output position, so it needs a 4-D input "
                f"with static height, width and channels. Received: {input_shape=}"
            )
        if None in self.compute_output_shape(input_shape)[1:3]:
            raise ValueError(f"Input is smaller than the kernel. Received: {input_shape=}")
        self.input_spec = keras.layers.InputSpec(ndim=4, axes={-1: input_shape[-1]})
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, input_shape[-1], self.num_tiles * self.filters),
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            name="kernel",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.num_tiles, self.filters), initializer=self.bias_initializer, name="bias"
            )

    def call(self, inputs):
        _, height, width, _ = self.compute_output_shape(inputs.shape)
        outputs = ops.conv(inputs, self.kernel, strides=self.strides, padding=self.padding)
        outputs = ops.reshape(outputs, (-1, height, width, self.num_tiles, self.filters))
        if self.bias is not None:
            outputs = outputs + self.bias
        return ops.sum(outputs * self._position_mask(height, width), axis=3)

    def compute_output_shape(self, input_shape):
        sizes = zip(input_shape[1:3], self.kernel_size, self.strides, strict=True)
        height, width = (_output_size(*size, self.padding) for size in sizes)
        return (input_shape[0], height, width, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "tile_size": self.tile_size,
            "strides": self.strides,
            "padding": self.padding,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
            "data_format": self.data_format,
        }

    def _position_mask(self, height, width):
        """One-hot (height, width, t, 1) mask: 1 where position (i, j) uses kernel set k."""
        tile_h, tile_w = self.tile_size
        row_sets = ops.arange(height) % tile_h
        column_sets = ops.arange(width) % tile_w
        kernel_set = ops.expand_dims(row_sets, 1) * tile_w + ops.expand_dims(column_sets, 0)
        mask = ops.one_hot(kernel_set, self.num_tiles, dtype=self.compute_dtype)
        return ops.expand_dims(mask, -1)


def _positive_pair(value, name):
    """Return an int or pair of ints as a tuple of two positive ints, or raise ValueError."""
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or not all(isinstance(item, int) and item > 0 for item in pair):
        raise ValueError(
            f"`{name}` must be a positive int or pair of them. Received: {name}={value}"
        )
    return pair


def _output_size(size, kernel, stride, padding):
    """Output length of a convolution along one axis, or None if unknown or empty."""
    if size is None:
        return None
    length = -(-size // stride) if padding == "same" else (size - kernel) // stride + 1
    return length if length > 0 else None
