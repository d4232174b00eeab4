"""Attention (book Section 12.4.5.1): attention pooling, a learned, masked weighted average over
time steps, and position embeddings that let content-based attention find places."""

import keras
from keras import ops

# Added to the scores of masked steps before the softmax: exp() of it is 0 in float32.
LARGE_NEGATIVE = -1e9


def masked_softmax(scores, mask=None, axis=-1):
    """Softmax of `scores` over `axis` in which masked (False) positions get exactly 0.

    A row whose positions are all masked gets all zeros instead of NaN.
    """
    if mask is None:
        return ops.softmax(scores, axis=axis)
    keep = ops.cast(mask, scores.dtype)
    shifted = ops.where(ops.cast(mask, "bool"), scores, ops.full_like(scores, LARGE_NEGATIVE))
    weights = ops.softmax(shifted, axis=axis) * keep
    total = ops.sum(weights, axis=axis, keepdims=True)
    return weights / ops.maximum(total, keras.config.epsilon())


@keras.saving.register_keras_serializable(package="dlfb")
class AttentionPooling(keras.layers.Layer):
    """Pools a sequence of states into one vector, weighting each step by learned attention.

    Instead of keeping only the last state of a recurrent network (which must then remember the
    whole review, book Section 10.7), attention (Section 12.4.5.1; Bahdanau et al., 2015) scores
    every state h_t with a small network, turns the scores into weights with a softmax over the
    unmasked steps, and returns the weighted average. The weights say which words the model read
    most closely, which makes them a window into the model. Padding steps (the Keras mask, e.g.
    from `Embedding(mask_zero=True)`) get weight exactly 0.

    Formula:
        e_t = v^T tanh(W h_t + b),  a = softmax(e) over unmasked t,  c = sum_t a_t h_t

    Example:
        >>> import numpy as np
        >>> layer = AttentionPooling(units=4, return_weights=True)
        >>> states = np.ones((2, 3, 5), "float32")
        >>> pooled, weights = layer(states, mask=np.array([[1, 1, 0], [1, 0, 0]], bool))
        >>> tuple(pooled.shape), keras.ops.convert_to_numpy(weights).round(2).tolist()
        ((2, 5), [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])

    Args:
        units: Width of the scoring network (rows of W). Required (no default).
        return_weights: Whether `call` returns `(pooled, weights)` rather than only the pooled
            vector; `weights` has shape (batch, time). Defaults to `False`.
        kernel_initializer: Initializer of W and v. Defaults to `"glorot_uniform"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.
    """

    def __init__(self, units, return_weights=False, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"`units` must be a positive integer. Received: units={units}")
        self.units = units
        self.return_weights = bool(return_weights)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                "AttentionPooling expects states of shape (batch, time, features) with a known "
                f"feature size, e.g. an RNN with return_sequences=True. Received: {input_shape}"
            )
        features = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(features, self.units), initializer=self.kernel_initializer, name="kernel"
        )
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.score_vector = self.add_weight(
            shape=(self.units, 1), initializer=self.kernel_initializer, name="score_vector"
        )

    def call(self, inputs, mask=None):
        hidden = ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)
        scores = ops.squeeze(ops.matmul(hidden, self.score_vector), axis=-1)
        weights = masked_softmax(scores, mask)
        pooled = ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)
        return (pooled, weights) if self.return_weights else pooled

    def compute_mask(self, inputs, mask=None):
        return (None, None) if self.return_weights else None

    def compute_output_shape(self, input_shape):
        pooled = (input_shape[0], input_shape[-1])
        return (pooled, tuple(input_shape[:2])) if self.return_weights else pooled

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "return_weights": self.return_weights,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        }


@keras.saving.register_keras_serializable(package="dlfb")
class PositionEmbedding(keras.layers.Layer):
    """Adds a learned vector to each position of a sequence, so that content-based attention
    can also ask *where*.

    Attention scores each position by its content alone (Section 12.4.5.1): two positions with
    the same features get the same weight, wherever they are. A convolutional grid with a small
    receptive field says what is in each cell but hardly where the cell is, so a decoder cannot
    attend to "the next object to the right". Adding a learned vector per position, as the
    Transformer does for words (Vaswani et al., 2017), puts the place into the features.

    Formula:
        y[b, i, :] = x[b, i, :] + P[i, :],  P of shape (positions, features), learned

    Example:
        >>> import numpy as np
        >>> layer = PositionEmbedding(initializer="ones")
        >>> keras.ops.convert_to_numpy(layer(np.zeros((2, 3, 4), "float32")))[0].tolist()
        [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]]

    Args:
        initializer: Initializer of P. Defaults to `"glorot_uniform"`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.
    """

    def __init__(self, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.initializer = keras.initializers.get(initializer)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3 or None in input_shape[1:]:
            raise ValueError(
                "PositionEmbedding expects (batch, positions, features) with both sizes known, "
                f"e.g. a flattened feature grid. Received: input_shape={input_shape}"
            )
        self.embeddings = self.add_weight(
            shape=tuple(input_shape[1:]), initializer=self.initializer, name="embeddings"
        )

    def call(self, inputs):
        return inputs + ops.cast(self.embeddings, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "initializer": keras.initializers.serialize(self.initializer),
        }
