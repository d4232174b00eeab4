"""The models: recurrent encoders over word embeddings, and logistic-regression baselines.

Every model ends in one sigmoid unit, P(positive | review): with a Bernoulli output, minimizing
binary cross-entropy is maximizing the likelihood of the training labels (book Section 6.2.2.2).
A recurrent model reads the embedded words one step at a time (Chapter 10) and summarizes the
review by its last state or by attention over all states; padded steps are masked.
"""

import dataclasses

import keras

from common.nn import attention, gradients
from projects.sentiment_lstm import config as config_lib
from projects.sentiment_lstm import data, ngrams

CELLS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


@dataclasses.dataclass(frozen=True)
class Spec:
    """One recurrent model and how it is trained: each ablation row changes one field."""

    encoder: str  # A key of config.ENCODERS.
    pooling: str = "last"  # "last" state or "attention" over all states.
    dropout_placement: str = "input_output"  # "none", "input_output" or "recurrent".
    max_length: int = 256  # Tokens read per review.
    optimizer: str = "adam"  # "adam", or "sgd" (momentum 0.9: clipping bounds its step exactly).
    clipnorm: float | None = None  # Clip the global gradient norm to this value.
    order: str = "bucketed"  # Training order: "bucketed", "random" or "curriculum".
    ngram_path: bool = False  # Add a linear unigram + bigram logit (ngrams.py: wide and deep).
    embedding_dropout: float = 0.0  # Drop whole word vectors (SpatialDropout1D) in training.

    @property
    def name(self):
        """A folder-friendly name, e.g. "lstm-last-io-256" or "simple_rnn-last-io-256-sgd-clip1"."""
        dropout = {"none": "nodrop", "input_output": "io", "recurrent": "rec"}
        parts = [self.encoder, self.pooling, dropout[self.dropout_placement], str(self.max_length)]
        if self.optimizer != "adam":
            parts.append(self.optimizer)
        if self.clipnorm is not None:
            parts.append(f"clip{self.clipnorm:g}")
        if self.order != "bucketed":
            parts.append(self.order)
        if self.ngram_path:
            parts.append("ngrams")
        if self.embedding_dropout:
            parts.append(f"embdrop{self.embedding_dropout:g}")
        return "-".join(parts)


def build_recurrent(config, spec, steps_per_epoch):
    """Embedding (padding masked) -> recurrent encoder -> pooling -> sigmoid, compiled."""
    tokens = keras.Input(shape=(None,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(
        config.vocabulary_size, config.embedding_size, mask_zero=True, name="embedding"
    )(tokens)
    if spec.embedding_dropout:
        x = keras.layers.SpatialDropout1D(spec.embedding_dropout, name="word_dropout")(x)
    cell, bidirectional = config_lib.ENCODERS[spec.encoder]
    rate = config.dropout_rate
    encoder = CELLS[cell](
        config.units,
        return_sequences=spec.pooling == "attention",
        dropout=rate if spec.dropout_placement == "input_output" else 0.0,
        recurrent_dropout=rate if spec.dropout_placement == "recurrent" else 0.0,
        name=cell,
    )
    if bidirectional:
        encoder = keras.layers.Bidirectional(encoder, name=f"bidirectional_{cell}")
    states = encoder(x)
    if spec.pooling == "attention":
        pooled, _ = attention.AttentionPooling(
            config.attention_units, return_weights=True, name="attention"
        )(states)
    else:
        pooled = states
    if spec.dropout_placement == "input_output":
        pooled = keras.layers.Dropout(rate, name="output_dropout")(pooled)
    if spec.ngram_path:
        logit = keras.layers.Add(name="wide_and_deep")(
            [
                keras.layers.Dense(1, name="recurrent_logit")(pooled),
                ngrams.linear_logit(tokens, config.vocabulary_size, config.ngram_buckets),
            ]
        )
        probability = keras.layers.Activation("sigmoid", name="positive")(logit)
    else:
        probability = keras.layers.Dense(1, activation="sigmoid", name="positive")(pooled)
    model = gradients.GradientNormModel(tokens, probability, name=spec.name.replace("-", "_"))
    compile_model(model, make_optimizer(config, spec, steps_per_epoch))
    return model


def make_optimizer(config, spec, steps_per_epoch):
    """Adam with cosine decay, or SGD with momentum (where clipping bounds the step exactly).

    Keras' `global_clipnorm` rescales the whole gradient g to norm at most c (the book's clipping,
    Section 10.11.1), where `clipnorm` would clip each weight's gradient on its own.
    """
    if spec.optimizer == "sgd":
        return keras.optimizers.SGD(
            config.clipping_learning_rate, momentum=0.9, global_clipnorm=spec.clipnorm
        )
    schedule = keras.optimizers.schedules.CosineDecay(
        config.learning_rate, decay_steps=max(1, config.epochs * steps_per_epoch)
    )
    return keras.optimizers.Adam(schedule, global_clipnorm=spec.clipnorm)


def compile_model(model, optimizer):
    model.compile(
        optimizer=optimizer,
        loss="binary_crossentropy",
        metrics=[keras.metrics.BinaryAccuracy(name="accuracy")],
    )


def build_linear(config, ngrams, train_texts):
    """Logistic regression on TF-IDF word (ngrams=1) or word + bigram (ngrams=2) counts.

    The vocabulary and IDF weights are adapted on the training texts only. The model reads raw
    text, so it can be saved and used on its own.
    """
    vectorizer = data.make_vectorizer(
        config.vocabulary_size if ngrams == 1 else config.bigram_vocabulary_size,
        None,
        ngrams=ngrams if ngrams > 1 else None,
        output_mode="tf_idf",
        name="tf_idf",
    )
    vectorizer.adapt(data.text_batches(train_texts, None, 512, shuffle=False, seed=0))
    text = keras.Input(shape=(), dtype="string", name="text")
    probability = keras.layers.Dense(1, activation="sigmoid", name="positive")(vectorizer(text))
    model = keras.Model(text, probability, name="bigrams" if ngrams > 1 else "bag_of_words")
    compile_model(model, keras.optimizers.Adam(config.linear_learning_rate))
    return model


def attention_model(model):
    """A model from token ids to the attention weights of `model`, or None if it has none."""
    try:
        attention = model.get_layer("attention")
    except ValueError:
        return None
    return keras.Model(model.inputs, attention.output[1])


def text_model(model, vocabulary, length, keep="first"):
    """`model` behind a vectorizer with the same vocabulary: raw text in, probability out; it
    reads the first or the last `length` tokens of the text, as the model did in training.

    The model is cloned without its optimizer, so the saved file holds only what predicting needs.
    """
    width = length if keep == "first" else None
    vectorizer = data.make_vectorizer(None, width, vocabulary=vocabulary, name="vectorizer")
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    text = keras.Input(shape=(), dtype="string", name="text")
    tokens = vectorizer(text)
    if keep == "last":
        tokens = data.LastTokens(length, name="last_tokens")(tokens)
    return keras.Model(text, clone(tokens), name="sentiment")
