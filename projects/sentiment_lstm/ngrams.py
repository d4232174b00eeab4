"""A linear n-gram path inside the recurrent model: "wide and deep" sentiment.

The bigram logistic regression is a hard baseline on IMDB: phrases such as "not good" or "waste
of" carry most of a review's sentiment. A recurrent encoder can learn them too, but from 22,500
reviews it overfits before it does. Adding the linear model's logit to the encoder's logit lets
each part do what it is good at (Cheng et al., 2016, "Wide & Deep"): the linear part memorizes
word and word-pair weights, the recurrent part reads order and context beyond two words. It is
one model, trained end to end by one loss (book Section 6.2.2.2).
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dlfb")
class HashedBigrams(keras.layers.Layer):
    """Maps token ids to ids of hashed unigrams and bigrams, 0 where padding is involved.

    Each position t gives its unigram id x_t and the bigram (x_t, x_{t+1}) hashed into
    `buckets` ids (the hashing trick: no bigram vocabulary needs storing; rare collisions only
    add noise to a linear model). Output ids are offset so unigrams and bigrams never collide.

    Formula:
        unigram_t = x_t;  bigram_t = vocabulary_size + 1 + (x_t * vocabulary_size + x_{t+1})
        mod buckets, for x_t, x_{t+1} > 0; else 0

    Example:

    ```python
    ids = HashedBigrams(vocabulary_size=20_000, buckets=200_000)(tokens)  # (batch, 2 * steps)
    ```

    Args:
        vocabulary_size: Number of token ids (id 0 is padding). Must be >= 2.
        buckets: Number of hashed bigram ids. Must be >= 1. Defaults to `2**18`.
    """

    def __init__(self, vocabulary_size, buckets=2**18, **kwargs):
        super().__init__(**kwargs)
        if vocabulary_size < 2:
            raise ValueError(f"vocabulary_size must be >= 2. Received: {vocabulary_size}")
        if buckets < 1:
            raise ValueError(f"buckets must be >= 1. Received: buckets={buckets}")
        self.vocabulary_size = int(vocabulary_size)
        self.buckets = int(buckets)

    @property
    def output_size(self):
        """Number of distinct output ids, padding included: the input size of an Embedding."""
        return self.vocabulary_size + 1 + self.buckets

    def call(self, tokens):
        tokens = ops.cast(tokens, "int64")
        first, second = tokens[:, :-1], tokens[:, 1:]
        hashed = ops.mod(first * self.vocabulary_size + second, self.buckets)
        valid = ops.logical_and(first > 0, second > 0)
        bigrams = ops.where(valid, hashed + self.vocabulary_size + 1, 0)
        return ops.cast(ops.concatenate([tokens, bigrams], axis=1), "int32")

    def compute_output_shape(self, input_shape):
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else 2 * steps - 1)

    def get_config(self):
        return {
            **super().get_config(),
            "vocabulary_size": self.vocabulary_size,
            "buckets": self.buckets,
        }


def linear_logit(tokens, vocabulary_size, buckets, name="ngram"):
    """The wide path: the mean of one learned weight per unigram and bigram of the review."""
    hashing = HashedBigrams(vocabulary_size, buckets, name=f"{name}_hashing")
    weights = keras.layers.Embedding(
        hashing.output_size,
        1,
        mask_zero=True,
        embeddings_initializer="zeros",
        name=f"{name}_weights",
    )(hashing(tokens))
    return keras.layers.GlobalAveragePooling1D(name=f"{name}_mean")(weights)
