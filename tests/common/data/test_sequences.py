"""Tests for common/data/sequences.py: batches of similar lengths with their padding trimmed."""

import numpy as np

from common.data import sequences


def padded(lengths, width=12):
    tokens = np.zeros((len(lengths), width), "int32")
    for row, length in enumerate(lengths):
        tokens[row, :length] = np.arange(1, length + 1) + 1
    return tokens


def test_trim_padding_keeps_every_token_and_cuts_the_rest():
    tokens, labels = sequences.trim_padding(padded([3, 5, 1]), np.array([0, 1, 0]))
    assert tokens.shape == (3, 5)
    np.testing.assert_array_equal(sequences.sequence_lengths(tokens.numpy()), [3, 5, 1])
    assert sequences.trim_padding(padded([0, 0]), np.zeros(2))[0].shape == (2, 1)


def test_bucketed_batches_hold_every_example_once_with_little_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 13, size=200)
    tokens, labels = padded(lengths), np.arange(200)
    dataset = sequences.bucketed_batches(tokens, labels, batch_size=10, seed=0, pool_batches=5)
    seen, widths = [], []
    for batch_tokens, batch_labels in dataset:
        seen += batch_labels.numpy().tolist()
        batch_lengths = sequences.sequence_lengths(batch_tokens.numpy())
        np.testing.assert_array_equal(batch_lengths, lengths[batch_labels.numpy()])
        widths.append(batch_tokens.shape[1] - batch_lengths.min())
    assert sorted(seen) == list(range(200)) and int(dataset.cardinality()) == 20
    assert np.mean(widths) < 3  # random batches of 10 would waste ~9 columns on their shortest
    second = [labels.numpy().tolist() for _, labels in dataset]
    assert sum(second, []) != seen  # a new order every epoch


def test_sorted_batches_and_unsort_restore_the_order():
    lengths = np.array([5, 1, 4, 2, 3])
    dataset, order = sequences.sorted_batches(padded(lengths), np.arange(5), batch_size=2)
    labels_in_order = np.concatenate([labels.numpy() for _, labels in dataset])
    np.testing.assert_array_equal(labels_in_order, order)
    np.testing.assert_array_equal(sequences.unsort(labels_in_order, order), np.arange(5))
    assert [tokens.shape[1] for tokens, _ in dataset] == [2, 4, 5]
