"""What the trained models are scored on: validation accuracy for every model, the test set
once for the one chosen on validation, and what the models show: attention, embeddings.

`evaluate` returns the metrics (numbers, short texts) and arrays the report is drawn from.
"""

import math

import keras
import numpy as np
import tensorflow as tf

from common.data import sequences
from common.experiment import training
from common.report import plots
from projects.sentiment_lstm import data, model


def evaluate(config, datasets, plan, trained):
    """Summarizes every model on validation data, tests the best one once, and gathers what
    the report shows of the models (attention, embedding neighbours, confident reviews)."""
    variants = {name: summarize(trained[name].record, c) for name, c in plan.models.items()}
    if "majority" in config.baselines:
        variants["majority"] = majority(datasets)
    chosen = choose(variants)
    test = test_once(trained[chosen].model, plan.models[chosen], datasets)
    metrics = {
        "test_accuracy": test["accuracy"],
        "test_loss": test["loss"],
        "tested_model": chosen,
        "chosen_variant": chosen,
        "chosen_validation_accuracy": variants[chosen]["val_accuracy"],
        "headline_variant": model.model_name(config),
        "variants": variants,
        "training_time_seconds": sum(v["wall_time_seconds"] for v in variants.values()),
        "confusion": test["confusion"],
        "confident": confident_reviews(datasets, test),
        "train_reviews": len(datasets.train_labels),
        "validation_reviews": len(datasets.validation_labels),
        "test_reviews": len(datasets.test_labels),
        "vocabulary_words": len(datasets.vocabulary),
        "class_names": list(datasets.class_names),
        **insights(config, datasets, plan, trained, variants),
        "summary": f"test accuracy {test['accuracy']:.4f} ({chosen})",
    }
    arrays = {
        "train_review_words": np.array([len(text.split()) for text in datasets.train_texts]),
        "test_probabilities": test["probabilities"].astype("float32"),
    }
    return metrics, arrays


def summarize(record, model_config):
    """Validation accuracy and loss of one model at its early-stopping point, with its cost."""
    summary = training.summarize(record, model_config.epochs)
    best = summary["best_epoch"] - summary["first_recorded_epoch"]
    return {
        "kind": "recurrent" if model_config.variant == "recurrent" else "baseline",
        **summary,
        "val_accuracy": record["history"]["val_accuracy"][best],
    }


def majority(datasets):
    """Predict the most frequent training label for every review: the floor to beat."""
    label = int(np.bincount(datasets.train_labels, minlength=2).argmax())
    return {
        "kind": "baseline",
        "parameters": 0,
        "val_accuracy": float(np.mean(datasets.validation_labels == label)),
        "val_loss": None,
        "best_epoch": None,
        "epochs_run": 0,
        "wall_time_seconds": 0.0,
        "majority_label": label,
    }


def choose(variants):
    """The trained model with the best validation accuracy (NaN counts as worst)."""
    trained = [name for name in variants if name != "majority"]
    return max(trained, key=lambda name: score(variants[name]))


def score(variant):
    value = variant["val_accuracy"]
    return -1.0 if value is None or math.isnan(value) else value


def predict_probabilities(trained, model_config, datasets, split):
    """P(positive) for each review of a split, in its order (a baseline reads text)."""
    batches, order = datasets.evaluation_batches(split, model_config)
    probabilities = trained.predict(batches, verbose=0).ravel()
    return probabilities if order is None else sequences.unsort(probabilities, order)


def test_once(chosen_model, model_config, datasets):
    """Accuracy, cross-entropy, confusion counts and every probability of the chosen model on
    the test set."""
    probabilities = predict_probabilities(chosen_model, model_config, datasets, "test")
    labels = datasets.test_labels
    clipped = np.clip(probabilities, 1e-7, 1 - 1e-7)
    loss = -np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped))
    predictions = (probabilities >= 0.5).astype("int32")
    return {
        "accuracy": float(np.mean(predictions == labels)),
        "loss": float(loss),
        "probabilities": probabilities,
        "predictions": predictions,
        "confusion": plots.confusion_counts(labels, predictions, 2).tolist(),
    }


def insights(config, datasets, plan, trained, variants):
    """Attention highlights, embedding neighbours and gradients by word position."""
    recurrent = [name for name, c in plan.models.items() if c.variant == "recurrent"]
    best_recurrent = max(recurrent, key=lambda name: score(variants[name]), default=None)
    with_attention = [name for name in recurrent if plan.models[name].pooling == "attention"]
    best_attention = max(with_attention, key=lambda name: score(variants[name]), default=None)
    highlights, neighbours = [], {}
    if best_attention is not None:
        highlights = attention_samples(
            trained[best_attention].model, plan.models[best_attention], datasets,
            config.highlighted_reviews,
        )  # fmt: skip
    if best_recurrent is not None:
        embedding = trained[best_recurrent].model.get_layer("embedding").embeddings
        neighbours = nearest_neighbours(
            np.asarray(embedding), datasets.vocabulary, config.neighbour_words,
            config.neighbour_count,
        )  # fmt: skip
    return {
        "position_gradients": position_gradients(config, datasets, plan, trained),
        "attention_model": best_attention,
        "attention_samples": highlights,
        "embedding_model": best_recurrent,
        "neighbours": neighbours,
    }


def position_gradients(config, datasets, plan, trained):
    """For the cells ablation: how strongly the loss depends on the word at each position."""
    curves = {}
    for label, name in plan.tables.get("cells", []):
        length = plan.models[name].max_length
        tokens = datasets.cut(datasets.validation_tokens, length)
        full = np.flatnonzero(sequences.sequence_lengths(tokens) == length)
        full = full[: config.position_reviews]
        if len(full):  # reviews without padding: no mask needed
            norms = gradient_by_position(
                trained[name].model, tokens[full], datasets.validation_labels[full]
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


def pick_short_reviews(tokens, labels, count, longest=90):
    """Indices of `count` readable test reviews (10-`longest` tokens), alternating the classes."""
    lengths = sequences.sequence_lengths(tokens)
    readable = np.flatnonzero((lengths >= 10) & (lengths <= longest))
    if len(readable) < count:
        readable = np.argsort(lengths)[: max(count, 1)]
    by_class = [readable[labels[readable] == label] for label in (1, 0)]
    chosen = [index for pair in zip(*by_class, strict=False) for index in pair]
    return np.array(chosen[:count] or readable[:count], dtype=int)


def attention_samples(trained, model_config, datasets, count):
    """A few test reviews, each word with the attention weight the model gave it."""
    tokens = datasets.cut(datasets.test_tokens, model_config.max_length)
    indices = pick_short_reviews(tokens, datasets.test_labels, count)
    if len(indices) == 0:
        return []
    batch = tokens[indices]
    weights = model.attention_model(trained).predict(batch, verbose=0)
    probabilities = trained.predict(batch, verbose=0).ravel()
    vocabulary = datasets.vocabulary
    samples = []
    for row, index in enumerate(indices):
        length = int(np.count_nonzero(batch[row]))
        samples.append(
            {
                "label": f"true: {datasets.class_names[datasets.test_labels[index]]}, "
                f"P(positive) = {probabilities[row]:.2f}",
                "tokens": [vocabulary[token] for token in batch[row, :length]],
                "weights": weights[row, :length].tolist(),
            }
        )
    return samples


def nearest_neighbours(embedding, vocabulary, words, count):
    """For each of `words` in the vocabulary, the `count` words whose embeddings are closest
    (cosine). Only rows that stand for a word of `vocabulary` take part: an embedding built for a
    larger vocabulary than the data gave has rows no word maps to."""
    rows = min(len(embedding), len(vocabulary))
    unit = embedding[:rows] / np.maximum(
        np.linalg.norm(embedding[:rows], axis=1, keepdims=True), 1e-12
    )
    index = {word: position for position, word in enumerate(vocabulary[:rows])}
    neighbours = {}
    for word in words:
        if word not in index:
            continue
        similarity = unit @ unit[index[word]]
        similarity[[index[word], *range(min(2, rows))]] = -np.inf  # not itself, padding, [UNK]
        best = np.argsort(-similarity)[: min(count, max(rows - 3, 0))]
        neighbours[word] = [[vocabulary[i], float(similarity[i])] for i in best]
    return neighbours


def confident_reviews(datasets, evaluation, count=3):
    """The test reviews the model was surest about, right and wrong, as text for the report."""
    probabilities, predictions = evaluation["probabilities"], evaluation["predictions"]
    confidence = np.abs(probabilities - 0.5)
    correct = predictions == datasets.test_labels
    groups = {}
    for name, members in (("right", np.flatnonzero(correct)), ("wrong", np.flatnonzero(~correct))):
        surest = members[np.argsort(-confidence[members], kind="stable")][:count]
        groups[name] = [
            {
                "label": f"P(positive) = {probabilities[i]:.3f}, true: "
                f"{datasets.class_names[datasets.test_labels[i]]}",
                "text": data.clean_html(datasets.test_texts[i]),
            }
            for i in surest
        ]
    return groups
