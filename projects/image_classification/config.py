"""Every knob of the image-classification project, with its default and the named presets."""

import dataclasses
import typing

# The hidden units model.py can build (book Section 6.3): g(z) applied after each affine map.
HIDDEN_UNIT_NAMES = ("relu", "leaky_relu", "abs_relu", "prelu", "maxout")


@dataclasses.dataclass(frozen=True)
class Config:
    # Data.
    dataset: str = "fashion_mnist"  # Only Fashion-MNIST for now; CIFAR-10 comes with issue #4.
    data_dir: str | None = None  # Folder with the data (else $DLFB_DATA_DIR, system, download).
    allow_sample_data: bool = False  # Fall back to the bundled sample when no data is found.
    train_limit: int | None = None  # Use only this many training images (None: all).
    validation_fraction: float = 0.1  # Carved from the training set; the test set is used once.
    augment: bool = True  # Random shifts of up to `shift_pixels`, done in the tf.data pipeline.
    shift_pixels: int = 2

    # Model: two convolutional blocks and a dense layer, one kind of hidden unit throughout.
    hidden_units: tuple[str, ...] = ("relu", "prelu", "maxout")  # Variants compared (model.py).
    filters: int = 32  # Feature maps of the first block; the second has twice as many.
    convs_per_block: int = 1  # 3x3 convolutions before each pooling (2 is ~4x slower).
    dense_units: int = 128
    maxout_pieces: int = 2  # Linear pieces per maxout unit (k in the book's Eq. 6.37).
    dropout_rate: float = 0.3
    # Batch-norm moving averages, used at inference, forget at rate 1 - momentum per step. At
    # 0.99 they need a few hundred steps to settle: fine for `full` (422 steps an epoch), but a
    # short run validates with stale statistics (quick preset: val accuracy 0.12-0.66 while
    # training accuracy was 0.85). The short presets use 0.9.
    batch_norm_momentum: float = 0.99

    # Training.
    seed: int = 0
    epochs: int = 12  # Upper bound: early stopping usually ends training sooner.
    batch_size: int = 128
    learning_rate: float = 2e-3  # Adam, decayed along a cosine to zero over `epochs`.
    patience: int = 4  # Epochs without a better validation loss before stopping.
    # XLA off: on 2 CPU cores it ran this network 5x slower with dropout (its random-number
    # kernels are slow there) and no faster without (measured: 50 steps 28 s vs 6 s).
    jit_compile: bool = False

    PRESETS: typing.ClassVar[dict] = {
        "smoke": dict(
            allow_sample_data=True,
            train_limit=512,
            epochs=1,
            filters=8,
            dense_units=16,
            batch_size=64,
            batch_norm_momentum=0.9,
        ),
        "quick": dict(allow_sample_data=True, train_limit=12000, epochs=4, batch_norm_momentum=0.9),
        "full": dict(),
    }

    def __post_init__(self):
        if self.dataset != "fashion_mnist":
            raise ValueError(f"dataset must be 'fashion_mnist' for now. Received: {self.dataset!r}")
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(
                f"validation_fraction must be in (0, 1). Received: {self.validation_fraction}"
            )
        if not 0.0 <= self.batch_norm_momentum < 1.0:
            raise ValueError(
                f"batch_norm_momentum must be in [0, 1). Received: {self.batch_norm_momentum}"
            )
        if not 0.0 <= self.dropout_rate < 1.0:
            raise ValueError(f"dropout_rate must be in [0, 1). Received: {self.dropout_rate}")
        for name in (
            "filters",
            "convs_per_block",
            "dense_units",
            "epochs",
            "batch_size",
            "patience",
            "maxout_pieces",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1. Received: {getattr(self, name)}")
        if self.train_limit is not None and self.train_limit < 20:
            raise ValueError(f"train_limit must be at least 20. Received: {self.train_limit}")
        if not self.hidden_units:
            raise ValueError("hidden_units must name at least one variant.")
        unknown = [name for name in self.hidden_units if name not in HIDDEN_UNIT_NAMES]
        if unknown:
            raise ValueError(f"Unknown hidden unit(s) {unknown}; choose from {HIDDEN_UNIT_NAMES}.")
