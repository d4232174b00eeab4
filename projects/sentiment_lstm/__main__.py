"""python -m projects.sentiment_lstm [train|tune|predict] --preset smoke|quick|full ..."""

import sys

from common.experiment import cli
from projects.sentiment_lstm import config

PROJECT = cli.Project(
    name="sentiment_lstm",
    description="IMDB review sentiment with recurrent networks: baselines, SimpleRNN/LSTM/GRU, "
    "gradient clipping, dropout placement, attention pooling, curriculum learning, review length.",
    config_class=config.Config,
    run="projects.sentiment_lstm.train:run",
    tune="projects.sentiment_lstm.train:tune",
    predict="projects.sentiment_lstm.predict:predict",
)

if __name__ == "__main__":
    sys.exit(cli.main(PROJECT))
