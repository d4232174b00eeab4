"""python -m projects.sentiment_lstm [train|report|tune|predict] --preset smoke|quick|full ...

The project's parts, in the order a run uses them: config, data, the plan and the recipe
(train.py), the model, the evaluation, the report; predict scores a new review.
"""

import sys

from common.experiment import cli, skeleton
from projects.sentiment_lstm import config, data, evaluate, model, predict, report, train

PROJECT = skeleton.Project(
    name="sentiment_lstm",
    description="IMDB review sentiment with recurrent networks: baselines, SimpleRNN/LSTM/GRU, "
    "gradient clipping, dropout placement, attention pooling, curriculum learning, review length.",
    config_class=config.Config,
    load_datasets=data.load_datasets,
    adapt_config=data.adapt_config,
    plan=train.plan,
    train_model=train.train_model,
    evaluate=evaluate.evaluate,
    build_report=report.build_report,
    build_model=model.build_model,
    hyperparameters=model.hyperparameters,
    compile_model=train.compile_model,
    predict=predict.predict,
    batch_predictor=predict.batch_scorer,
)

if __name__ == "__main__":
    sys.exit(cli.main(PROJECT))
