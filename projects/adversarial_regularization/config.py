"""Every knob of the adversarial-regularization project, with its default and the named presets.

Each model of a run is this config with `variant` (and for the sweeps one more field) changed:
`train.plan` lists them. The defaults describe the headline model, `adversarial_pgd`.
"""

import dataclasses
import typing

from common.experiment import config as config_lib

# The ways of training the one classifier that the project compares (model.py, data.py).
VARIANT_NAMES = (
    "base",  # Plain empirical risk minimization.
    "gaussian_noise",  # Noise injection (book 7.5): inputs + N(0, noise_sigma^2) while training.
    "adversarial_fgsm",  # Adversarial training (7.13), one-step neighbours (NSL's recipe).
    "adversarial_pgd",  # Adversarial training with `pgd_train_steps`-step PGD neighbours.
)
NORMS = ("infinity", "l2")
IMAGE_SHAPE = (28, 28, 1)  # Fashion-MNIST, pixels scaled to [0, 1] (the attacks' box).


@dataclasses.dataclass(frozen=True)
class Config(config_lib.BaseConfig):
    # Base classifier: two blocks of two 3x3 ReLU convolutions + max pooling, a dense layer,
    # 10 logits. Logits, not probabilities, so attacks see unsaturated gradients.
    filters: int = 32  # Feature maps of the first block; the second has twice as many.
    dense_units: int = 128

    # How this model is trained: one of VARIANT_NAMES.
    variant: str = "adversarial_pgd"
    # Adversarial regularization (regularizer.py): loss + adv_multiplier * loss on neighbours.
    # Weight of the adversarial loss (NSL's default is 0.2). Measured with PGD-5 neighbours, 6
    # epochs, 2,000 test images: 1.0 gave 0.877 clean / 0.743 PGD-20 accuracy at eps 0.1; 0.5
    # trades a little robustness for the clean accuracy the issue asks for (>= 0.88).
    adv_multiplier: float = 0.5
    adv_step_size: float = 0.1  # Epsilon of the neighbourhood, in [0, 1] pixel units.
    adv_grad_norm: str = "infinity"  # Or "l2".
    # One-step neighbours from a random start of the ball ("fast adversarial training"): plain
    # FGSM training can learn to mask its gradient (robust to FGSM only; the report shows PGD).
    fgsm_random_start: bool = True
    # Steps of the PGD neighbours used in training. One-step neighbours from a random start gave
    # 0.889 clean but only 0.560 PGD-20 accuracy (multiplier 1.0, same measurement as above).
    pgd_train_steps: int = 5
    noise_sigma: float = 0.1  # gaussian_noise: same expected L2 size as an L-inf step of 0.1.
    clean_weight: float = 0.5  # Tuner objective: this * clean + (1 - this) * robust accuracy.

    # What the run trains: these variants, then sweeps around adversarial_fgsm, each changing
    # one value (empty: skipped).
    variants: tuple[str, ...] = VARIANT_NAMES
    multiplier_sweep: tuple[float, ...] = (0.2, 1.0)
    epsilon_sweep: tuple[float, ...] = (0.2,)

    # Evaluation: white-box attacks against the model being scored.
    attack_epsilon: float = 0.1  # The headline epsilon.
    attack_pgd_steps: int = 20  # PGD-20 for the headline numbers (whole test set).
    curve_epsilons: tuple[float, ...] = (0.0, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3)
    curve_examples: int = 1000  # Test images per point of the robustness curves.
    curve_pgd_steps: int = 10
    gradient_images: int = 1000  # Test images on which the input-gradient norm is measured.
    # Test images scored, a seeded random subset (None: all 10,000). Every attack of every
    # model on the whole test set is most of a quick run's time.
    test_limit: int | None = None
    example_images: int = 8  # Test images shown clean, perturbed and attacked, per model.

    # Training (the shared fields' defaults for this project).
    epochs: int = 6
    learning_rate: float = 1e-3  # Adam, decayed along a cosine to zero over `epochs`.
    jit_compile: bool = False  # XLA measured 2.6x slower here for the adversarial step.

    PRESETS: typing.ClassVar[dict] = {
        "smoke": dict(
            allow_sample_data=True,
            train_limit=256,
            epochs=1,
            filters=4,
            dense_units=16,
            batch_size=64,
            multiplier_sweep=(0.5,),
            epsilon_sweep=(),
            pgd_train_steps=2,
            attack_pgd_steps=3,
            curve_epsilons=(0.0, 0.1, 0.2),
            curve_examples=64,
            curve_pgd_steps=2,
        ),
        "quick": dict(
            allow_sample_data=True,
            # The bundled sample has 6,000 training images (5,400 after validation) and 1,000
            # test images: the limits below leave the offline demo as it was.
            train_limit=6000,
            epochs=3,  # 2 epochs on the sample: PGD-10 0.518 against the base's 0.372, too close.
            # Attacks are half of a quick run's time. On the sample (2026-12-07), PGD-2
            # neighbours, PGD-10 scoring and PGD-5 curves took 201 s instead of 232 s for
            # PGD-3 / PGD-20 / PGD-10, at 0.538 PGD accuracy against the base's 0.301.
            pgd_train_steps=2,
            attack_pgd_steps=10,
            curve_pgd_steps=5,
            multiplier_sweep=(),
            epsilon_sweep=(),
            curve_examples=500,
            curve_epsilons=(0.0, 0.05, 0.1, 0.2),
            test_limit=1000,
        ),
        "full": dict(),
    }

    def __post_init__(self):
        super().__post_init__()
        config_lib.check_at_least(
            self,
            1,
            ("filters", "dense_units", "pgd_train_steps", "attack_pgd_steps", "curve_pgd_steps"),
        )
        config_lib.check_at_least(self, 1, ("curve_examples", "gradient_images", "example_images"))
        if self.test_limit is not None:
            config_lib.check_at_least(self, 100, ("test_limit",))
        config_lib.check_names("variant", (self.variant,), VARIANT_NAMES)
        config_lib.check_names("variants", self.variants, VARIANT_NAMES)
        if not self.variants:
            raise ValueError("variants must name at least one model.")
        config_lib.check_names("adv_grad_norm", (self.adv_grad_norm,), NORMS)
        for name in ("adv_step_size", "attack_epsilon"):
            config_lib.check_range(self, name, 0.0, 1.0, include_low=False, include_high=True)
        for value in (*self.epsilon_sweep, *self.curve_epsilons):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"Every epsilon must be in [0, 1]. Received: {value}")
        for value in (self.adv_multiplier, *self.multiplier_sweep):
            if value < 0:
                raise ValueError(f"Every adv_multiplier must be >= 0. Received: {value}")
        config_lib.check_range(self, "noise_sigma", 0.0, 1.0, include_high=True)
        config_lib.check_range(self, "clean_weight", 0.0, 1.0, include_high=True)

    @property
    def adversarial(self):
        """Whether this model trains on adversarial neighbours (FGSM or PGD)."""
        return self.variant in ("adversarial_fgsm", "adversarial_pgd")
