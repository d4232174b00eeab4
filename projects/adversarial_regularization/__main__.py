"""python -m projects.adversarial_regularization [train|report|tune] --preset smoke|quick|full ...

The project's parts, in the order a run uses them: config, data, the plan and the recipe
(train.py), the model, the evaluation and the report.
"""

import sys

from common.experiment import cli, skeleton
from projects.adversarial_regularization import config, data, evaluate, model, report, train

PROJECT = skeleton.Project(
    name="adversarial_regularization",
    description="Fashion-MNIST classifier trained on adversarial neighbours (FGSM/PGD) against "
    "plain and noise-injected training; robustness to white-box and transfer attacks.",
    config_class=config.Config,
    load_datasets=data.load_datasets,
    plan=train.plan,
    train_model=train.train_model,
    evaluate=evaluate.evaluate,
    build_report=report.build_report,
    build_model=model.build_model,
    hyperparameters=model.hyperparameters,
    compile_model=train.compile_model,
    tuner_objective=("val_mixed_accuracy", "max"),
)

if __name__ == "__main__":
    sys.exit(cli.main(PROJECT))
