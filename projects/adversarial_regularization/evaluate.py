"""What the trained classifiers are scored on: clean and attacked test accuracy, once, at the end.

Every attack is white box (built on the model being scored) unless it says "transfer": then the
perturbations come from the base model and are shown to another model, as in NSL's tutorial.
"""

import keras
import numpy as np
import tensorflow as tf

from common.report import plots
from projects.adversarial_regularization import attacks

GRADIENT_IMAGES = 1000  # Test images on which the input-gradient norm is measured.


def predict(model, images, batch_size=1000):
    """Class predictions (argmax of the logits) in inference mode."""
    logits = [
        model(images[start : start + batch_size], training=False).numpy()
        for start in range(0, len(images), batch_size)
    ]
    return np.argmax(np.concatenate(logits), axis=-1)


def headline(model, datasets, config):
    """Clean, FGSM and PGD test accuracy at `attack_epsilon` on the whole test set."""
    images, labels = datasets.test_images, datasets.test_labels
    epsilon = config.attack_epsilon
    fgsm, _ = attacks.robust_accuracy(model, images, labels, attacks.make_attack("fgsm", epsilon))
    pgd_attack = attacks.make_attack(
        "pgd", epsilon, steps=config.attack_pgd_steps, seed=config.seed
    )
    pgd, pgd_images = attacks.robust_accuracy(model, images, labels, pgd_attack)
    predicted = predict(model, images)
    return {
        "clean_accuracy": float(np.mean(predicted == labels)),
        "fgsm_accuracy": fgsm,
        "pgd_accuracy": pgd,
        "clean_confusion": plots.confusion_counts(labels, predicted, 10).tolist(),
        "pgd_confusion": plots.confusion_counts(labels, predict(model, pgd_images), 10).tolist(),
    }


def robustness_curves(model, datasets, config):
    """{"fgsm": [...], "pgd": [...]} accuracy at each of `curve_epsilons` on a test subset."""
    images = datasets.test_images[: config.curve_examples]
    labels = datasets.test_labels[: config.curve_examples]
    curves = {"fgsm": [], "pgd": []}
    for epsilon in config.curve_epsilons:
        if epsilon == 0:
            clean = float(np.mean(predict(model, images) == labels))
            curves["fgsm"].append(clean)
            curves["pgd"].append(clean)
            continue
        for name, steps in (("fgsm", 1), ("pgd", config.curve_pgd_steps)):
            attack = attacks.make_attack(name, epsilon, steps=steps, seed=config.seed)
            curves[name].append(attacks.robust_accuracy(model, images, labels, attack)[0])
    return curves


def transfer_images(base_model, datasets, config):
    """Perturbations built on the base model (FGSM and PGD at `attack_epsilon`), made once."""
    images = datasets.test_images[: config.curve_examples]
    labels = datasets.test_labels[: config.curve_examples]
    made = {}
    for name in ("fgsm", "pgd"):
        attack = attacks.make_attack(
            name, config.attack_epsilon, steps=config.attack_pgd_steps, seed=config.seed
        )
        made[name] = attacks.robust_accuracy(base_model, images, labels, attack)[1]
    return made, labels


def transfer_accuracy(model, transferred, labels):
    """Accuracy of `model` on the base model's adversarial images (a black-box attack on it)."""
    return {
        name: float(np.mean(predict(model, images) == labels))
        for name, images in transferred.items()
    }


def input_gradient_norm(model, datasets):
    """Mean and median ||grad_x L||_2 over test points: how steep the loss is around the data.

    Adversarial training aims for a flat loss surface near every training point; a small input
    gradient means a small step cannot change the loss much (to first order).
    """
    images = tf.constant(datasets.test_images[:GRADIENT_IMAGES])
    labels = tf.constant(datasets.test_labels[:GRADIENT_IMAGES])
    norms = []
    for start in range(0, len(images), 250):
        gradient = per_example_gradient(
            model, images[start : start + 250], labels[start : start + 250]
        )
        norms.append(tf.sqrt(tf.reduce_sum(tf.square(gradient), axis=[1, 2, 3])).numpy())
    norms = np.concatenate(norms)
    return {"mean": float(np.mean(norms)), "median": float(np.median(norms)), "values": norms}


def per_example_gradient(model, images, labels):
    """Gradient of each example's own loss (the summed loss separates per example)."""
    with tf.GradientTape() as tape:
        tape.watch(images)
        losses = keras.losses.sparse_categorical_crossentropy(
            labels, model(images, training=False), from_logits=True
        )
        total = tf.reduce_sum(losses)
    return tape.gradient(total, images)


def example_grid(model, datasets, config, count=8):
    """Clean images, amplified PGD perturbations and adversarial images, with predictions."""
    images = datasets.test_images[:count]
    labels = datasets.test_labels[:count]
    attack = attacks.make_attack(
        "pgd", config.attack_epsilon, steps=config.attack_pgd_steps, seed=config.seed
    )
    adversarial = attacks.robust_accuracy(model, images, labels, attack)[1]
    perturbation = adversarial - images
    amplified = 0.5 + perturbation / (2 * max(config.attack_epsilon, 1e-6))  # Gray is 0.
    return {
        "clean": images,
        "perturbation": np.clip(amplified, 0.0, 1.0),
        "adversarial": adversarial,
        "labels": labels,
        "clean_predictions": predict(model, images),
        "adversarial_predictions": predict(model, adversarial),
    }
