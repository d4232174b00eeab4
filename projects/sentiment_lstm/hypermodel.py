"""Keras Tuner's hypermodel: `build` samples the knobs, `fit` cuts reviews to the sampled length.

Review length is a hyperparameter of the data, not of the network, so it cannot live in `build`
alone: `fit` trims each batch (already padded to the longest choice) to the sampled length.
"""

import dataclasses

import keras_tuner

from common.data import sequences
from projects.sentiment_lstm import config as config_lib
from projects.sentiment_lstm import data, model


class SentimentHyperModel(keras_tuner.HyperModel):
    """Samples encoder, units, embedding size, dropout, learning rate and review length."""

    def __init__(self, config, steps_per_epoch):
        super().__init__(name="sentiment_lstm")
        self.config = config
        self.steps_per_epoch = steps_per_epoch

    def build(self, hp):
        sampled = dict(
            units=hp.Choice("units", [32, 64, 128]),
            embedding_size=hp.Choice("embedding_size", [32, 64, 128]),
            dropout_rate=hp.Float("dropout_rate", 0.0, 0.5, step=0.1),
            learning_rate=hp.Float("learning_rate", 3e-4, 3e-3, sampling="log"),
        )
        spec = model.Spec(
            encoder=hp.Choice("encoder", list(config_lib.ENCODERS)),
            pooling=self.config.pooling,
            dropout_placement=self.config.dropout_placement,
            max_length=hp.Choice("max_length", sorted(self.config.length_choices)),
        )
        trial_config = dataclasses.replace(self.config, **sampled)
        return model.build_recurrent(trial_config, spec, self.steps_per_epoch)

    def fit(self, hp, built_model, x, validation_data=None, **kwargs):
        length = hp.get("max_length")

        def cut(tokens, labels):
            return sequences.trim_padding(
                data.cut_tokens(tokens, length, self.config.keep_tokens), labels
            )

        return built_model.fit(x.map(cut), validation_data=validation_data.map(cut), **kwargs)
