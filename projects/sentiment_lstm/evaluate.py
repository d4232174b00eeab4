"""The single use of the test set, and what the trained models show: attention, embeddings."""

import math

import keras
import numpy as np
import tensorflow as tf

from common.data import sequences
from projects.sentiment_lstm import data, model, plan


def predict_probabilities(trained, spec, texts, tokens, labels, batch_size, keep="first"):
    """P(positive) for each review, in the given order (a baseline reads text, an RNN tokens)."""
    if spec is None:
        batches = data.text_batches(texts, labels, batch_size, shuffle=False, seed=0)
        return trained.predict(batches, verbose=0).ravel()
    batches, order = data.evaluation_batches(tokens, labels, spec.max_length, batch_size, keep)
    return sequences.unsort(trained.predict(batches, verbose=0).ravel(), order)


def test_once(chosen_model, spec, reviews, config):
    """Accuracy, cross-entropy and every probability of the chosen model on the test set."""
    probabilities = predict_probabilities(
        chosen_model, spec, reviews.test_texts, reviews.test_tokens, reviews.test_labels,
        config.batch_size, reviews.keep,
    )  # fmt: skip
    labels = reviews.test_labels
    clipped = np.clip(probabilities, 1e-7, 1 - 1e-7)
    loss = -np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped))
    predictions = (probabilities >= 0.5).astype("int32")
    return {
        "accuracy": float(np.mean(predictions == labels)),
        "loss": float(loss),
        "probabilities": probabilities,
        "predictions": predictions,
    }


def insights(config, reviews, models, specs, variants, evaluation):
    """Attention highlights, embedding neighbours and the most confident right/wrong reviews."""
    recurrent = [name for name in specs if name in models]
    best_recurrent = max(recurrent, key=lambda name: _score(variants[name]), default=None)
    with_attention = [name for name in recurrent if specs[name].pooling == "attention"]
    best_attention = max(with_attention, key=lambda name: _score(variants[name]), default=None)
    highlights = []
    if best_attention is not None:
        highlights = attention_samples(
            models[best_attention], specs[best_attention], reviews, config.highlighted_reviews
        )
    neighbours = {}
    if best_recurrent is not None:
        embedding = models[best_recurrent].get_layer("embedding").embeddings
        neighbours = nearest_neighbours(
            np.asarray(embedding),
            reviews.vocabulary,
            config.neighbour_words,
            config.neighbour_count,
        )
    return {
        "position_gradients": position_gradients(config, reviews, models, specs),
        "attention_model": best_attention,
        "attention_samples": highlights,
        "embedding_model": best_recurrent,
        "neighbours": neighbours,
        "confident": confident_reviews(reviews, evaluation),
    }


def position_gradients(config, reviews, models, specs, count=64):
    """For the cells ablation: how strongly the loss depends on the word at each position."""
    curves = {}
    if "cells" not in config.ablations:
        return curves
    for label, spec in plan.ablation_rows(config)["cells"]:
        tokens = reviews.cut(reviews.validation_tokens, spec.max_length)
        full = np.flatnonzero(sequences.sequence_lengths(tokens) == spec.max_length)[:count]
        if len(full) and spec.name in models:  # reviews without padding: no mask needed
            norms = gradient_by_position(
                models[spec.name], tokens[full], reviews.validation_labels[full]
            )
            curves[label] = norms.tolist()
    return curves


def gradient_by_position(trained, tokens, labels):
    """Mean norm of dL/de_t, the loss gradient reaching the embedded word at position t.

    Backpropagation through time multiplies this gradient by one Jacobian per step between t and
    the output (book Section 10.7): if those shrink it, early words stop mattering to learning.
    """
    embedding = trained.get_layer("embedding")
    embedded = tf.convert_to_tensor(embedding(tokens))
    with tf.GradientTape() as tape:
        tape.watch(embedded)
        outputs = embedded
        for layer in trained.layers[trained.layers.index(embedding) + 1 :]:
            outputs = layer(outputs)
            outputs = outputs[0] if isinstance(outputs, (tuple, list)) else outputs
        targets = np.asarray(labels, "float32")[:, None]
        loss = keras.ops.mean(keras.losses.binary_crossentropy(targets, outputs))
    gradient = tape.gradient(loss, embedded)
    return np.linalg.norm(gradient.numpy(), axis=-1).mean(axis=0)


def _score(variant):
    value = variant["val_accuracy"]
    return -1.0 if value is None or math.isnan(value) else value


def pick_short_reviews(tokens, labels, count, longest=90):
    """Indices of `count` readable test reviews (10-`longest` tokens), alternating the classes."""
    lengths = sequences.sequence_lengths(tokens)
    readable = np.flatnonzero((lengths >= 10) & (lengths <= longest))
    if len(readable) < count:
        readable = np.argsort(lengths)[: max(count, 1)]
    by_class = [readable[labels[readable] == label] for label in (1, 0)]
    chosen = [index for pair in zip(*by_class, strict=False) for index in pair]
    return np.array(chosen[:count] or readable[:count], dtype=int)


def attention_samples(trained, spec, reviews, count):
    """A few test reviews, each word with the attention weight the model gave it."""
    tokens = reviews.cut(reviews.test_tokens, spec.max_length)
    indices = pick_short_reviews(tokens, reviews.test_labels, count)
    if len(indices) == 0:
        return []
    batch = tokens[indices]
    weights = model.attention_model(trained).predict(batch, verbose=0)
    probabilities = trained.predict(batch, verbose=0).ravel()
    vocabulary = reviews.vocabulary
    samples = []
    for row, index in enumerate(indices):
        length = int(np.count_nonzero(batch[row]))
        samples.append(
            {
                "label": f"true: {reviews.class_names[reviews.test_labels[index]]}, "
                f"P(positive) = {probabilities[row]:.2f}",
                "tokens": [vocabulary[token] for token in batch[row, :length]],
                "weights": weights[row, :length].tolist(),
            }
        )
    return samples


def nearest_neighbours(embedding, vocabulary, words, count):
    """For each word in the vocabulary, the `count` words whose embeddings are closest (cosine)."""
    norms = np.linalg.norm(embedding, axis=1, keepdims=True)
    unit = embedding / np.maximum(norms, 1e-12)
    index = {word: position for position, word in enumerate(vocabulary)}
    neighbours = {}
    for word in words:
        if word not in index or index[word] >= len(unit):
            continue
        similarity = unit @ unit[index[word]]
        similarity[[index[word], 0, 1]] = -np.inf  # not itself, padding or [UNK]
        best = np.argsort(-similarity)[:count]
        neighbours[word] = [[vocabulary[i], float(similarity[i])] for i in best]
    return neighbours


def confident_reviews(reviews, evaluation, count=3):
    """The test reviews the model was surest about, right and wrong, as text for the report."""
    probabilities, predictions = evaluation["probabilities"], evaluation["predictions"]
    confidence = np.abs(probabilities - 0.5)
    correct = predictions == reviews.test_labels
    groups = {}
    for name, members in (("right", np.flatnonzero(correct)), ("wrong", np.flatnonzero(~correct))):
        surest = members[np.argsort(-confidence[members], kind="stable")][:count]
        groups[name] = [
            {
                "label": f"P(positive) = {probabilities[i]:.3f}, true: "
                f"{reviews.class_names[reviews.test_labels[i]]}",
                "text": data.clean_html(reviews.test_texts[i]),
            }
            for i in surest
        ]
    return groups
