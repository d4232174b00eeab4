"""Sentences whose direction is chosen from the numbers: two hand-made tables, one each way."""

from common.report import sentences


def test_trend_follows_the_table_either_way():
    rising = [(0.1, 0.905), (0.2, 0.919)]  # (training eps, clean accuracy): clean goes up.
    falling = [(0.1, 0.520), (0.2, 0.286)]  # PGD accuracy goes down as eps grows.
    assert sentences.trend("clean accuracy", [y for _, y in rising]) == (
        "clean accuracy rises (0.905 -> 0.919)"
    )
    assert sentences.trend("PGD accuracy", [y for _, y in falling]) == (
        "PGD accuracy falls (0.520 -> 0.286)"
    )
    assert sentences.direction([1, 3, 2]) == "moves both ways"
    assert sentences.direction([2, 2]) == "stays level"


def test_compare_and_best_agree_with_the_numbers():
    # The sigma sweep of the denoising report: the sigma 0.1 model beat the sigma 0.5 one.
    assert sentences.compare("sigma 0.1", 14.78, "sigma 0.5", 14.06, fmt="{:.2f}", unit=" dB") == (
        "sigma 0.1 (14.78 dB) is above sigma 0.5 (14.06 dB)"
    )
    assert "is below" in sentences.compare("a", 0.1, "b", 0.2)
    assert sentences.best({"a": 0.2, "b": 0.9, "c": float("nan")}) == "b (0.900)"
    assert sentences.best({"a": 0.2, "b": 0.9}, higher_is_better=False) == "a (0.200)"


def test_proportional_reads_the_cost_table():
    # The sentiment report's length ablation: 512 tokens took 80.2 s and 256 took 89.3 s.
    assert sentences.proportional([128, 256, 512], [45.0, 89.3, 80.2]) == "grows more slowly than"
    assert sentences.proportional([128, 256], [40.0, 81.0]) == "grows in proportion to"
    assert sentences.proportional([128, 256], [40.0, 30.0]) == "does not grow with"


def test_early_stopping_note_only_when_it_did_not_fire():
    fired = {
        "early_stopping": {"stopped_epoch": 3, "best_epoch": 1},
        "history": {"val_loss": [1] * 4},
    }
    last = {
        "early_stopping": {"stopped_epoch": None, "best_epoch": 3},
        "history": {"val_loss": [1] * 4},
    }
    assert sentences.early_stopping([fired, last]) == ""
    assert "still improving" in sentences.early_stopping([last])
