"""Losses Keras does not ship in the form the projects need."""

import math

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dlfb")
class SmoothedSparseCrossentropy(keras.losses.Loss):
    """Cross-entropy of integer labels against probabilities, with label smoothing.

    Label smoothing (book Section 7.5.1) replaces the hard target 1 by 1 - eps + eps / k and
    the zeros by eps / k, for k classes: the model can no longer push a softmax towards an
    output it can never reach, and it is less overconfident. Keras' sparse cross-entropy has
    no such option; this one takes the integer labels as they are.

    Formula:
        L = -sum_j q_j log p_j, with q_j = (1 - eps) [j = y] + eps / k

    Args:
        label_smoothing: eps in [0, 1). Defaults to `0.0` (the plain cross-entropy).
        **kwargs: Base loss keyword arguments, such as `name` and `reduction`.
    """

    def __init__(self, label_smoothing=0.0, name="smoothed_sparse_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        if not 0.0 <= label_smoothing < 1.0:
            raise ValueError(f"`label_smoothing` must be in [0, 1). Received: {label_smoothing}")
        self.label_smoothing = float(label_smoothing)

    def call(self, y_true, y_pred):
        classes = ops.shape(y_pred)[-1]
        labels = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        targets = ops.one_hot(labels, classes, dtype=y_pred.dtype)
        eps = self.label_smoothing
        targets = targets * (1.0 - eps) + eps / ops.cast(classes, y_pred.dtype)
        return keras.losses.categorical_crossentropy(targets, y_pred)

    def get_config(self):
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


@keras.saving.register_keras_serializable(package="dlfb")
class LogMeanSquaredError(keras.losses.Loss):
    """Per-image log mean squared error: minimizing it maximizes the mean PSNR of a batch.

    A reconstruction's PSNR is 10 log10(1 / MSE) for pixels in [0, 1], and quality tables report
    the mean PSNR over images. Plain MSE averages the squared errors first, so a few hard images
    dominate it; this loss takes the log of each image's MSE before averaging, which is exactly
    (minus) the mean PSNR: the training criterion matches the test metric (book Section 8.1.2
    on surrogate losses).

    Formula:
        L = mean_i 10 log10(mean_pixels (x_i - r_i)^2 + eps)

    Args:
        epsilon: Added to each image's MSE before the log, so a perfect reconstruction
            is scored as a finite PSNR. Defaults to `1e-5` (50 dB).
        **kwargs: Base loss keyword arguments, such as `name` and `reduction`.
    """

    def __init__(self, epsilon=1e-5, name="log_mean_squared_error", **kwargs):
        super().__init__(name=name, **kwargs)
        if not epsilon > 0:
            raise ValueError(f"`epsilon` must be > 0. Received: epsilon={epsilon}")
        self.epsilon = float(epsilon)

    def call(self, y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        axes = tuple(range(1, len(y_pred.shape)))
        per_image = ops.mean(ops.square(y_true - y_pred), axis=axes)
        return (10.0 / math.log(10.0)) * ops.log(per_image + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}
