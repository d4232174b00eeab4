"""Custom Keras layers for ideas in the Deep Learning book that Keras does not ship: maxout and
the modulated ReLU family (book Section 6.3). `TiledConv2D` lives in `common/nn/convolution.py`
and `AttentionPooling` in `common/nn/attention.py`.
"""

import numbers

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dlfb")
class Maxout(keras.layers.Layer):
    """Maxout units: the maximum of each group of consecutive features.

    A maxout unit learns a piecewise-linear convex activation by taking the max over a group
    of `m` linear pieces (book Section 6.3.1, Eq. 6.37, maxout units). Put it after a `Dense`
    or `Conv2D` layer with `num_units * m` outputs; the gradient flows only to each group's max.

    Formula:
        g(z)_i = max_{j in G(i)} z_j, with G(i) = {(i - 1) m + 1, ..., i m}, m = n / num_units

    Example:
        >>> import numpy as np
        >>> x = np.array([[1.0, 5.0, 2.0, 3.0, -1.0, -4.0]])
        >>> keras.ops.convert_to_numpy(Maxout(num_units=3)(x))
        array([[ 5.,  3., -1.]], dtype=float32)

    Args:
        num_units: Number of maxout units (groups). Required (no default).
        axis: Feature axis that is split into groups. Defaults to `-1`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.
    """

    def __init__(self, num_units, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(num_units, int) or num_units < 1:
            raise ValueError(f"`num_units` must be a positive integer. Received: {num_units=}")
        if not isinstance(axis, int) or axis == 0:
            raise ValueError(f"`axis` must be a non-batch integer axis. Received: {axis=}")
        self.num_units = num_units
        self.axis = axis

    def build(self, input_shape):
        if not -len(input_shape) < self.axis < len(input_shape):
            raise ValueError(
                f"`axis` is out of range for {input_shape=}. Received: axis={self.axis}"
            )
        features = input_shape[self.axis]
        if features is None or features % self.num_units != 0:
            raise ValueError(
                f"Maxout needs a feature count (axis {self.axis}) that is a multiple of "
                f"num_units. Received: features={features}, num_units={self.num_units}. "
                "Make the previous layer output num_units * m features (e.g. "
                f"{self.num_units * 2}), or choose a num_units that divides the feature count."
            )

    def call(self, inputs):
        axis = self.axis % len(inputs.shape)
        group_size = inputs.shape[axis] // self.num_units
        shape = ops.shape(inputs)
        grouped_shape = (*shape[:axis], self.num_units, group_size, *shape[axis + 1 :])
        return ops.max(ops.reshape(inputs, grouped_shape), axis=axis + 1)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        output_shape[self.axis] = self.num_units
        return tuple(output_shape)

    def get_config(self):
        return {**super().get_config(), "num_units": self.num_units, "axis": self.axis}


@keras.saving.register_keras_serializable(package="dlfb")
class ModulatedReLU(keras.layers.Layer):
    """Generalized rectifier: ReLU with slope `alpha` for negative inputs.

    The book's rectified-linear generalizations (Section 6.3.1) keep the identity for z > 0
    and use a slope `alpha` for z < 0: `alpha = -1` is absolute-value rectification, a small
    `alpha` such as 0.01 is the leaky ReLU, and a learned `alpha` is the parametric ReLU
    (PReLU; He et al., 2015).

    Formula:
        g(z) = max(0, z) + alpha * min(0, z)

    Example:
        >>> import numpy as np
        >>> x = np.array([[-2.0, -0.5, 0.0, 3.0]])
        >>> keras.ops.convert_to_numpy(ModulatedReLU(alpha=-1.0)(x))
        array([[2. , 0.5, 0. , 3. ]], dtype=float32)

    Args:
        alpha: Slope for negative inputs; the initial value when trainable. Defaults to `0.0`.
        trainable_alpha: Whether `alpha` is a learned weight (PReLU), one per channel (last
            axis). Defaults to `False`.
        shared_axes: Only when trainable: axes (batch is 0) that share one alpha, as in
            `keras.layers.PReLU`, e.g. `[1, 2]` for conv maps, or `"all"` for a single
            scalar alpha. Defaults to `None` (one alpha per channel).
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.
    """

    def __init__(self, alpha=0.0, trainable_alpha=False, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise ValueError(f"`alpha` must be a real number. Received: {alpha=}")
        self.alpha = float(alpha)
        self.trainable_alpha = bool(trainable_alpha)
        self.shared_axes = _shared_axes_list(shared_axes)
        self.learned_alpha = None

    def build(self, input_shape):
        if not self.trainable_alpha:
            return
        self.learned_alpha = self.add_weight(
            shape=_alpha_shape(input_shape, self.shared_axes),
            initializer=keras.initializers.Constant(self.alpha),
            name="alpha",
        )

    def call(self, inputs):
        alpha = self.alpha if self.learned_alpha is None else self.learned_alpha
        return ops.relu(inputs) + alpha * ops.minimum(inputs, 0.0)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "alpha": self.alpha,
            "trainable_alpha": self.trainable_alpha,
            "shared_axes": self.shared_axes,
        }


def _shared_axes_list(shared_axes):
    """Return `shared_axes` as None, "all" or a list of ints, or raise ValueError."""
    if shared_axes is None or shared_axes == "all":
        return shared_axes
    axes = [shared_axes] if isinstance(shared_axes, int) else list(shared_axes)
    if not all(isinstance(axis, int) and axis != 0 for axis in axes):
        raise ValueError(f"`shared_axes` must be non-batch int axes or 'all'. Received: {axes=}")
    return axes


def _alpha_shape(input_shape, shared_axes):
    """Shape of the learned alpha: a scalar, one per channel, or one per unshared position."""
    if shared_axes == "all":
        return ()
    rank = len(input_shape)
    if shared_axes is None:
        alpha_shape = [input_shape[-1]]
    elif not all(-rank < axis < rank for axis in shared_axes):
        raise ValueError(f"`shared_axes` out of range for {input_shape=}. Received: {shared_axes=}")
    else:
        shared = {axis % rank for axis in shared_axes}
        alpha_shape = [1 if axis in shared else input_shape[axis] for axis in range(1, rank)]
    if None in alpha_shape:
        raise ValueError(f"Unshared axes of alpha need static sizes. Received: {input_shape=}")
    return tuple(alpha_shape)
