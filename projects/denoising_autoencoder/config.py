"""Every knob of the autoencoder project, with its default and the named presets.

Each model of a run is this config with a few fields changed (`train.plan` lists them): the
fields under "This model" say what one autoencoder is (dense or convolutional, its code unit,
its noise, its penalty, its loss) and how it trains; `model.VARIANTS` names the changes that make
each autoencoder of the book's Chapter 14. The defaults describe the plain undercomplete one.
"""

import dataclasses
import typing

from common.experiment import config as config_lib

# The autoencoders model.py can build (book Chapter 14); each is one row of the main comparison.
VARIANT_NAMES = (
    "undercomplete",  # 14.1: a linear bottleneck smaller than the input.
    "denoising_gaussian",  # 14.2.2: L(x, g(f(n(x)))), n = Gaussian noise of `noise_sigma`.
    "denoising_salt_pepper",  # 14.2.2, n = salt-and-pepper noise of `salt_pepper_amount`.
    "denoising_masking",  # 14.2.2, n = masking noise of `masking_fraction`.
    "sparse_l1",  # 14.2.1: J + l1_weight * |h|_1 (add_loss).
    "sparse_kl",  # 14.2.1: J + kl_weight * sum_j KL(rho || mean h_j) (add_loss, Section 3.13).
    "contractive",  # 14.2.3, 14.7: J + contractive_weight * ||df/dx||_F^2.
    "predictive",  # 14.6: predictive sparse decomposition, h and (f, g) optimized in turns.
    "conv_denoising",  # 14.2.2 with a convolutional encoder and decoder (Chapter 9).
    "unet_denoising",  # 14.2.2 without a bottleneck: a U-Net, skip connections from f to g.
)
# Ablations around denoising_gaussian, each changing one thing (train.plan).
ABLATION_NAMES = ("loss", "output", "bottleneck", "sigma")
DATASETS = ("fashion_mnist", "cifar10")
IMAGE_SHAPES = {"fashion_mnist": (28, 28, 1), "cifar10": (32, 32, 3)}
ARCHITECTURES = ("dense", "conv", "unet")
LOSS_NAMES = ("mse", "mae", "bce", "psnr")
PENALTIES = ("none", "l1", "kl", "contractive", "predictive")
NOISE_KINDS = ("none", "gaussian", "salt_pepper", "masking")  # noise.py


@dataclasses.dataclass(frozen=True)
class Config(config_lib.BaseConfig):
    dataset: str = "fashion_mnist"  # Or "cifar10", the harder set (colour, 32x32).

    # What the run trains: the main variants, then ablations around denoising_gaussian.
    variants: tuple[str, ...] = VARIANT_NAMES
    ablations: tuple[str, ...] = ABLATION_NAMES
    loss_choices: tuple[str, ...] = ("mae", "bce", "psnr")  # Against the base model's MSE.
    code_sizes: tuple[int, ...] = (8, 128)  # Against the base model's `code_size`.
    sigma_sweep: tuple[float, ...] = (0.1, 0.3, 0.7)  # Training sigmas against `noise_sigma`.

    # This model (model.py): what it is, set per model by train.plan from model.VARIANTS.
    architecture: str = "dense"  # "dense", "conv" (bottleneck) or "unet" (skip connections).
    code_activation: str = "linear"  # The code unit of a dense encoder.
    output_activation: str = "sigmoid"
    loss: str = "mse"  # Reconstruction cost: "mse", "mae", "bce" or "psnr" (per-image log MSE).
    noise: str = "none"  # The corruption n(x) applied in training: one of NOISE_KINDS.
    penalty: str = "none"  # "l1", "kl", "contractive" or "predictive".
    # Its learning-rate schedule (common.nn.schedules.learning_rate_schedule): a linear warm-up
    # over this share of the steps, then a "cosine" or "linear" decay to zero.
    warmup_fraction: float = 0.0
    decay: str = "cosine"

    # Dense encoder f and decoder g (mirrored): `depth` hidden layers of `hidden_size` ReLUs.
    code_size: int = 32  # Units of the code h = f(x): the bottleneck.
    hidden_size: int = 256
    depth: int = 1
    # Convolutional encoder/decoder: two poolings down, two transposed convolutions up.
    conv_filters: int = 32  # Feature maps at full size (twice as many at the smaller sizes).
    conv_epochs: int = 6  # The convolutional models' epochs: they cost ~20x more per epoch.
    conv_batch_size: int = 64  # Convolutional models. More updates per second here than 128:
    # in a 120 s U-Net trial, 19.66 dB at batch 64 (lr 3e-3) vs 19.39 dB at 128 (lr 4e-3).
    # U-Net denoiser (unet.py): `unet_filters` maps at full size, 2x at half size, and
    # `unet_bottleneck_multiplier`x in the code at quarter size, where convolutions are cheap.
    unet_filters: int = 16
    unet_bottleneck_multiplier: int = 6  # With 4 code convolutions: 20.05 dB in a 300 CPU-s
    # trial against 19.97 dB for 8x and 3 convolutions (learning rate 6e-3 vs 4e-3).
    unet_code_convs: int = 4  # 3x3 convolutions at quarter size, where they are cheap.
    unet_clip_indicators: bool = True  # Input channels marking pixels clipped to 0 or 1
    # (noise.ClipIndicators): +0.03 dB at an equal 3,400 steps (20.08 vs 20.05 dB).
    unet_loss: str = "psnr"  # Per-image log MSE: minus the mean PSNR, the metric itself.
    unet_learning_rate: float = 6e-3  # In a 120 s trial, 4e-3 gave 19.39 dB against 18.99 dB
    # at 2e-3; batch normalization then added +0.24 dB; the deeper code trains well at 6e-3.
    unet_warmup_fraction: float = 0.1  # Share of the steps over which the U-Net's rate first
    # rises linearly from 0. At 2,000 steps with seeds 0 / 1: none 19.92 / 19.83 dB (cosine
    # decay); 5 % 19.97 / 19.92 (cosine), 19.99 / 19.94 (linear); 10 % 20.02 / 19.98 (linear).
    unet_decay: str = "linear"  # Then down to 0 along a "linear" or "cosine" curve: the line
    # gained +0.02 dB in each of five paired 2,000-step trials (19.99 vs 19.97 dB after a 5 %
    # warm-up with seed 0, 19.94 vs 19.92 with seed 1).

    # Noise n(x) (noise.py); the headline is Gaussian noise of sigma 0.5, clipped to [0, 1].
    noise_sigma: float = 0.5  # The Gaussian denoisers' training noise and the test noise.
    salt_pepper_amount: float = 0.2  # Probability that a pixel turns black or white.
    masking_fraction: float = 0.3  # Probability that a pixel is set to zero.
    test_limit: int | None = None  # Test images scored, a seeded subset (None: all).
    evaluation_sigmas: tuple[float, ...] = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
    grid_sigmas: tuple[float, ...] = (0.3, 0.5, 0.7)  # Gaussian levels of the image grids.
    grid_images: int = 8  # Test images per grid row (the first of each class).

    # Regularizer weights (penalties are added to a per-pixel mean reconstruction error).
    l1_weight: float = 1e-4  # On sum_j |h_j|, averaged over the batch.
    kl_weight: float = 1e-2  # On sum_j KL(rho || rho_hat_j).
    sparsity_target: float = 0.05  # rho: the wanted mean activation of each sigmoid code unit.
    contractive_weight: float = 1e-3  # lambda on ||df/dx||_F^2.
    jacobian_method: str = "closed_form"  # Or "autodiff" (tf.GradientTape.batch_jacobian).
    contractive_sample: int = 32  # Images of each batch the penalty is averaged over.
    predictive_code_steps: int = 5  # Gradient steps on h per batch (predictive variant).
    predictive_code_rate: float = 0.1  # Step size of those steps.
    predictive_weight: float = 1.0  # gamma on ||h - f(x)||^2 (mean over code units).

    # Evaluation of the codes (evaluate.py).
    jacobian_images: int = 500  # Test images on which the encoder's Jacobian norm is measured.
    jacobian_probes: int = 32  # Random projections per image for conv encoders (Hutchinson).
    active_threshold: float = 0.05  # |h_j| below this counts as an inactive code unit.
    pca_images: int = 2000  # Test images in the PCA plots of the codes.
    # Representation learning: linear probes on frozen codes, with this many labels.
    probe_label_counts: tuple[int, ...] = (100, 1000, 0)  # 0 means all training labels.
    probe_epochs: int = 10  # Epochs over the labelled set (at least 30 steps each).
    probe_learning_rate: float = 3e-3  # Adam.
    probe_batch_size: int = 256

    # Training (the shared fields' defaults for this project).
    epochs: int = 12  # Upper bound: early stopping usually ends training sooner.
    learning_rate: float = 2e-3  # Adam's peak rate (the U-Net's: unet_learning_rate).
    jit_compile: bool = False  # XLA's random-number kernels are slow on CPU (noise layers).
    steps_per_execution: int = 8  # Training steps per call into TensorFlow: measured 1.3-1.7x
    # faster than 1 for the dense models here (Python overhead dominates their small steps).

    PRESETS: typing.ClassVar[dict] = {
        "smoke": dict(
            allow_sample_data=True,
            train_limit=256,
            epochs=1,
            conv_epochs=1,
            hidden_size=32,
            code_size=8,
            conv_filters=4,
            unet_filters=4,
            variants=("undercomplete", "denoising_gaussian", "contractive", "predictive"),
            ablations=(),
            probe_label_counts=(100,),
            probe_epochs=1,
            evaluation_sigmas=(0.0, 0.5),
            batch_size=64,
        ),
        # Also the offline demo's recipe on the bundled 6,000-image sample: shorter probes, two
        # label counts, five test noise levels and fewer Hutchinson projections keep its
        # evaluation within the demo's time budget (2.5 minutes on 2 cores).
        "quick": dict(
            allow_sample_data=True,
            # Scoring is about half of a quick run (every model at several noise levels, the
            # probes): 3,000 test images, and 6,000 training images (the sample has 5,400 after
            # its validation split, so the offline demo is unchanged).
            train_limit=6000,
            test_limit=3000,
            epochs=5,
            conv_epochs=2,
            probe_epochs=4,
            probe_label_counts=(100, 0),
            evaluation_sigmas=(0.0, 0.1, 0.3, 0.5, 0.7),
            jacobian_probes=8,
        ),
        "full": dict(),
    }

    def __post_init__(self):
        super().__post_init__()
        config_lib.check_names("dataset", (self.dataset,), DATASETS)
        config_lib.check_at_least(self, 1, POSITIVE_COUNTS)
        if self.test_limit is not None:
            config_lib.check_at_least(self, 100, ("test_limit",))
        for name in ("unet_learning_rate", "probe_learning_rate"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive. Received: {getattr(self, name)}")
        config_lib.check_names("variants", self.variants, VARIANT_NAMES)
        config_lib.check_names("ablations", self.ablations, ABLATION_NAMES)
        config_lib.check_names("loss_choices", self.loss_choices, LOSS_NAMES)
        config_lib.check_names("loss", (self.loss, self.unet_loss), LOSS_NAMES)
        config_lib.check_names("architecture", (self.architecture,), ARCHITECTURES)
        config_lib.check_names("noise", (self.noise,), NOISE_KINDS)
        config_lib.check_names("penalty", (self.penalty,), PENALTIES)
        config_lib.check_range(self, "sparsity_target", 0.0, 1.0, include_low=False)
        for name in ("salt_pepper_amount", "masking_fraction", "warmup_fraction"):
            config_lib.check_range(self, name, 0.0, 1.0)
        config_lib.check_range(self, "unet_warmup_fraction", 0.0, 1.0)
        for name in ("decay", "unet_decay"):
            if getattr(self, name) not in ("cosine", "linear"):  # common.nn.schedules.DECAYS
                raise ValueError(
                    f"{name} must be 'cosine' or 'linear'. Received: {getattr(self, name)!r}"
                )
        if self.jacobian_method not in ("closed_form", "autodiff"):
            raise ValueError(
                "jacobian_method must be 'closed_form' or 'autodiff'. "
                f"Received: {self.jacobian_method!r}"
            )
        if min(self.probe_label_counts, default=0) < 0:
            raise ValueError(
                f"probe_label_counts must be >= 0. Received: {self.probe_label_counts}"
            )

    @property
    def image_shape(self):
        return IMAGE_SHAPES[self.dataset]

    @property
    def convolutional(self):
        return self.architecture in ("conv", "unet")

    @property
    def noise_level(self):
        """The level of this model's training noise, in the units of its kind."""
        return {
            "none": 0.0,
            "gaussian": self.noise_sigma,
            "salt_pepper": self.salt_pepper_amount,
            "masking": self.masking_fraction,
        }[self.noise]


POSITIVE_COUNTS = (
    "code_size", "hidden_size", "depth", "conv_filters", "conv_epochs", "conv_batch_size",
    "unet_filters", "unet_bottleneck_multiplier", "unet_code_convs", "contractive_sample",
    "probe_epochs", "probe_batch_size", "steps_per_execution", "jacobian_images",
    "jacobian_probes", "pca_images", "grid_images",
)  # fmt: skip
