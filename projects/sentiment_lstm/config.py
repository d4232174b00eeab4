"""Every knob of the sentiment project, with its default and the named presets.

Each model of a run is this config with a few fields changed: `train.plan` lists them. The
fields under "This model" describe one model; their defaults describe the headline model, the
one the `full` preset is tuned for. A baseline is the config with `variant` changed.
"""

import dataclasses
import typing

from common.experiment import config as config_lib

# Recurrent encoders model.py can build (book Chapter 10): name -> (cell, bidirectional).
ENCODERS = {
    "simple_rnn": ("simple_rnn", False),  # 10.2: h_t = tanh(W h_{t-1} + U x_t + b).
    "lstm": ("lstm", False),  # 10.10.1: gated self-loop, the cell state c_t.
    "gru": ("gru", False),  # 10.10.2: update and reset gates, no separate cell state.
    "bilstm": ("lstm", True),  # 10.3: one LSTM reads left to right, one right to left.
    "bigru": ("gru", True),
}
VARIANTS = ("recurrent", "bag_of_words", "bigrams")  # A recurrent network or a linear baseline.
POOLINGS = ("last", "attention")  # The last state (10.5) or attention over all states (12.4.5.1).
DROPOUT_PLACEMENTS = ("none", "input_output", "recurrent")  # Where dropout (7.12) masks units.
ORDERS = ("bucketed", "random", "curriculum")  # Training order of the reviews (data.py).
OPTIMIZERS = ("adam", "sgd")  # sgd: momentum 0.9, where clipping bounds the step exactly.
BASELINES = ("majority", "bag_of_words", "bigrams")
ABLATIONS = ("cells", "clipping", "dropout", "attention", "curriculum", "length")


@dataclasses.dataclass(frozen=True)
class Config(config_lib.BaseConfig):
    # Data.
    vocabulary_size: int = 20_000  # Most frequent training words kept (with padding and [UNK]).
    # Which end of a longer review the models read: "last" (where the verdict tends to be, and
    # what keras-io's pad_sequences keeps) or "first".
    keep_tokens: str = "last"

    # This model. The defaults are the headline model. Measured 2026-11-30 (full data, 3 epochs,
    # attention, 384 tokens; best validation epoch, then test): BiLSTM 0.8852 / ~0.875; +
    # embedding dropout 0.3: 0.8884 / 0.8794; + the last 384 of the first 512 tokens instead of
    # the first 384: 0.8880 / 0.8808; the same as a BiGRU: 0.8992 / 0.8944. Full preset with the
    # true last 384 tokens: 0.9020 / 0.8949.
    variant: str = "recurrent"  # One of VARIANTS.
    encoder: str = "bigru"
    pooling: str = "attention"
    dropout_placement: str = "input_output"
    max_length: int = 384  # Tokens read per review: longer reviews read more of the ending.
    # Whole word vectors dropped (SpatialDropout1D): a word is missing from the review, not
    # one coordinate of every word (7.12). The embedding holds most of the parameters.
    embedding_dropout: float = 0.3
    # Plus a linear unigram + bigram logit (ngrams.py: wide and deep). Off: measured 2026-11-30
    # (3 epochs, full data) test 0.8711 with it against 0.8748 without; the encoder overfits first.
    ngram_path: bool = False
    ngram_buckets: int = 2**18  # Hashed bigram ids of that linear path.
    units: int = 64  # Units of each recurrent layer (per direction).
    embedding_size: int = 128
    attention_units: int = 64  # Width of the attention scoring network.
    dropout_rate: float = 0.3
    order: str = "bucketed"  # One of ORDERS.
    optimizer: str = "adam"  # One of OPTIMIZERS.
    global_clipnorm: float | None = None  # Clip the whole gradient to this norm (None: never).
    learning_rate_decay: str = "cosine"  # Schedule shape (common/nn/schedules.py).

    # What else is trained: baselines first, then ablations around one base model, a plain
    # LSTM that keeps its last state and reads `ablation_max_length` tokens, no word dropout.
    baselines: tuple[str, ...] = BASELINES
    ablations: tuple[str, ...] = ABLATIONS
    ablation_max_length: int = 256
    ablation_encoders: tuple[str, ...] = ("simple_rnn", "lstm", "gru", "bilstm")
    dropout_placements: tuple[str, ...] = DROPOUT_PLACEMENTS
    length_choices: tuple[int, ...] = (128, 256, 512)  # Also the tuner's choices.
    bigram_vocabulary_size: int = 60_000  # Unigrams + bigrams kept by the bigram baseline.
    linear_epochs: int = 4  # Logistic regressions are cheap; they get more epochs...
    linear_learning_rate: float = 1e-3  # ...at a constant rate.

    # Gradient clipping: the SimpleRNN under Adam, clipped at this norm or not. (Measured
    # 2026-11-30: under SGD + momentum at 0.01, 0.05, 0.1 or 0.5 it learned nothing either way in
    # 2-3 epochs; under Adam, 8,000 reviews, 3 epochs: validation 0.574 unclipped vs 0.787
    # clipped.)
    clipping_threshold: float = 1.0  # On the global norm ||g|| of the whole gradient (10.11.1).

    # Curriculum (8.7.6): shortest reviews first, all of them from `curriculum_full_data_epoch`.
    curriculum_pacing: str = "linear"  # Or "step".
    curriculum_start_fraction: float = 0.3
    curriculum_full_data_epoch: int = 2

    # Report.
    neighbour_words: tuple[str, ...] = ("excellent", "awful", "boring", "funny", "plot", "actor")
    neighbour_count: int = 6
    highlighted_reviews: int = 4  # Test reviews shown with their attention weights.
    position_reviews: int = 64  # Validation reviews for the gradient-by-position curves.

    # Training (the shared fields' defaults for this project).
    epochs: int = 3  # Upper bound for every recurrent model (early stopping may end sooner).
    batch_size: int = 64
    learning_rate: float = 2e-3  # Adam, decayed along a cosine to zero over the epochs.
    patience: int = 2

    PRESETS: typing.ClassVar[dict] = {
        "smoke": dict(
            allow_sample_data=True,
            vocabulary_size=2000,
            bigram_vocabulary_size=4000,
            max_length=64,
            ablation_max_length=64,
            units=8,
            embedding_size=8,
            attention_units=8,
            ngram_buckets=1024,
            epochs=1,
            linear_epochs=1,
            batch_size=32,
            baselines=("majority", "bigrams"),
            ablations=("attention", "clipping", "curriculum"),
            ablation_encoders=("lstm",),
            length_choices=(32, 64),
            curriculum_full_data_epoch=1,
            highlighted_reviews=2,
        ),
        "quick": dict(
            allow_sample_data=True,
            train_limit=4000,
            vocabulary_size=10_000,
            bigram_vocabulary_size=30_000,
            max_length=192,
            ablation_max_length=128,
            units=32,
            embedding_size=64,
            attention_units=32,
            epochs=2,
            linear_epochs=4,
            ablation_encoders=("simple_rnn", "lstm", "gru"),
            dropout_placements=("input_output", "recurrent"),
            length_choices=(64, 128),
            curriculum_full_data_epoch=1,
        ),
        "full": dict(),
    }

    def __post_init__(self):
        super().__post_init__()
        config_lib.check_names("keep_tokens", (self.keep_tokens,), ("first", "last"))
        for name in ("dropout_rate", "embedding_dropout"):
            config_lib.check_range(self, name, 0.0, 1.0)
        config_lib.check_range(
            self, "curriculum_start_fraction", 0.0, 1.0, include_low=False, include_high=True
        )
        config_lib.check_at_least(
            self, 1,
            ("max_length", "ablation_max_length", "units", "embedding_size", "attention_units",
             "ngram_buckets", "linear_epochs", "curriculum_full_data_epoch", "neighbour_count",
             "position_reviews"),
        )  # fmt: skip
        config_lib.check_at_least(self, 10, ("vocabulary_size", "bigram_vocabulary_size"))
        for name in ("linear_learning_rate", "clipping_threshold"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive. Received: {getattr(self, name)}")
        if self.global_clipnorm is not None and not self.global_clipnorm > 0:
            raise ValueError(f"global_clipnorm must be positive. Received: {self.global_clipnorm}")
        if not self.length_choices or min(self.length_choices) < 1:
            raise ValueError(
                f"length_choices must be lengths >= 1. Received: {self.length_choices}"
            )
        for field, known in (
            ("variant", VARIANTS), ("encoder", tuple(ENCODERS)), ("pooling", POOLINGS),
            ("dropout_placement", DROPOUT_PLACEMENTS), ("order", ORDERS),
            ("optimizer", OPTIMIZERS), ("curriculum_pacing", ("linear", "step")),
            ("learning_rate_decay", ("constant", "cosine", "linear")),
        ):  # fmt: skip
            config_lib.check_names(field, (getattr(self, field),), known)
        config_lib.check_names("ablation_encoders", self.ablation_encoders, tuple(ENCODERS))
        config_lib.check_names("dropout_placements", self.dropout_placements, DROPOUT_PLACEMENTS)
        config_lib.check_names("baselines", self.baselines, BASELINES)
        config_lib.check_names("ablations", self.ablations, ABLATIONS)

    @property
    def token_width(self):
        """The widest cut-off any model of this run reads (headline, ablations, tuner)."""
        return max(self.max_length, self.ablation_max_length, *self.length_choices)
