"""One base classifier, and the ways of training it that the project compares.

Every variant trains the same convolutional network (book Chapter 9) from the same initial
weights; they differ only in the loss or the inputs it sees. `training_plan` names each model
and what is different about it, so the report can put them side by side.
"""

import dataclasses

import keras

from projects.adversarial_regularization import regularizer

NUM_CLASSES = 10
IMAGE_SHAPE = (28, 28, 1)


@dataclasses.dataclass(frozen=True)
class Variant:
    """How one model of the comparison is trained."""

    description: str
    adv_multiplier: float = 0.0  # 0: no adversarial term.
    adv_step_size: float = 0.1
    pgd_steps: int = 1
    random_start: bool = False
    noise_sigma: float = 0.0  # Gaussian noise added to training inputs (pipeline).
    group: str = "main"  # "main", "multiplier sweep" or "epsilon sweep".


def training_plan(config):
    """{name: Variant} for every model the config asks for, main comparison first."""
    main = main_variants(config)
    plan = {name: main[name] for name in config.variants}
    fgsm = main["adversarial_fgsm"]  # The sweeps change one of its values each.
    for multiplier in config.multiplier_sweep:
        plan[f"fgsm_multiplier_{multiplier:g}"] = dataclasses.replace(
            fgsm,
            description=f"adversarial_fgsm with adv_multiplier {multiplier:g}",
            adv_multiplier=multiplier,
            group="multiplier sweep",
        )
    for epsilon in config.epsilon_sweep:
        plan[f"fgsm_epsilon_{epsilon:g}"] = dataclasses.replace(
            fgsm,
            description=f"adversarial_fgsm with eps {epsilon:g}",
            adv_step_size=epsilon,
            group="epsilon sweep",
        )
    return plan


def main_variants(config):
    """The four models of the main comparison, whichever of them `config.variants` names."""
    adversarial = dict(
        adv_multiplier=config.adv_multiplier,
        adv_step_size=config.adv_step_size,
        random_start=config.fgsm_random_start,
    )
    fgsm_kind = "from a random start" if config.fgsm_random_start else "plain FGSM"
    return {
        "base": Variant("no regularization"),
        "gaussian_noise": Variant(
            f"Gaussian noise, sigma {config.noise_sigma}", noise_sigma=config.noise_sigma
        ),
        "adversarial_fgsm": Variant(
            f"one-step neighbours ({fgsm_kind}), eps {config.adv_step_size}", **adversarial
        ),
        "adversarial_pgd": Variant(
            f"PGD-{config.pgd_train_steps} neighbours, eps {config.adv_step_size}",
            **{**adversarial, "pgd_steps": config.pgd_train_steps, "random_start": True},
        ),
    }


def build_base_model(config, name="classifier"):
    """Images in [0, 1] -> 10 logits: [conv-conv-pool] x 2, dense, linear output."""
    inputs = keras.Input(shape=IMAGE_SHAPE, name="image")
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


def build_model(config, variant, steps_per_epoch):
    """The compiled model for `variant`: the base network, wrapped when the loss is adversarial."""
    base = build_base_model(config)
    if variant.adv_multiplier > 0:
        model = regularizer.AdversarialRegularization(
            base,
            adv_multiplier=variant.adv_multiplier,
            adv_step_size=variant.adv_step_size,
            adv_grad_norm=config.adv_grad_norm,
            pgd_steps=variant.pgd_steps,
            random_start=variant.random_start,
            clean_weight=config.clean_weight,
            seed=config.seed,
        )
    else:
        model = base
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=max(1, config.epochs * steps_per_epoch)
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=schedule),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=config.jit_compile,
    )
    return model


def base_of(model):
    """The plain classifier inside a trained model (itself when it was not wrapped)."""
    return model.base_model if isinstance(model, regularizer.AdversarialRegularization) else model


def build_hypermodel(config, steps_per_epoch):
    """Keras Tuner's `build(hp)`: samples the multiplier, epsilon and width, then builds."""

    def build(hp):
        sampled = dict(
            adv_multiplier=hp.Float("adv_multiplier", 0.2, 2.0, sampling="log"),
            adv_step_size=hp.Choice("adv_step_size", [0.05, 0.1, 0.15]),
            filters=hp.Choice("filters", [16, 32, 48]),
            dense_units=hp.Choice("dense_units", [64, 128, 256]),
        )
        trial_config = dataclasses.replace(config, **sampled)
        return build_model(
            trial_config, main_variants(trial_config)["adversarial_fgsm"], steps_per_epoch
        )

    return build
