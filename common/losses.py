"""Losses Keras does not ship in the form the projects need."""

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
