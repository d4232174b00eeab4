"""Every knob of the image-captioning project, with its default and the named presets.

The defaults describe the headline model: the pretrained EfficientNet-Lite0 grid, an LSTM
decoder with additive attention, dropout on the cell input, on Flickr8k. Each model of a run is
this config with some fields changed (`train.plan`).
"""

import dataclasses
import typing

from common.experiment import config as config_lib

DATASETS = ("flickr8k", "shapes", "coco")
ENCODERS = ("efficientnet", "small")
CELLS = ("lstm", "gru")
DROPOUT_PLACEMENTS = ("input", "recurrent", "none")
ORDERS = ("random", "curriculum")
ABLATIONS = ("attention", "cell", "dropout", "curriculum", "encoder", "length_head")


@dataclasses.dataclass(frozen=True)
class Config(config_lib.BaseConfig):
    # Data. Flickr8k's official split (train / dev / test); train_limit cuts the training images.
    dataset: str = "flickr8k"  # Or "shapes" (generated, exact truth) or "coco" (TFDS, online).
    evaluation_limit: int | None = None  # Validation and test images kept (None: all).
    image_size: int = 224  # Photos are stretched to this square (EfficientNet: a 7x7 grid).
    max_caption_words: int = 20  # Longer captions are cut (their end token is kept).
    min_word_count: int = 5  # Training-caption words seen fewer times become <unk>.
    vocabulary_size: int = 10_000  # An upper bound; the run sets the size its data gives.
    # The shapes set: its sizes, and its images' side. With allow_sample_data it stands in for a
    # missing Flickr8k, trained with the small encoder.
    shapes_train: int = 6000
    shapes_validation: int = 500
    shapes_test: int = 500
    shapes_image_size: int = 64
    shapes_max: int = 3  # Shapes per image, at most (1 to 3).
    # The shapes set's own recipe (None: `epochs`, `learning_rate`); with allow_sample_data the
    # set stands in for Flickr8k on all `shapes_train` images (train_limit is for photos).
    shapes_epochs: int | None = None
    shapes_learning_rate: float | None = None

    # Model.
    encoder: str = "efficientnet"  # The frozen pretrained grid, or "small" (trained end to end).
    small_filters: int = 32  # The small encoder's first block; each block doubles it.
    small_max_cells: int = 8  # Its stride-2 blocks stop at a grid this many cells a side.
    small_positions: bool = True  # Add a learned vector per cell of its grid (say where it is).
    feature_units: int = 256  # Grid cells projected to this size (keys and values).
    cell: str = "lstm"
    units: int = 512
    embedding_size: int = 256
    attention: bool = True  # False: the image enters only through the first state.
    attention_units: int = 256
    dropout_placement: str = "input"  # On the cell's input and output, or "recurrent", "none".
    dropout_rate: float = 0.3
    length_head: bool = False  # Also regress the number of words still to come.
    length_weight: float = 0.05  # Its loss weight (squared error in words).

    # Training.
    epochs: int = 12
    batch_size: int = 64
    learning_rate: float = 1e-3  # Adam, cosine decay to zero after a 5 % warm-up.
    warmup_fraction: float = 0.05
    clipnorm: float = 5.0  # Global gradient-norm clipping (book 10.11.1).
    patience: int = 3
    order: str = "random"  # Or "curriculum": short captions first (8.7.6).
    curriculum_start_fraction: float = 0.3
    curriculum_full_data_epoch: int = 3

    # Ablations: the headline's config with one change each, on a smaller budget.
    ablations: tuple[str, ...] = ABLATIONS
    ablation_epochs: int = 6
    ablation_train_limit: int | None = 3000  # Training images per ablation model.

    # Decoding and evaluation.
    # Beam 5 and alpha 0.3 were chosen on Flickr8k's validation split (README, "Decoding
    # settings"; beam 3 and alpha 0.7 before). no_repeat_ngram stays off: the shapes set's
    # captions repeat "left of" by design.
    beam_width: int = 5  # The headline's beam.
    beam_widths: tuple[int, ...] = (1, 2, 3, 5)  # The beam-width table.
    length_alpha: float = 0.3  # Beam search ranks finished captions by log p / length**alpha.
    no_repeat_ngram: int = 0  # > 0: no caption repeats a phrase of this many words.
    shown_images: int = 8  # Test images shown with their captions.
    attention_images: int = 3  # Test images shown with an attention map per word.
    dog_photos: int = 4  # Flickr8k photos of dogs whose ImageNet top-5 checks the encoder.

    PRESETS: typing.ClassVar[dict] = {
        "smoke": dict(
            allow_sample_data=True,
            dataset="shapes",
            encoder="small",
            image_size=32,
            shapes_image_size=32,
            shapes_train=200,
            shapes_validation=40,
            shapes_test=12,
            small_filters=8,
            feature_units=16,
            units=32,
            embedding_size=16,
            attention_units=16,
            epochs=1,
            ablations=("attention",),
            ablation_epochs=1,
            ablation_train_limit=None,
            min_word_count=1,
            beam_widths=(1, 2),
            shown_images=4,
            attention_images=1,
        ),
        "quick": dict(
            allow_sample_data=True,
            train_limit=2000,
            evaluation_limit=300,
            # A 5x5 grid: 160-pixel photos instead of 224 cost about half the encoder and
            # attention time; on Flickr8k, 2026-12-03, BLEU-4 12.2 against 11.7 at 224.
            image_size=160,
            shapes_train=3000,
            shapes_validation=300,
            shapes_test=300,
            units=256,
            embedding_size=128,
            epochs=6,
            # 8 epochs at 3e-3 on 3,000 shapes: 99.0 % of test captions exactly right in 149 s
            # of the offline demo (12 epochs: 98.7 % in 208 s; 6 at 1e-3 on 2,000: 24 %, barely
            # above the nearest-neighbour caption's 19 %).
            shapes_epochs=8,
            shapes_learning_rate=3e-3,
            ablations=("attention",),
            ablation_epochs=3,
            ablation_train_limit=None,
        ),
        "full": dict(),
    }

    def __post_init__(self):
        super().__post_init__()
        config_lib.check_names("dataset", (self.dataset,), DATASETS)
        config_lib.check_names("encoder", (self.encoder,), ENCODERS)
        config_lib.check_names("cell", (self.cell,), CELLS)
        config_lib.check_names("dropout_placement", (self.dropout_placement,), DROPOUT_PLACEMENTS)
        config_lib.check_names("order", (self.order,), ORDERS)
        config_lib.check_names("ablations", self.ablations, ABLATIONS)
        config_lib.check_range(self, "dropout_rate", 0.0, 1.0)
        config_lib.check_range(self, "warmup_fraction", 0.0, 1.0)
        config_lib.check_range(self, "curriculum_start_fraction", 0.0, 1.0, include_low=False,
                               include_high=True)  # fmt: skip
        config_lib.check_at_least(
            self, 1, ("max_caption_words", "min_word_count", "small_max_cells")
        )
        config_lib.check_at_least(self, 1, ("feature_units", "units", "embedding_size"))
        config_lib.check_at_least(self, 1, ("attention_units", "small_filters", "beam_width"))
        config_lib.check_at_least(self, 1, ("ablation_epochs", "shapes_train", "shapes_test"))
        config_lib.check_at_least(self, 1, ("shapes_validation", "curriculum_full_data_epoch"))
        config_lib.check_at_least(self, 0, ("shown_images", "attention_images", "dog_photos"))
        config_lib.check_at_least(self, 0, ("no_repeat_ngram",))
        config_lib.check_at_least(self, 8, ("vocabulary_size",))
        if self.shapes_epochs is not None:
            config_lib.check_at_least(self, 1, ("shapes_epochs",))
        if self.shapes_learning_rate is not None and not self.shapes_learning_rate > 0:
            raise ValueError(
                "shapes_learning_rate must be positive. "
                f"Received: shapes_learning_rate={self.shapes_learning_rate}"
            )
        config_lib.check_at_least(self, 24, ("shapes_image_size",))
        if not 1 <= self.shapes_max <= 3:
            raise ValueError(
                f"shapes_max must be 1, 2 or 3. Received: shapes_max={self.shapes_max}"
            )
        if self.encoder == "efficientnet" and (self.image_size < 32 or self.image_size % 32):
            raise ValueError(
                "The EfficientNet grid needs image_size a multiple of 32. "
                f"Received: image_size={self.image_size}"
            )
        if any(width < 1 for width in self.beam_widths) or not self.length_alpha >= 0:
            raise ValueError(
                f"Beam widths must be >= 1 and length_alpha >= 0. Received: "
                f"beam_widths={self.beam_widths}, length_alpha={self.length_alpha}"
            )

    def small_encoder_blocks(self):
        """Stride-2 blocks of the small encoder: halve the image until <= small_max_cells."""
        blocks, side = 0, self.image_size
        while side > self.small_max_cells:
            side, blocks = -(-side // 2), blocks + 1
        return blocks
