"""One base classifier, and the model that trains it the way its config's `variant` says.

Every variant trains the same convolutional network (book Chapter 9) from the same initial
weights; they differ only in the loss or the inputs it sees: plain, with noisy inputs (data.py),
or wrapped in `AdversarialRegularization` (regularizer.py), whose loss adds the loss on
adversarial neighbours.
"""

import dataclasses

import keras

from projects.adversarial_regularization import regularizer

NUM_CLASSES = 10


def build_base_model(config, name="classifier"):
    """Images in [0, 1] -> 10 logits: [conv-conv-pool] x 2, dense, linear output."""
    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = inputs
    for block, filters in enumerate((config.filters, config.filters * 2), start=1):
        for position in (1, 2):
            x = keras.layers.Conv2D(
                filters, 3, padding="same", activation="relu", name=f"block{block}_conv{position}"
            )(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(config.dense_units, activation="relu", name="dense")(x)
    outputs = keras.layers.Dense(NUM_CLASSES, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_model(config):
    """The model `config.variant` trains: the base network, wrapped when the loss is adversarial
    (one-step neighbours for adversarial_fgsm, `pgd_train_steps`-step PGD for adversarial_pgd)."""
    base = build_base_model(config)
    if not config.adversarial or config.adv_multiplier == 0:
        return base
    pgd = config.variant == "adversarial_pgd"
    return regularizer.AdversarialRegularization(
        base,
        adv_multiplier=config.adv_multiplier,
        adv_step_size=config.adv_step_size,
        adv_grad_norm=config.adv_grad_norm,
        pgd_steps=config.pgd_train_steps if pgd else 1,
        random_start=True if pgd else config.fgsm_random_start,
        clean_weight=config.clean_weight,
        seed=config.seed,
    )


def describe(config):
    """How the model of `config` is trained, in a few words (the report's 'training' column)."""
    if config.variant == "base":
        return "no regularization"
    if config.variant == "gaussian_noise":
        return f"Gaussian noise, sigma {config.noise_sigma}"
    if config.variant == "adversarial_pgd":
        return f"PGD-{config.pgd_train_steps} neighbours, eps {config.adv_step_size}"
    start = "from a random start" if config.fgsm_random_start else "plain FGSM"
    return (
        f"one-step neighbours ({start}), eps {config.adv_step_size}, "
        f"multiplier {config.adv_multiplier:g}"
    )


def base_of(model):
    """The plain classifier inside a trained model (itself when it was not wrapped)."""
    return model.base_model if isinstance(model, regularizer.AdversarialRegularization) else model


def hyperparameters(hp, config):
    """Keras Tuner's search space: samples the multiplier, epsilon and width into a config of
    the one-step adversarial model (`build_model` builds it)."""
    return dataclasses.replace(
        config,
        variant="adversarial_fgsm",
        adv_multiplier=hp.Float("adv_multiplier", 0.2, 2.0, sampling="log"),
        adv_step_size=hp.Choice("adv_step_size", [0.05, 0.1, 0.15]),
        filters=hp.Choice("filters", [16, 32, 48]),
        dense_units=hp.Choice("dense_units", [64, 128, 256]),
    )
