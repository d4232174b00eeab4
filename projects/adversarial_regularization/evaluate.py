"""What the trained classifiers are scored on: clean and attacked test accuracy, once, at the end.

Every attack is white box (built on the model being scored) unless it says "transfer": then the
perturbations come from the base model and are shown to another model, as in NSL's tutorial.
`evaluate` scores every model and returns the results the report is drawn from.
"""

import keras
import numpy as np
import tensorflow as tf

from common.experiment import training
from common.report import plots
from projects.adversarial_regularization import attacks
from projects.adversarial_regularization import model as model_lib

HEADLINE_KEYS = ("clean_accuracy", "fgsm_accuracy", "pgd_accuracy")


def evaluate(config, datasets, plan, trained):
    """Scores every trained model on the test set (once, after all training); returns the
    metrics (numbers for tables) and the arrays (images and norms for figures)."""
    classifiers = {name: model_lib.base_of(trained[name].model) for name in plan.models}
    base = classifiers.get("base")
    transferred, transfer_labels = (
        transfer_images(base, datasets, config) if base is not None else (None, None)
    )
    variants, arrays = {}, {}
    for name, classifier in classifiers.items():
        print(f"[{name}] attacking the test set.", flush=True)
        scores = headline(classifier, datasets, config)
        scores["curves"] = robustness_curves(classifier, datasets, config)
        if transferred is not None:
            scores["transfer"] = transfer_accuracy(classifier, transferred, transfer_labels)
        norms = input_gradient_norm(classifier, datasets, config)
        arrays[f"{name}/input_gradient_norms"] = norms.pop("values")
        scores["input_gradient_norm"] = norms
        model_config = plan.models[name]
        scores["description"] = model_lib.describe(model_config)
        variants[name] = {
            **training.summarize(trained[name].record, model_config.epochs),
            **scores,
        }
        if name in dict(plan.tables.get("main", [])):
            grid = example_grid(classifier, datasets, config)
            arrays.update({f"{name}/examples/{key}": value for key, value in grid.items()})
    name = plan.headline
    metrics = {
        **{key: variants[name][key] for key in HEADLINE_KEYS},
        "headline_variant": name,
        "tested_model": name,
        "attack_epsilon": config.attack_epsilon,
        "base_fgsm_accuracy": variants.get("base", {}).get("fgsm_accuracy"),
        "variants": variants,
        "curve_epsilons": list(config.curve_epsilons),
        "class_names": list(datasets.class_names),
        "test_images": len(datasets.test_labels),
        "train_images": datasets.train_size,
        "validation_images": datasets.validation_size,
        "training_time_seconds": sum(t.record["wall_time_seconds"] for t in trained.values()),
        "summary": f"{name}: clean test accuracy {variants[name]['clean_accuracy']:.4f}, FGSM "
        f"{variants[name]['fgsm_accuracy']:.4f}, PGD-{config.attack_pgd_steps} "
        f"{variants[name]['pgd_accuracy']:.4f} at eps {config.attack_epsilon}",
    }
    return metrics, arrays


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


def input_gradient_norm(model, datasets, config):
    """Mean and median ||grad_x L||_2 over test points: how steep the loss is around the data.

    Adversarial training aims for a flat loss surface near every training point; a small input
    gradient means a small step cannot change the loss much (to first order).
    """
    images = tf.constant(datasets.test_images[: config.gradient_images])
    labels = tf.constant(datasets.test_labels[: config.gradient_images])
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


def example_grid(model, datasets, config):
    """Clean images, amplified PGD perturbations and adversarial images, with predictions."""
    images = datasets.test_images[: config.example_images]
    labels = datasets.test_labels[: config.example_images]
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
