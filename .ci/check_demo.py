"""Checks what `make demo` left in REPORTS (runs/reports): every project's report, each headline
clearly above chance on the bundled samples. Exit 1 with one line per problem."""

import json
import pathlib
import sys


def accuracy(minimum):
    def check(metrics):
        value = metrics["test_accuracy"]
        return value >= minimum, f"test accuracy {value:.4f} (needs >= {minimum})"

    return check


def denoising(metrics):
    gain = metrics["test_psnr"] - metrics["noisy_input_psnr"]
    return gain >= 4.0, f"PSNR {metrics['test_psnr']:.2f} dB, {gain:+.2f} dB over the noisy input"


def adversarial(metrics):
    gain = metrics["pgd_accuracy"] - metrics["variants"]["base"]["pgd_accuracy"]
    return gain >= 0.20, f"PGD accuracy {metrics['pgd_accuracy']:.4f}, {gain:+.4f} over base"


def captioning(metrics):
    nearest = metrics["baselines"]["nearest neighbour"]
    gain = metrics["test_exact"] - nearest["exact"]
    line = (
        f"{metrics['test_exact']:.1%} captions exactly right on {metrics['dataset']}, "
        f"{100 * gain:+.1f} points over the nearest-neighbour baseline's "
        f"{nearest['exact']:.1%}; BLEU-4 {metrics['test_bleu4']:.1f}"
    )
    return gain >= CAPTIONING_GAIN and metrics["test_bleu4"] > nearest["bleu4"], line


CAPTIONING_GAIN = 0.30
# The demo's promise (README): each idea visibly at work on the bundled samples.
CHECKS = {
    "image_classification": accuracy(0.70),
    "sentiment_lstm": accuracy(0.65),
    "image_captioning": captioning,
    "denoising_autoencoder": denoising,
    "adversarial_regularization": adversarial,
}


def main(reports):
    reports, problems = pathlib.Path(reports), []
    if not (reports / "index.html").exists():
        problems.append(f"{reports}/index.html is missing")
    for project, check in CHECKS.items():
        path = reports / project / "metrics.json"
        if not path.exists() or not (reports / project / "index.html").exists():
            problems.append(f"{project}: no report in {reports / project}")
            continue
        saved = json.loads(path.read_text())
        passed, line = check(saved["metrics"])
        print(f"{project}: {line}{'' if saved.get('is_sample') else ' (not the sample!)'}")
        if not passed:
            problems.append(f"{project}: {line}")
    for problem in problems:
        print(f"demo check failed: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "runs/reports"))
