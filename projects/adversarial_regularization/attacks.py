"""White-box attacks on a classifier: the fast gradient sign method and projected gradient descent.

An adversarial example is a point x' close to a clean input x (within an epsilon ball of some
norm) that the model misclassifies (book Section 7.13). The model is nearly linear around x, so a
small step along the sign of the loss gradient, epsilon * sign(grad_x L), changes the logits by
about epsilon * ||grad_x L||_1: many tiny pixel changes add up. PGD repeats that step k times,
projecting back into the ball each time, and is the stronger attack. All images live in [0, 1].

The models here output logits; attacking the softmax's clipped probabilities instead would hide
the gradient of confident predictions (a false sense of robustness called gradient masking).
"""

import keras
import numpy as np
import tensorflow as tf

NORMS = ("infinity", "l2")
PIXEL_RANGE = (0.0, 1.0)


def cross_entropy(labels, logits):
    """Mean sparse categorical cross-entropy from logits: the loss the attacks increase."""
    return keras.ops.mean(
        keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    )


def check_norm(norm):
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}. Received: norm={norm!r}")


def input_gradient(model, images, labels, loss_fn=cross_entropy, training=False):
    """d loss / d images, with the model's weights held fixed."""
    with tf.GradientTape() as tape:
        tape.watch(images)
        loss = loss_fn(labels, model(images, training=training))
    return tape.gradient(loss, images)


def steepest_ascent(gradient, norm):
    """The unit-norm direction that most increases a linear function with this gradient.

    Formula: sign(g) for the L-infinity ball, g / ||g||_2 for the L2 ball (per example).
    """
    if norm == "infinity":
        return tf.sign(gradient)
    axes = list(range(1, len(gradient.shape)))
    return gradient / (
        tf.sqrt(tf.reduce_sum(tf.square(gradient), axis=axes, keepdims=True)) + 1e-12
    )


def project(perturbation, epsilon, norm):
    """The closest point of the epsilon ball to `perturbation` (clip, or rescale for L2)."""
    if norm == "infinity":
        return tf.clip_by_value(perturbation, -epsilon, epsilon)
    axes = list(range(1, len(perturbation.shape)))
    length = tf.sqrt(tf.reduce_sum(tf.square(perturbation), axis=axes, keepdims=True))
    return perturbation * tf.minimum(1.0, epsilon / (length + 1e-12))


def clip_pixels(images):
    return tf.clip_by_value(images, *PIXEL_RANGE)


def fgsm(model, images, labels, epsilon, *, norm="infinity", loss_fn=cross_entropy):
    """Fast gradient sign method (Goodfellow et al., 2014): one step of size epsilon.

    Formula: x' = clip(x + epsilon * sign(grad_x L(f(x), y)), 0, 1).
    """
    check_norm(norm)
    images = tf.convert_to_tensor(images, "float32")
    gradient = input_gradient(model, images, labels, loss_fn)
    return clip_pixels(images + epsilon * steepest_ascent(gradient, norm))


def pgd(
    model,
    images,
    labels,
    epsilon,
    *,
    steps=20,
    step_size=None,
    norm="infinity",
    random_start=True,
    seed=None,
    loss_fn=cross_entropy,
):
    """Projected gradient descent (Madry et al., 2018) on the loss, inside the epsilon ball.

    Formula: x_{t+1} = clip(x + project(x_t + alpha * sign(grad L(x_t)) - x), 0, 1), from a
    random point of the ball; alpha defaults to 2.5 * epsilon / steps, so the walk can reach the
    ball's surface from anywhere inside it.
    """
    check_norm(norm)
    if steps < 1:
        raise ValueError(f"steps must be at least 1. Received: steps={steps}")
    images = tf.convert_to_tensor(images, "float32")
    step_size = 2.5 * epsilon / steps if step_size is None else step_size
    adversarial = images
    if random_start and epsilon > 0:
        noise = keras.random.uniform(tf.shape(images), -epsilon, epsilon, seed=seed)
        adversarial = clip_pixels(images + project(noise, epsilon, norm))
    for _ in range(steps):
        gradient = input_gradient(model, adversarial, labels, loss_fn)
        stepped = adversarial + step_size * steepest_ascent(gradient, norm)
        adversarial = clip_pixels(images + project(stepped - images, epsilon, norm))
    return adversarial


def make_attack(name, epsilon, *, steps=20, norm="infinity", seed=0):
    """`attack(model, images, labels) -> adversarial images` for "fgsm" or "pgd"."""
    check_norm(norm)
    if name == "fgsm":

        def attack(model, images, labels):
            return fgsm(model, images, labels, epsilon, norm=norm)

    elif name == "pgd":
        generator = keras.random.SeedGenerator(seed)

        def attack(model, images, labels):
            return pgd(model, images, labels, epsilon, steps=steps, norm=norm, seed=generator)

    else:
        raise ValueError(f"attack must be 'fgsm' or 'pgd'. Received: name={name!r}")
    return attack


def robust_accuracy(model, images, labels, attack, *, source_model=None, batch_size=500):
    """Accuracy of `model` on adversarial versions of `images` (white box by default).

    `source_model` builds the attack on another model instead (a transfer, or black-box, attack).
    Returns (accuracy, adversarial images as a float32 array).
    """
    source = model if source_model is None else source_model

    # One graph per (model, attack): epsilon and the model are baked in, so each call traces
    # anew by design, and TensorFlow's "triggered tf.function retracing" advice does not apply.
    @tf.function(reduce_retracing=True)
    def step(x, y):
        return attack(source, x, y)

    correct, adversarial = 0, []
    logger = tf.get_logger()
    logger.addFilter(drop_retracing_advice)
    try:
        for start in range(0, len(images), batch_size):
            x = tf.convert_to_tensor(images[start : start + batch_size], "float32")
            y = tf.convert_to_tensor(labels[start : start + batch_size])
            x_adv = step(x, y)
            predicted = tf.argmax(model(x_adv, training=False), axis=-1)
            hits = tf.cast(predicted == tf.cast(y, predicted.dtype), "int32")
            correct += int(tf.reduce_sum(hits))
            adversarial.append(x_adv.numpy())
    finally:
        logger.removeFilter(drop_retracing_advice)
    return correct / len(images), np.concatenate(adversarial)


def drop_retracing_advice(record):
    """A logging filter: False (drop) for TensorFlow's retracing advice, True for the rest."""
    return "triggered tf.function retracing" not in record.getMessage()
