"""What is trained: the headline model, then each ablation as rows that change one thing.

The ablations start from one base model, a unidirectional LSTM that keeps its last state, and
change one field of its `Spec` per row, so every difference in a table has a single cause. A spec
shared by several tables (the base model is in most of them) is trained once.
"""

import dataclasses

from projects.sentiment_lstm import model

TITLES = {
    "cells": "Recurrent cells: SimpleRNN vs LSTM vs GRU vs bidirectional",
    "clipping": "Gradient clipping (SimpleRNN, Adam)",
    "dropout": "Where dropout goes: inputs and outputs vs the recurrent state",
    "attention": "Attention pooling vs the last state",
    "curriculum": "Curriculum learning: short reviews first",
    "length": "How much of each review to read",
}
DROPOUT_LABELS = {
    "none": "no dropout",
    "input_output": "input + output dropout",
    "recurrent": "recurrent-state dropout",
}


def headline_spec(config):
    """The model the `full` preset is tuned for (config: encoder, pooling, dropout, length)."""
    return model.Spec(
        encoder=config.encoder,
        pooling=config.pooling,
        dropout_placement=config.dropout_placement,
        max_length=config.headline_max_length,
        ngram_path=config.headline_ngram_path,
        embedding_dropout=config.headline_embedding_dropout,
    )


def base_spec(config):
    """The model every ablation starts from: an LSTM that keeps its last state."""
    return model.Spec(
        encoder="lstm", dropout_placement=config.dropout_placement, max_length=config.max_length
    )


def ablation_rows(config):
    """{ablation: [(row label, Spec), ...]} for the ablations named in the config."""
    base = base_spec(config)
    change = dataclasses.replace
    simple = change(base, encoder="simple_rnn")  # Also the cells table's SimpleRNN row.
    rows = {
        "cells": [(name, change(base, encoder=name)) for name in config.ablation_encoders],
        "clipping": [
            ("no clipping", simple),
            (f"||g|| clipped at {config.clipnorm:g}", change(simple, clipnorm=config.clipnorm)),
        ],
        "dropout": [
            (DROPOUT_LABELS[placement], change(base, dropout_placement=placement))
            for placement in config.dropout_placements
        ],
        "attention": [
            ("last state", base),
            ("attention pooling", change(base, pooling="attention")),
        ],
        "curriculum": [
            ("random order", change(base, order="random")),
            ("curriculum (short first)", change(base, order="curriculum")),
        ],
        "length": [
            (f"{length} tokens", change(base, max_length=length))
            for length in config.length_choices
        ],
    }
    return {name: rows[name] for name in config.ablations}


def training_plan(config):
    """Every distinct spec to train, by name: the headline first, then the ablations' rows."""
    plan = {headline_spec(config).name: headline_spec(config)}
    for rows in ablation_rows(config).values():
        for _, spec in rows:
            plan.setdefault(spec.name, spec)
    return plan
