"""python -m projects.adversarial_regularization [train|tune] --preset smoke|quick|full ..."""

import sys

from common.experiment import cli
from projects.adversarial_regularization import config

PROJECT = cli.Project(
    name="adversarial_regularization",
    description="Fashion-MNIST classifier trained on adversarial neighbours (FGSM/PGD) against "
    "plain and noise-injected training; robustness to white-box and transfer attacks.",
    config_class=config.Config,
    run="projects.adversarial_regularization.train:run",
    tune="projects.adversarial_regularization.train:tune",
)

if __name__ == "__main__":
    sys.exit(cli.main(PROJECT))
