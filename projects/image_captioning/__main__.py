"""python -m projects.image_captioning [train|report|tune|predict] --preset smoke|quick|full ...

The project's parts, in the order a run uses them: config, data (readers, captions, shapes),
the plan and the recipe (train.py), the model, decoding, the evaluation and the report;
predict captions new photos.
"""

import sys

from common.experiment import cli, skeleton
from projects.image_captioning import config, data, evaluate, model, predict, report, train

PROJECT = skeleton.Project(
    name="image_captioning",
    description="Flickr8k captions from a CNN encoder (pretrained EfficientNet-Lite0 or a small "
    "CNN) and a recurrent decoder with additive attention; greedy and beam search, BLEU, "
    "baselines; a generated shapes set with exact truth.",
    config_class=config.Config,
    load_datasets=data.load_datasets,
    plan=train.plan,
    train_model=train.train_model,
    evaluate=evaluate.evaluate,
    build_report=report.build_report,
    build_model=model.build_model,
    hyperparameters=model.hyperparameters,
    compile_model=train.compile_model,
    tuner_objective=("val_loss", "min"),
    adapt_config=data.adapt_config,
    predict=predict.predict,
    batch_predictor=predict.batch_captioner,
    predict_input="image file",
)

if __name__ == "__main__":
    sys.exit(cli.main(PROJECT))
