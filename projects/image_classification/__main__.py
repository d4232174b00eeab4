"""python -m projects.image_classification [train|tune] --preset smoke|quick|full ..."""

import sys

from common.experiment import cli
from projects.image_classification import config

PROJECT = cli.Project(
    name="image_classification",
    description="Fashion-MNIST / CIFAR-10 CNNs (plain, residual): ablations of hidden units, "
    "optimizers, regularizers, architecture and multi-task heads; the test set used once.",
    config_class=config.Config,
    run="projects.image_classification.train:run",
    tune="projects.image_classification.train:tune",
)

if __name__ == "__main__":
    sys.exit(cli.main(PROJECT))
