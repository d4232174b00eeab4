"""The adversarial-regularization benchmark: smoke preset on the bundled sample, end to end."""

import json

from benchmarks import adversarial_regularization


def test_smoke_scores_base_and_headline_and_writes_both_files(offline_sample_only, tmp_path):
    # The bundled sample (1,000 test images): every attack runs on the whole test set.
    path = adversarial_regularization.run(
        "smoke", workdir=tmp_path / "runs", output_dir=tmp_path / "results"
    )
    document = json.loads(path.read_text())
    rows = {row["name"]: row for row in document["results"]}
    assert list(rows) == ["base", "adversarial_pgd"]
    for row in rows.values():
        assert not row["trained_by_an_earlier_run"] and row["epochs_run"] == 1
        for key in ("clean_accuracy", "fgsm_accuracy", "pgd_accuracy"):
            assert 0.0 <= row[key] <= 1.0
        assert set(row["transfer"]) == {"fgsm", "pgd"}
    assert rows["base"]["transfer"]["fgsm"] == rows["base"]["fgsm_accuracy"]
    assert set(document["seconds_per_training_step"]) == {
        "base", "gaussian_noise", "adversarial_fgsm", "adversarial_pgd"
    }  # fmt: skip
    assert document["step_time_ratio_vs_base"]["base"] == 1.0
    assert set(document["targets_met"]) == set(adversarial_regularization.TARGETS)
    assert document["metadata"]["preset"] == "benchmark-smoke"
    assert "| adversarial_pgd |" in path.with_suffix(".md").read_text()
