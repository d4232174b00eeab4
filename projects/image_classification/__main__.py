"""python -m projects.image_classification [train|report|tune] --preset smoke|quick|full ...

The project's parts, in the order a run uses them: config, data, the plan and the recipe
(train.py, with the ablation rows of ablations.py), the model (model.py, blocks.py), the
evaluation and the report.
"""

import sys

from common.experiment import cli, skeleton
from projects.image_classification import config, data, evaluate, model, report, train

PROJECT = skeleton.Project(
    name="image_classification",
    description="Fashion-MNIST / CIFAR-10 CNNs (plain, residual): ablations of hidden units, "
    "optimizers, regularizers, architecture and multi-task heads; the test set used once.",
    config_class=config.Config,
    load_datasets=data.load_datasets,
    plan=train.plan,
    train_model=train.train_model,
    evaluate=evaluate.evaluate,
    build_report=report.build_report,
    build_model=model.build_model,
    hyperparameters=model.hyperparameters,
    compile_model=train.compile_model,
)

if __name__ == "__main__":
    sys.exit(cli.main(PROJECT))
