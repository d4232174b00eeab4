"""The sentiment project: text preprocessing, every recurrent cell, clipping, attention, the
curriculum, the plan, the tuner, a smoke run with its rebuilt report, and predict."""

import dataclasses
import io
import json
import types

import keras
import numpy as np
import pytest

from common.experiment import config as config_lib
from common.report import report as report_lib
from projects.sentiment_lstm import __main__ as sentiment_main
from projects.sentiment_lstm import config as project_config
from projects.sentiment_lstm import data, evaluate, model, ngrams, predict, report_reading, train
from tests.projects import conftest

TINY = dict(vocabulary_size=50, embedding_size=4, units=3, attention_units=3, max_length=6)
ONE_STEP = types.SimpleNamespace(steps_per_epoch=lambda config: 1)  # compile_model's datasets


def smoke_config(**changes):
    return config_lib.from_preset(project_config.Config, "smoke", **changes)


def compiled(**changes):
    """The recurrent model of a tiny smoke config with `changes`, compiled by the recipe and run
    eagerly: these tests take a step or two, and tracing a bidirectional RNN into a graph costs
    seconds (the smoke run trains the compiled graph)."""
    config = smoke_config(**{**TINY, **changes})
    keras.utils.set_random_seed(config.seed)  # The same initial weights whatever ran before.
    network = model.build_model(config)
    train.compile_model(network, config, ONE_STEP)
    network.run_eagerly = True
    return network


def token_batch():
    """Two reviews of 5 and 2 tokens, padded with 0 to 6."""
    return np.array([[5, 6, 7, 8, 9, 0], [3, 4, 0, 0, 0, 0]], "int32"), np.array([1, 0])


def weights_of(network):
    return [np.array(weight) for weight in network.trainable_weights]


def test_vectorizer_adapts_on_the_training_split_only(offline_sample_only):
    reviews = data.load_datasets(smoke_config(vocabulary_size=100_000))
    train_words = {
        word
        for text in data.standardize_review(reviews.train_texts).numpy()
        for word in text.decode().split()
    }
    vocabulary = reviews.vocabulary
    assert vocabulary[:2] == ["", "[UNK]"] and set(vocabulary[2:]) == train_words
    unseen = {
        word
        for text in data.standardize_review(reviews.test_texts).numpy()
        for word in text.decode().split()
    } - train_words
    assert unseen  # test words the vectorizer never saw map to [UNK] (id 1)
    ids = data.vectorize(reviews.vectorizer, np.array([" ".join(sorted(unseen)[:3])], object))
    assert set(ids[0][ids[0] > 0]) == {1}
    assert len(reviews.train_labels) + len(reviews.validation_labels) == 2000  # The sample.
    limited = data.load_datasets(smoke_config(train_limit=40))
    assert len(limited.train_labels) == 40 and set(limited.train_labels) == {0, 1}  # files are
    # sorted by label: the limit must be a random subset, not the first reviews


def test_html_is_stripped_before_vectorizing_and_escaped_in_the_report():
    review = 'Loved it!<br /><br />A <i>great</i> film; 5 < 6 & "don\'t" <script>alert(1)</script>'
    words = data.standardize_review(np.array([review, "Wow\x85 Ça\xa0va"], object)).numpy()
    assert words[0].decode().split() == [
        "loved",
        "it",
        "a",
        "great",
        "film",
        "5",
        "6",
        "dont",
        "alert",
        "1",
    ]
    assert words[1].decode().split() == ["wow", "ça", "va"]
    assert data.clean_html(review) == 'Loved it! A great film; 5 < 6 & "don\'t" alert(1)'
    reviews = types.SimpleNamespace(
        test_texts=np.array([review, "<b>fine</b>"], object),
        test_labels=np.array([1, 0]),
        class_names=("negative", "positive"),
    )
    evaluation = {"probabilities": np.array([0.9, 0.8]), "predictions": np.array([1, 1])}
    confident = evaluate.confident_reviews(reviews, evaluation)
    page = report_lib.Report("t", "t")
    page.add_text_samples(confident["right"] + confident["wrong"])
    page.add_text_samples([{"label": "<u>", "tokens": ["<b>", "&"], "weights": [1.0, 0.5]}])
    html = page.render(config={}, metadata={})
    assert "<script>" not in html and "<i>" not in html and "<b>" not in html
    assert "5 &lt; 6 &amp; &#34;don&#39;t&#34;" in html and "&lt;b&gt;" in html


@pytest.mark.parametrize("encoder", project_config.ENCODERS)
def test_each_encoder_trains_a_step(encoder):
    network = compiled(encoder=encoder, pooling="attention" if encoder == "bigru" else "last")
    before = weights_of(network)
    tokens, labels = token_batch()
    history = network.fit(tokens, labels, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0]) and history.history["gradient_norm"][0] > 0
    assert all(not np.array_equal(a, b) for a, b in zip(before, weights_of(network), strict=True))
    assert network.predict(tokens, verbose=0).shape == (2, 1)


@pytest.mark.parametrize("clipnorm", [None, 0.01])
def test_clipping_bounds_the_update_norm(clipnorm):
    keras.utils.set_random_seed(0)
    network = compiled(
        encoder="simple_rnn", pooling="last", optimizer="sgd", learning_rate=1.0,
        learning_rate_decay="constant", global_clipnorm=clipnorm, embedding_dropout=0.0,
    )  # fmt: skip
    before = weights_of(network)
    tokens, labels = token_batch()
    gradient_norm = network.fit(tokens, labels, verbose=0).history["gradient_norm"][0]
    change = [after - old for after, old in zip(weights_of(network), before, strict=True)]
    update_norm = float(np.sqrt(sum((delta**2).sum() for delta in change)))
    assert gradient_norm > 0.01  # the raw gradient is larger than the threshold...
    if clipnorm is None:  # ...so SGD's first step (lr 1) has the gradient's length
        np.testing.assert_allclose(update_norm, gradient_norm, rtol=1e-4)
    else:  # ...and clipping cuts it to lr x c
        np.testing.assert_allclose(update_norm, clipnorm, rtol=1e-4)


def test_attention_weights_sum_to_one_over_real_tokens_and_zero_on_padding():
    network = compiled(encoder="lstm", pooling="attention")
    tokens, _ = token_batch()
    weights = model.attention_model(network).predict(tokens, verbose=0)
    np.testing.assert_allclose(weights.sum(axis=1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_array_equal(weights[tokens == 0], 0.0)
    assert np.all(weights[tokens != 0] > 0)
    assert model.attention_model(compiled(encoder="gru", pooling="last")) is None


def test_hashed_bigrams_by_hand_zero_wherever_padding_is_involved():
    tokens, _ = token_batch()
    layer = ngrams.HashedBigrams(vocabulary_size=10, buckets=7)
    ids = keras.ops.convert_to_numpy(layer(tokens))
    assert ids.shape == (2, 11) == layer.compute_output_shape((2, 6))
    np.testing.assert_array_equal(ids[:, :6], tokens)  # unigrams as they are
    bigram = lambda a, b: 11 + (a * 10 + b) % 7  # noqa: E731
    expected = [
        [bigram(5, 6), bigram(6, 7), bigram(7, 8), bigram(8, 9), 0],
        [bigram(3, 4), 0, 0, 0, 0],
    ]
    np.testing.assert_array_equal(ids[:, 6:], expected)
    assert layer.output_size == 18 and ids.max() < layer.output_size
    with pytest.raises(ValueError, match="buckets=0"):
        ngrams.HashedBigrams(10, buckets=0)


def test_wide_and_deep_model_trains_both_paths_and_round_trips(tmp_path):
    network = compiled(encoder="lstm", pooling="attention", ngram_path=True, ngram_buckets=16)
    tokens, labels = token_batch()
    network.fit(tokens, labels, epochs=1, verbose=0)
    linear = keras.ops.convert_to_numpy(network.get_layer("ngram_weights").embeddings)
    seen = set(keras.ops.convert_to_numpy(network.get_layer("ngram_hashing")(tokens)).ravel())
    assert set(np.flatnonzero(linear)) == seen - {0}  # zeros-initialized: only the ids seen move
    network.save(tmp_path / "wide.keras")
    loaded = keras.saving.load_model(tmp_path / "wide.keras", safe_mode=True)
    np.testing.assert_allclose(
        loaded.predict(tokens, verbose=0), network.predict(tokens, verbose=0)
    )


@pytest.mark.parametrize("keep", ["first", "last"])
def test_a_recurrent_model_is_saved_as_a_text_predictor(tmp_path, keep):
    texts = np.array(["a great <br />film", "an awful, awful film but great fun"], object)
    vectorizer = data.make_vectorizer(50, None)
    vectorizer.adapt(texts)
    config = smoke_config(**{**TINY, "max_length": 3}, encoder="gru", embedding_dropout=0.5)
    network = model.build_model(config)
    datasets = types.SimpleNamespace(vocabulary=vectorizer.get_vocabulary(), keep=keep)
    path = predict.save_predictor(tmp_path, network, config, datasets)
    predictor = keras.saving.load_model(path, safe_mode=True)
    for text in texts:  # The predictor reads the same end of the text as the model in training.
        tokens = data.vectorize(vectorizer, np.array([text], object), 3, keep)
        expected = network.predict(tokens, verbose=0)[0, 0]
        np.testing.assert_allclose(predict.probability(predictor, text), expected, rtol=1e-5)


def test_cut_tokens_keeps_the_first_or_the_last_real_tokens():
    tokens = np.array([[5, 6, 7, 8, 0], [9, 2, 0, 0, 0], [3, 4, 5, 6, 7]])
    np.testing.assert_array_equal(data.cut_tokens(tokens, 3), [[5, 6, 7], [9, 2, 0], [3, 4, 5]])
    last = data.cut_tokens(tokens, 3, "last")
    np.testing.assert_array_equal(last, [[6, 7, 8], [9, 2, 0], [5, 6, 7]])
    assert isinstance(last, np.ndarray)
    np.testing.assert_array_equal(data.cut_tokens(tokens, 7, "last")[1], [9, 2, 0, 0, 0, 0, 0])
    with pytest.raises(ValueError, match="keep"):
        data.cut_tokens(tokens, 3, "middle")
    with pytest.raises(ValueError, match="length"):
        data.LastTokens(0)
    layer = data.LastTokens(2, name="cut")
    clone = data.LastTokens.from_config(layer.get_config())
    assert clone.length == 2 and clone.compute_output_shape((None, 5)) == (None, 2)


def test_reviews_keep_the_last_tokens_of_a_long_review(offline_sample_only):
    config = smoke_config(max_length=4, ablation_max_length=4, length_choices=(4,))
    reviews = data.load_datasets(config)
    assert reviews.keep == "last" and reviews.train_tokens.shape[1] == 4
    everything = data.vectorize(reviews.vectorizer, reviews.train_texts[:20])
    for row, full in zip(reviews.train_tokens[:20], everything, strict=True):
        real = full[full > 0]
        np.testing.assert_array_equal(row[: min(4, len(real))], real[-4:])
    with pytest.raises(ValueError, match="keep_tokens"):
        smoke_config(keep_tokens="middle")


def test_gradient_by_position_has_one_finite_value_per_word():
    network = compiled(encoder="lstm", pooling="attention")
    tokens = np.arange(2, 14, dtype="int32").reshape(2, 6)
    norms = evaluate.gradient_by_position(network, tokens, np.array([1, 0]))
    assert norms.shape == (6,) and np.all(np.isfinite(norms)) and np.all(norms > 0)


def test_curriculum_admits_short_reviews_first_and_reaches_the_full_set():
    rng = np.random.default_rng(0)
    lengths = rng.permutation(np.arange(1, 41))
    tokens = np.zeros((40, 40), "int32")
    for row, length in enumerate(lengths):
        tokens[row, :length] = 2
    reviews = data.Datasets(**{  # Only the training tokens and labels are read.
        **{field.name: None for field in dataclasses.fields(data.Datasets)},
        "train_tokens": tokens, "train_labels": np.arange(40), "keep": "first",
    })  # fmt: skip
    config = smoke_config(
        batch_size=8, curriculum_start_fraction=0.25, curriculum_full_data_epoch=2,
        order="curriculum", max_length=40,
    )  # fmt: skip
    scheduler = reviews.curriculum(config)
    dataset = reviews.train(config, scheduler)
    seen = {}
    for epoch in range(3):
        scheduler.on_epoch_begin(epoch)
        seen[epoch] = np.concatenate([labels.numpy() for _, labels in dataset])
        assert len(seen[epoch]) == 40  # the same number of steps every epoch
    assert lengths[seen[0]].max() <= 10  # epoch 0: the shortest quarter only
    assert lengths[seen[1]].max() <= 25 and lengths[seen[1]].max() > 10
    assert sorted(seen[2]) == list(range(40))  # full data: each review once per pass
    assert reviews.curriculum(dataclasses.replace(config, order="random")).admitted_count(0) == 40
    assert reviews.curriculum(dataclasses.replace(config, order="bucketed")) is None


def test_tuner_runs_a_trial_and_resumes_without_repeating(offline_sample_only, tmp_path):
    config = smoke_config(**TINY, length_choices=(6,))
    conftest.check_tuner_resumes(sentiment_main.PROJECT, config, tmp_path)


def test_smoke_run_writes_the_report_rebuilds_it_and_predict_uses_its_model(
    offline_sample_only, tmp_path, capsys, monkeypatch
):
    config = smoke_config(ablations=("attention",), train_limit=600)  # 600 of 2,000 reviews.
    results, html, rebuilt = conftest.run_and_rebuild(sentiment_main.PROJECT, config, tmp_path)
    metrics = results.metrics
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert {"majority", "bigrams", "lstm-last-io-64", "lstm-attention-io-64"} <= set(
        metrics["variants"]
    )
    assert metrics["tested_model"] == evaluate.choose(metrics["variants"])
    for expected in ("bundled SAMPLE", "Test set (used once)", "Attention pooling", 'class="tok"'):
        assert expected in html and expected in rebuilt
    folder = tmp_path / "reports" / "sentiment_lstm"
    written = json.loads((folder / "metrics.json").read_text())
    source = written["metadata"]["data_source"]
    assert source["is_sample"] is True
    assert str(tmp_path) not in json.dumps(source) and "/" not in source["location"]
    assert str(tmp_path) not in html  # The data is named by file, place kind and sha256.

    result = predict.predict(config, tmp_path / "runs", text="A wonderful film", preset="smoke")
    assert 0.0 <= result["probability"] <= 1.0 and result["label"] in ("positive", "negative")
    with pytest.raises(ValueError, match="no words"):
        predict.predict(config, tmp_path / "runs", text="<br /> ...", preset="smoke")
    check_predict_file(config, tmp_path, capsys, monkeypatch)


def check_predict_file(config, tmp_path, capsys, monkeypatch):
    """`predict --file` scores each line in input order, across batches, with the one-text
    command's numbers; a line with no words gets "nan<TAB>no words"; '-' reads standard input."""
    texts = ["A wonderful film", "", "Dull, dull, dull.", "<br /> ...", "I loved every minute"]
    path = tmp_path / "reviews.txt"
    path.write_text("\n".join(texts) + "\n")
    flags = ["predict", "--preset", "smoke", "--set", "ablations=attention"]
    flags += ["--set", "train_limit=600"]  # The run the test trained.
    flags += ["--workdir", str(tmp_path / "runs"), "--batch-size", "2"]
    capsys.readouterr()
    assert sentiment_main.cli.main(sentiment_main.PROJECT, [*flags, "--file", str(path)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == len(texts) and "scored 5 lines" in captured.err
    for text, line in zip(texts, lines, strict=True):
        if text in ("", "<br /> ..."):
            assert line == "nan\tno words"
            continue
        expected = predict.predict(config, tmp_path / "runs", text=text, preset="smoke")
        value, label = line.split("\t")
        assert label == expected["label"]
        assert float(value) == pytest.approx(expected["probability"], abs=1e-4)
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(texts)))  # No final newline.
    assert sentiment_main.cli.main(sentiment_main.PROJECT, [*flags, "--file", "-"]) == 0
    assert capsys.readouterr().out.splitlines() == lines
    assert sentiment_main.cli.main(sentiment_main.PROJECT, [*flags, "--file", "nowhere.txt"]) == 2
    assert "No file to score at --file nowhere.txt" in capsys.readouterr().err
    assert sentiment_main.cli.main(sentiment_main.PROJECT, [*flags, "--file", "-", "text"]) == 2
    assert "Give TEXT or --file, not both" in capsys.readouterr().err


def test_predict_on_empty_input_or_without_a_model_is_a_clear_error(tmp_path, capsys):
    config = smoke_config()
    with pytest.raises(ValueError, match="Nothing to score: the text is empty"):
        predict.predict(config, tmp_path, text="   ", preset="smoke")
    with pytest.raises(FileNotFoundError, match="Train it first"):
        predict.predict(config, tmp_path, text="good", preset="smoke")
    argv = ["predict", "--preset", "smoke", "--workdir", str(tmp_path), ""]
    assert sentiment_main.cli.main(sentiment_main.PROJECT, argv) == 2
    assert "error: Nothing to score" in capsys.readouterr().err


def test_plan_trains_each_distinct_model_once_as_the_config_with_fields_changed():
    config = config_lib.from_preset(project_config.Config, "full")
    plan = train.plan(config)
    rows = train.ablation_rows(config)
    assert list(rows) == list(project_config.ABLATIONS)
    assert list(plan.tables) == ["baselines", "headline", *project_config.ABLATIONS]
    recurrent = [c for c in plan.models.values() if c.variant == "recurrent"]
    assert len(recurrent) == len(set(recurrent)) == 13
    assert plan.models["bigrams"].epochs == config.linear_epochs  # Its own budget, in its config.
    assert plan.models[model.model_name(config)] == config  # The headline: the config itself.
    assert rows["clipping"][0][1] in [c for _, c in rows["cells"]]  # Trained once.
    base = train.base_config(config)
    for ablation in ("cells", "dropout", "attention", "length"):
        assert base in [c for _, c in rows[ablation]]
    changed = {
        field.name
        for _, c in rows["clipping"]
        for field in dataclasses.fields(c)
        if getattr(c, field.name) != getattr(rows["clipping"][0][1], field.name)
    }
    assert changed == {"global_clipnorm"}
    with pytest.raises(ValueError, match="order"):
        smoke_config(order="shuffled")


def test_neighbours_on_a_vocabulary_smaller_than_the_embedding():
    """The demo's crash: a 6-word vocabulary (the bundled sample) under a 50-row embedding."""
    vocabulary = ["", "[UNK]", "good", "great", "bad", "awful"]
    embedding = np.random.default_rng(0).normal(size=(50, 4))
    embedding[3] = embedding[2] + 0.01  # "great" next to "good"
    embedding[10:] = embedding[2] * 5  # Rows no word maps to, closest of all to "good".
    neighbours = evaluate.nearest_neighbours(embedding, vocabulary, ("good", "missing"), 6)
    assert list(neighbours) == ["good"]
    words = [word for word, _ in neighbours["good"]]
    assert words[0] == "great" and set(words) <= {"great", "bad", "awful"}
    datasets = types.SimpleNamespace(vocabulary=vocabulary)
    assert data.adapt_config(smoke_config(), datasets).vocabulary_size == 10  # The floor.
    datasets.vocabulary = vocabulary * 100
    assert data.adapt_config(smoke_config(), datasets).vocabulary_size == 600


def test_length_sentence_is_read_off_the_numbers():
    """The full report once said time "grows in proportion" while 512 tokens took 80.2 s and
    256 tokens 89.3 s: the sentence now comes from the numbers."""
    rows = [["256 tokens", "short"], ["512 tokens", "long"]]
    for times, expected in (
        ((89.3, 80.2), "does not grow with"),
        ((40.0, 80.5), "grows in proportion to"),
    ):
        variants = {
            name: {"val_accuracy": 0.86, "val_loss": 0.3, "parameters": 1, "best_epoch": 1,
                   "epochs_run": 1, "wall_time_seconds": time}
            for name, time in zip(("short", "long"), times, strict=True)
        }  # fmt: skip
        results = types.SimpleNamespace(
            metrics={"variants": variants},
            plan={"models": {"short": {"max_length": 256}, "long": {"max_length": 512}}},
        )
        page = report_lib.Report("t", "t")
        report_reading.add_length(page, results, rows)
        html = page.render(config={}, metadata={})
        assert f"training time {expected} the cut-off" in html
