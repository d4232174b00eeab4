"""The keras-io "Image Captioning" recipe (A_K_Nain, keras.io/examples/vision/image_captioning),
re-created over the image captioning project's encoder, as the benchmark's reference row.

The recipe: a frozen EfficientNet's grid of features; a transformer encoder block over the grid
(layer norm, a dense ReLU projection to 512, one-head self-attention, a residual connection and
layer norm); a transformer decoder block over the caption (token embedding x sqrt(512) plus a
learned position embedding; causal two-head self-attention, then two-head cross-attention on the
encoded grid, each with attention dropout 0.1, a residual connection and layer norm; a 512-unit
ReLU feed-forward layer with dropout 0.3, a residual connection and layer norm; dropout 0.5; a
softmax over the vocabulary). Adam at 1e-4 after a linear warm-up over the first 1/15 of
training, cross-entropy averaged over real words only.

What changes here, so that only the decoders differ from ours: the encoder is the project's
(`model.build_encoder`: the cached EfficientNet-Lite0 grid, or the small CNN on the shapes set),
the vocabulary, captions and batches are the project's (`Datasets.train`: one shuffled (image,
caption) pair per example, where the recipe steps through an image's five captions in turn),
there is no image augmentation (the frozen grids are computed once), and the warm-up covers
1/15 of the time budget rather than of 30 epochs. The recipe's padding masks are left to
`use_causal_mask` and the loss's `ignore_class=0`: captions are padded at the end only, so a
real word's causal window holds no padding, and padded positions never reach the loss.
"""

import math
import warnings

import keras
import numpy as np

from common.nn import callbacks
from projects.image_captioning import decode
from projects.image_captioning import model as model_lib

EMBED_DIM = 512  # The recipe's EMBED_DIM and FF_DIM.
FEED_FORWARD_DIM = 512
ENCODER_HEADS, DECODER_HEADS = 1, 2
LEARNING_RATE = 1e-4  # Its LRSchedule's post_warmup_learning_rate.
WARMUP_FRACTION = 1 / 15  # Its warm-up: num_train_steps // 15.


@keras.saving.register_keras_serializable(package="benchmarks")
class PositionalEmbedding(keras.layers.Layer):
    """Word ids -> token embedding x sqrt(dim) plus a learned embedding of each position."""

    def __init__(self, sequence_length, vocabulary_size, dim, **kwargs):
        super().__init__(**kwargs)
        self.sequence_length, self.vocabulary_size, self.dim = sequence_length, vocabulary_size, dim
        self.tokens = keras.layers.Embedding(vocabulary_size, dim)
        self.positions = keras.layers.Embedding(sequence_length, dim)

    def call(self, words):
        positions = keras.ops.arange(keras.ops.shape(words)[-1])
        return self.tokens(words) * math.sqrt(self.dim) + self.positions(positions)

    def get_config(self):
        return {
            **super().get_config(),
            "sequence_length": self.sequence_length,
            "vocabulary_size": self.vocabulary_size,
            "dim": self.dim,
        }


def build_image_encoder(config):
    """The project's encoder, then the recipe's TransformerEncoderBlock over its grid."""
    image = keras.Input(shape=model_lib.encoder_input_shape(config), name="image")
    grid = keras.layers.LayerNormalization(name="encoder_norm_1")(
        model_lib.build_encoder(config)(image)
    )
    grid = keras.layers.Dense(EMBED_DIM, activation="relu", name="encoder_projection")(grid)
    attended = keras.layers.MultiHeadAttention(ENCODER_HEADS, EMBED_DIM, name="encoder_attention")(
        grid, grid
    )
    encoded = keras.layers.LayerNormalization(name="encoder_norm_2")(grid + attended)
    return keras.Model(image, encoded, name="image_encoder")


def build_caption_decoder(config):
    """The recipe's TransformerDecoderBlock: (encoded grid, words in) -> next-word probabilities
    at every position, each seeing only the words up to its own (the causal mask)."""
    encoded = keras.Input(shape=(None, EMBED_DIM), name="encoded")
    words = keras.Input(shape=(None,), dtype="int32", name="words")
    x = PositionalEmbedding(config.max_caption_words + 1, config.vocabulary_size, EMBED_DIM)(words)
    attention = keras.layers.MultiHeadAttention(
        DECODER_HEADS, EMBED_DIM, dropout=0.1, name="self_attention"
    )(x, x, use_causal_mask=True)
    x = keras.layers.LayerNormalization(name="decoder_norm_1")(x + attention)
    attention = keras.layers.MultiHeadAttention(
        DECODER_HEADS, EMBED_DIM, dropout=0.1, name="cross_attention"
    )(x, encoded)
    x = keras.layers.LayerNormalization(name="decoder_norm_2")(x + attention)
    forward = keras.layers.Dense(FEED_FORWARD_DIM, activation="relu", name="feed_forward_1")(x)
    forward = keras.layers.Dropout(0.3, name="feed_forward_dropout")(forward)
    forward = keras.layers.Dense(EMBED_DIM, name="feed_forward_2")(forward)
    x = keras.layers.LayerNormalization(name="decoder_norm_3")(x + forward)
    x = keras.layers.Dropout(0.5, name="output_dropout")(x)
    probabilities = keras.layers.Dense(
        config.vocabulary_size, activation="softmax", name="next_word"
    )(x)
    return keras.Model([encoded, words], probabilities, name="caption_decoder")


def build_model(config):
    """The captioner for teacher forcing, with the project's inputs and outputs: {image, words
    in} -> {next_word}. Its parts `image_encoder` and `caption_decoder` serve `StepDecoder`."""
    image = keras.Input(shape=model_lib.encoder_input_shape(config), name="image")
    words = keras.Input(shape=(None,), dtype="int32", name="words")
    encoded = build_image_encoder(config)(image)
    probabilities = build_caption_decoder(config)([encoded, words])
    return keras.Model(
        {"image": image, "words": words}, {"next_word": probabilities}, name="keras_io_captioner"
    )


def compile_model(captioner):
    """Adam at a rate that `Warmup` sets before every batch; the project's masked loss and
    accuracy (the recipe's `calculate_loss` and `calculate_accuracy`)."""
    captioner.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss={"next_word": keras.losses.SparseCategoricalCrossentropy(ignore_class=0)},
        metrics={"next_word": [model_lib.MaskedAccuracy(name="accuracy")]},
    )


class Warmup(keras.callbacks.Callback):
    """The recipe's schedule over a time budget: the rate rises linearly from 0 over the first
    `WARMUP_FRACTION` of `seconds` of `clock`, then stays at `LEARNING_RATE`. Time spent in
    earlier `fit()` calls counts, so the schedule continues across turns of a race."""

    def __init__(self, seconds, clock="process"):
        super().__init__()
        self.warmup_seconds = WARMUP_FRACTION * seconds
        self._now = callbacks.clock_function(clock)
        self.spent_before = 0.0

    def on_train_begin(self, logs=None):
        self.start = self._now()

    def on_train_batch_begin(self, batch, logs=None):
        spent = self.spent_before + self._now() - self.start
        rate = LEARNING_RATE * min(1.0, spent / max(self.warmup_seconds, 1e-9))
        self.model.optimizer.learning_rate.assign(rate)

    def on_train_end(self, logs=None):
        self.spent_before += self._now() - self.start


class StepDecoder:
    """The transformer behind the interface of the project's `decode.Decoder`, so that
    `decode.greedy` and `decode.beam_search` write its captions too. A transformer has no
    recurrent state: its "state" is the words written so far, and every step reruns the
    decoder on them and keeps the last position's probabilities."""

    attention = False  # No per-step attention map to return.

    def __init__(self, captioner):
        self.image_encoder = captioner.get_layer("image_encoder")
        self.caption_decoder = captioner.get_layer("caption_decoder")

    def encode(self, encoder_inputs, training=False):
        encoded = self.image_encoder(encoder_inputs, training=training)
        return [encoded, np.zeros((len(encoder_inputs), 0), "int32")]

    def run_step(self, encoded, words, states):
        written = np.concatenate([states[0], words[:, None].astype("int32")], axis=1)
        with warnings.catch_warnings():  # The first word attends to itself alone: a softmax
            warnings.filterwarnings("ignore", message="You are using a softmax over axis")
            probabilities = self.caption_decoder([encoded, written], training=False)
        probabilities = keras.ops.convert_to_numpy(probabilities)[:, -1].copy()
        probabilities[:, list(decode.NEVER_WRITTEN)] = 0.0
        return probabilities, [written], None
