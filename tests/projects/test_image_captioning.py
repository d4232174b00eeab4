"""The image-captioning project: captions and vocabulary, the shapes set, the Flickr8k and COCO
readers, masks, attention, decoding, BLEU, a run rebuilt from its results, the tuner."""

import copy
import dataclasses
import json
import math
import types

import keras
import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from common.data import errors
from common.experiment import config as config_lib
from projects.image_captioning import __main__ as main
from projects.image_captioning import (
    attention_checks,
    captions,
    data,
    decode,
    evaluate,
    model,
    readers,
    report,
    shapes,
    train,
)
from projects.image_captioning import config as project_config
from tests.projects import conftest


def smoke_config(**changes):
    return config_lib.from_preset(project_config.Config, "smoke", **changes)


@pytest.fixture(scope="module")
def smoke_data():
    config = smoke_config()
    datasets = data.load_datasets(config)
    return data.adapt_config(config, datasets), datasets


# Captions, vocabulary, end token.


def test_standardize_and_the_vocabulary_come_from_training_captions_only():
    assert captions.standardize("A dog's ball, RED!  ") == "a dogs ball red"
    vocabulary = captions.Vocabulary.build(["a dog runs", "a dog", "a cat"], min_count=2)
    assert vocabulary.tokens == ("<pad>", "<unk>", "<start>", "<end>", "a", "dog")
    encoded = vocabulary.encode(["a cat runs fast away"], length=3)
    assert encoded.tolist() == [[2, 4, 1, 1, 3]]  # <start> a <unk> <unk> <end>, cut at 3 words.
    assert vocabulary.encode(["dog"], length=3).tolist() == [[2, 5, 3, 0, 0]]
    assert vocabulary.decode([2, 4, 5, 3, 4, 4]) == "a dog"  # Stops at the end token.


# The shapes set: exact truth.


def test_shapes_captions_describe_their_images_exactly():
    made = shapes.generate(40, size=64, seed=3)
    for image, caption, boxes in zip(made.images, made.captions, made.boxes, strict=True):
        assert caption == " left of ".join(f"a {b[4]} {b[5]}" for b in boxes)
        assert [b[0] for b in boxes] == sorted(b[0] for b in boxes)  # Named left to right.
        for x0, y0, x1, y1, color, shape in boxes:
            middle = image[(y0 + y1) // 2 + (y1 - y0) // 4, (x0 + x1) // 2]  # Inside every shape.
            assert tuple(middle) == shapes.COLORS[color]
            corner = image[y0, x0]  # The top-left corner is filled by a square only.
            assert (tuple(corner) == shapes.COLORS[color]) == (shape == "square")
    again = shapes.generate(40, size=64, seed=3)
    np.testing.assert_array_equal(again.images, made.images)
    with pytest.raises(ValueError, match="max_shapes"):
        shapes.generate(1, max_shapes=4)


def test_attention_landing_is_full_when_all_weight_sits_in_the_box():
    boxes = [[(0, 0, 32, 32, "red", "square")]]
    weights = np.zeros((4, 4))
    weights[:, 0] = 1.0  # Every step looks at the top-left cell of a 2x2 grid.
    landing = attention_checks.landing(["a red square"], [weights], boxes, image_side=64)
    assert landing["mass_in_box"] == pytest.approx(1.0) and landing["box_share"] == 0.25
    assert landing["ratio"] == pytest.approx(4.0) and landing["words"] == 2


# Flickr8k in its official layout, and broken copies of it.


def flickr_fixture(folder, names=("a.jpg", "b.jpg", "c.jpg")):
    (folder / "Flicker8k_Dataset").mkdir(parents=True)
    text = folder / "Flickr8k_text"
    text.mkdir()
    for index, name in enumerate(names):
        PIL.Image.new("RGB", (40, 30), (index * 80, 10, 10)).save(
            folder / "Flicker8k_Dataset" / name
        )
    lines = [f"{name}#{k}\tA photo {name} number {k} ." for name in names for k in range(2)]
    (text / "Flickr8k.token.txt").write_text("\n".join(lines) + "\n")
    for stem, chosen in (
        ("trainImages", names[:1]),
        ("devImages", names[1:2]),
        ("testImages", names[2:]),
    ):
        (text / f"Flickr_8k.{stem}.txt").write_text("\n".join(chosen) + "\n")
    return folder


def test_flickr8k_reader_reads_the_official_layout(tmp_path):
    config = smoke_config(dataset="flickr8k", data_dir=str(flickr_fixture(tmp_path / "f")))
    read = readers.read_flickr8k(dataclasses.replace(config, image_size=32))
    assert read.images["train"].shape == (1, 32, 32, 3)
    assert read.captions["test"] == [["A photo c.jpg number 0 .", "A photo c.jpg number 1 ."]]
    assert read.names["validation"] == ["b.jpg"] and read.source.dataset == "flickr8k"


def test_flickr8k_reader_names_what_is_broken(tmp_path):
    folder = flickr_fixture(tmp_path / "f")
    (folder / "Flicker8k_Dataset" / "b.jpg").unlink()
    config = smoke_config(dataset="flickr8k", data_dir=str(folder))
    with pytest.raises(errors.DataFormatError, match="names b.jpg, which is not in"):
        readers.read_flickr8k(config)
    folder = flickr_fixture(tmp_path / "g")
    (folder / "Flickr8k_text" / "Flickr_8k.devImages.txt").unlink()
    with pytest.raises(errors.DataFormatError, match="devImages.txt is missing"):
        readers.read_flickr8k(smoke_config(dataset="flickr8k", data_dir=str(folder)))
    with pytest.raises(errors.DataNotFoundError, match="Flickr8k"):
        readers.read_flickr8k(smoke_config(dataset="flickr8k", data_dir=str(tmp_path / "none")))


def test_missing_flickr8k_falls_back_to_shapes_only_when_allowed(tmp_path, offline_sample_only):
    config = smoke_config(dataset="flickr8k", allow_sample_data=True)
    datasets = data.load_datasets(config)
    assert datasets.source.dataset == "shapes" and datasets.source.is_sample
    adapted = data.adapt_config(config, datasets)
    assert adapted.dataset == "shapes" and adapted.encoder == "small"
    with pytest.raises(errors.DataNotFoundError):
        data.load_datasets(dataclasses.replace(config, allow_sample_data=False))


def test_coco_reader_through_tfds_mock_data():
    import tensorflow_datasets as tfds

    config = smoke_config(dataset="coco", train_limit=20, evaluation_limit=2, image_size=32)
    with tfds.testing.mock_data(num_examples=20):
        read = readers.read_coco(config)
    assert read.images["train"].shape == (20, 32, 32, 3) and len(read.captions["test"]) == 2
    assert all(isinstance(c, str) for cs in read.captions["train"] for c in cs)


# The model: masks, attention, decoding.


def test_padding_never_counts_in_the_loss_or_the_accuracy(smoke_data):
    config, datasets = smoke_data
    keras.utils.set_random_seed(0)
    network = model.build_model(config)
    train.compile_model(network, config, datasets)
    network.run_eagerly = True  # A few steps: cheaper than tracing a graph for them.
    inputs, targets = next(iter(datasets.validation(config)))
    padded = {"image": inputs["image"], "words": tf.pad(inputs["words"], [[0, 0], [0, 5]])}
    longer = {"next_word": tf.pad(targets["next_word"], [[0, 0], [0, 5]])}
    short = network.evaluate(inputs, targets, verbose=0, return_dict=True)
    long = network.evaluate(padded, longer, verbose=0, return_dict=True)
    assert long["loss"] == pytest.approx(short["loss"], rel=1e-5)
    assert long["accuracy"] == pytest.approx(short["accuracy"], rel=1e-5)
    probabilities = network.predict(inputs, verbose=0)["next_word"]
    truth = targets["next_word"].numpy()
    real = truth > 0
    picked = np.take_along_axis(probabilities, truth[..., None], axis=-1)[..., 0]
    assert short["loss"] == pytest.approx(-np.log(picked[real]).mean(), rel=1e-4)


def test_attention_weights_sum_to_one_and_width_one_beam_is_greedy(smoke_data):
    config, datasets = smoke_data
    keras.utils.set_random_seed(1)
    network = model.build_model(config)
    train.compile_model(network, config, datasets)
    network.run_eagerly = True  # A few steps: cheaper than tracing a graph for them.
    network.fit(datasets.train(config), epochs=1, verbose=0)
    decoder = decode.Decoder(network, config)
    images = datasets.images["test"][:12]
    ids, attention = decode.greedy(decoder, images, datasets.vocabulary, config.max_caption_words)
    for weights in attention:
        np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-5)
    beam = decode.beam_search(
        decoder, images, datasets.vocabulary, config.max_caption_words, width=1
    )
    assert beam == ids
    wider = decode.beam_search(
        decoder, images, datasets.vocabulary, config.max_caption_words, width=3
    )
    assert len(wider) == len(ids) and all(len(c) <= config.max_caption_words + 1 for c in wider)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_step_decoder_gives_the_teacher_forced_probabilities(smoke_data, cell):
    """One word at a time, the decoder shares every layer of the trained model (the small
    encoder's grid positions included), so it gives the probabilities teacher forcing gives."""
    config, datasets = smoke_data
    config = dataclasses.replace(config, cell=cell)  # A GRU has one state, an LSTM two.
    keras.utils.set_random_seed(2)
    network = model.build_model(config)
    assert network.get_layer("grid_positions") is not None
    decoder = decode.Decoder(network, config)
    images = datasets.images["test"][:4]
    words = np.random.default_rng(0).integers(4, config.vocabulary_size, (4, 5)).astype("int32")
    words[:, 0] = datasets.vocabulary.start_id
    forced = network.predict({"image": images, "words": words}, verbose=0)["next_word"]
    forced[..., list(decode.NEVER_WRITTEN)] = 0.0
    grid, *states = (keras.ops.convert_to_numpy(t) for t in decoder.encode(images))
    for position in range(words.shape[1]):
        stepped, states, _ = decoder.run_step(grid, words[:, position], states)
        np.testing.assert_allclose(stepped, forced[:, position], rtol=1e-4, atol=1e-6)


def test_length_head_targets_count_the_words_still_to_come(smoke_data):
    config, datasets = smoke_data
    config = dataclasses.replace(config, length_head=True, epochs=3)
    _, targets = next(iter(datasets.train(config)))
    remaining = targets["remaining"].numpy()[0]
    words = int((targets["next_word"].numpy()[0] > 0).sum())
    assert remaining[:words].tolist() == list(range(words - 1, -1, -1))
    assert (remaining[words:] == -1).all()


def test_length_head_learns_the_words_still_to_come(smoke_data):
    """Compiled and fitted as train.py does (the full preset's length-head ablation crashed in
    `fit`, where Keras hands the loss a squeezed estimate)."""
    config, datasets = smoke_data
    config = dataclasses.replace(
        config, length_head=True, length_weight=1.0, epochs=15, learning_rate=1e-2
    )
    keras.utils.set_random_seed(0)
    network = model.build_model(config)
    train.compile_model(network, config, datasets)
    history = network.fit(datasets.train(config), epochs=config.epochs, verbose=0).history
    assert history["remaining_loss"][-1] < 0.5 * history["remaining_loss"][0]
    inputs, targets = next(iter(datasets.validation(config)))
    estimate = network.predict(inputs, verbose=0)["remaining"][..., 0]
    real = targets["remaining"].numpy() >= 0
    error = model.masked_squared_error(targets["remaining"], estimate[..., None])
    assert np.isfinite(keras.ops.convert_to_numpy(error)).all()
    assert np.corrcoef(estimate[real], targets["remaining"].numpy()[real])[0, 1] > 0.5


# BLEU.


def test_cached_features_keep_the_time_their_computation_took(smoke_data, monkeypatch, tmp_path):
    config, datasets = smoke_data
    monkeypatch.setenv("DLFB_CACHE_DIR", str(tmp_path))
    calls = []

    def extract(images):
        calls.append(len(images))
        return np.zeros((len(images), 4, 8), "float16")

    monkeypatch.setattr(data, "extract_features", extract)
    monkeypatch.setattr(data.time, "perf_counter", iter([10.0, 52.5]).__next__)
    computed = dataclasses.replace(datasets, features={}, features_from_cache=[])
    assert computed.pretrained_features(config, "test").shape == (calls[0], 4, 8)
    assert computed.feature_seconds == 42.5 and computed.features_from_cache == []
    cached = dataclasses.replace(datasets, features={}, features_from_cache=[])
    cached.pretrained_features(config, "test")
    assert len(calls) == 1  # Read from the cache, with the first run's time.
    assert cached.feature_seconds == 42.5 and cached.features_from_cache == ["test"]
    data.seconds_path(data.feature_cache_path(datasets, "test")).unlink()  # An older cache.
    unknown = dataclasses.replace(datasets, features={}, features_from_cache=[])
    unknown.pretrained_features(config, "test")
    assert unknown.feature_seconds is None
    fresh = {"feature_seconds": 42.5, "features_from_cache": []}
    assert report.feature_cost(fresh) == "42 s for every image of this run"
    assert "did not record whether" in report.feature_cost({"feature_seconds": 2.7})  # Older.
    assert "by the run that filled the data cache" in report.feature_cost(
        {"feature_seconds": 42.5, "features_from_cache": ["test"]}
    )
    assert "did not record" in report.feature_cost({"feature_seconds": None})


def test_bleu_matches_a_hand_computed_case():
    hypothesis = ["the", "cat", "sat", "on", "the", "mat"]
    references = [[["the", "cat", "is", "on", "the", "mat"]]]
    # Clipped n-gram precisions: 5/6, 3/5, 1/4, 0/3 -> BLEU-1 = 5/6, BLEU-2 = sqrt(5/6 * 3/5).
    scores = evaluate.bleu([hypothesis], references)
    assert scores["bleu1"] == pytest.approx(100 * 5 / 6)
    assert scores["bleu2"] == pytest.approx(100 * math.sqrt(5 / 6 * 3 / 5))
    assert scores["bleu3"] == pytest.approx(100 * (5 / 6 * 3 / 5 * 1 / 4) ** (1 / 3))
    assert scores["bleu4"] < 1e-9  # No 4-gram in common: NLTK returns ~0 (a tiny float).
    short = evaluate.bleu([["the", "cat"]], references)  # Brevity penalty exp(1 - 6/2).
    assert short["bleu1"] == pytest.approx(100 * math.exp(1 - 3))


# The whole run, its report, and the tuner.


def test_run_writes_the_report_resumes_and_rebuilds_it(tmp_path, offline_sample_only):
    results, html, rebuilt = conftest.run_and_rebuild(main.PROJECT, smoke_config(), tmp_path)
    metrics = results.metrics
    assert metrics["dataset"] == "shapes" and "test_exact" in metrics
    assert set(metrics["beam_widths"]) == {"1", "2", "5"}  # The table and the headline's.
    assert "Where the decoder looks" in html and "BLEU against the baselines" in html
    assert "nearest neighbour" in html and rebuilt.count("<figure") == html.count("<figure")
    check_captions_with_markup_are_escaped(results)


def check_captions_with_markup_are_escaped(results):
    """Captions are untrusted text: markup in a reference or a written caption shows as text."""
    results = copy.deepcopy(results)
    evil = ["<script>alert(1)</script>", '"><img src=x onerror=alert(2)>']
    results.metrics["examples"][0]["references"] = evil
    results.metrics["examples"][0]["greedy"] = evil[1]
    html = report.build_report(results).render(config={}, metadata={})
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_tuner_runs_a_trial_and_resumes_without_repeating(tmp_path, offline_sample_only):
    conftest.check_tuner_resumes(main.PROJECT, smoke_config(), tmp_path)


def fake_decoder(step):
    """A Decoder without a model: no attention, a 1x1 grid, the images as its one state, and
    `step` (inputs -> [probabilities (rows, 1, vocabulary), state]) for the network."""
    fake = object.__new__(decode.Decoder)
    fake.attention = False
    fake.encode = lambda images, training=False: (np.zeros((len(images), 1, 1)), images)
    fake.step = step
    return fake


def test_decoders_never_write_unknown_padding_or_start():
    """A decoder that prefers <pad>, <unk> and <start> over every real word still writes the
    best real word, then ends: "a <end>" (ids 4, 3), by greedy and by beam search alike."""

    def step(inputs, training=False):
        previous = np.asarray(inputs[1])[:, 0]
        probabilities = np.tile([0.3, 0.3, 0.2, 0.05, 0.1, 0.05], (len(previous), 1))
        probabilities[previous == 4, 3], probabilities[previous == 4, 4] = 0.1, 0.05
        return [probabilities[:, None].astype("float32"), np.asarray(inputs[2])]

    fake, vocabulary = fake_decoder(step), types.SimpleNamespace(start_id=2, end_id=3)
    images = np.zeros((3, 2), "float32")
    captions, _ = decode.greedy(fake, images, vocabulary, max_words=5)
    assert captions == [[4, 3]] * 3
    assert decode.beam_search(fake, images, vocabulary, max_words=5, width=2) == [[4, 3]] * 3


def test_repeats_names_the_words_that_would_repeat_an_ngram():
    history = np.array([[5, 6, 7, 5, 6], [5, 6, 7, 8, 9], [1, 1, 1, 1, 1]])
    assert decode.repeats(history, 3) == [[7], [], [1, 1, 1]]
    assert decode.repeats(history[:1], 2) == [[7]]  # "6" was followed by "7" before.
    assert decode.repeats(history[:1], 1) == [[5, 6, 7, 5, 6]]  # No word twice.
    assert decode.repeats(np.zeros((2, 0), "int32"), 2) == [[], []]


def test_decoders_never_repeat_an_ngram_when_told_not_to():
    """A decoder that always prefers word 4, then 5, then 6 loops on "4 4 4 ..."; told never to
    repeat a pair of words, it writes "4 4 5 4 6 4 <end>" (by hand: after "4" come "4", then
    "5", then "6", each pair once), and width 1 of beam search is still greedy decoding."""

    def step(inputs, training=False):
        rows = len(np.asarray(inputs[1]))
        probabilities = np.tile([0.0, 0.0, 0.0, 0.05, 0.5, 0.3, 0.15], (rows, 1))
        return [probabilities[:, None].astype("float32"), np.asarray(inputs[2])]

    fake, vocabulary = fake_decoder(step), types.SimpleNamespace(start_id=2, end_id=3)
    images = np.zeros((2, 2), "float32")
    looping, _ = decode.greedy(fake, images, vocabulary, max_words=8)
    assert looping == [[4] * 9] * 2
    captions, _ = decode.greedy(fake, images, vocabulary, max_words=8, no_repeat_ngram=2)
    assert captions == [[4, 4, 5, 4, 6, 4, 3]] * 2
    beams = {
        width: decode.beam_search(fake, images, vocabulary, 8, width=width, no_repeat_ngram=2)
        for width in (1, 3)
    }
    assert beams[1] == captions
    for caption in beams[3]:
        pairs = list(zip(caption[:-1], caption[1:], strict=True))
        assert len(pairs) == len(set(pairs))


def test_predict_captions_image_files_as_the_run_captioned_its_test_images(
    tmp_path, offline_sample_only, capsys
):
    """`predict photo.png` writes the same beam caption the run wrote for that test image, and
    `predict --file` answers each line in order, unreadable images included."""
    flags = ["--preset", "smoke", "--set", "ablations=", "--workdir", str(tmp_path / "runs")]
    flags += ["--out", str(tmp_path / "reports")]
    assert main.cli.main(main.PROJECT, ["predict", *flags, "photo.png"]) == 2
    assert "No trained model for this preset and config" in capsys.readouterr().err
    assert main.cli.main(main.PROJECT, flags) == 0
    (metrics_path,) = (tmp_path / "runs").glob("image_captioning/*/results/metrics.json")
    run_caption = json.loads(metrics_path.read_text())["metrics"]["examples"][0]["beam"]
    datasets = data.load_datasets(smoke_config())  # The same generated shapes.
    photo = tmp_path / "test image 0.png"  # A space in the name, too.
    PIL.Image.fromarray(datasets.images["test"][0]).save(photo)
    capsys.readouterr()
    assert main.cli.main(main.PROJECT, ["predict", *flags, str(photo)]) == 0
    assert capsys.readouterr().out.strip() == f"{photo}: {run_caption}"
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image")
    listing = tmp_path / "photos.txt"
    listing.write_text(f"{photo}\n{tmp_path / 'missing.png'}\n{broken}\n{photo}\n")
    argv = ["predict", *flags, "--file", str(listing), "--batch-size", "3"]
    assert main.cli.main(main.PROJECT, argv) == 0
    lines = [line.split("\t") for line in capsys.readouterr().out.splitlines()]
    assert [path for path, _ in lines] == [
        str(photo),
        str(tmp_path / "missing.png"),
        str(broken),
        str(photo),
    ]
    assert lines[0][1] == lines[3][1] == run_caption  # Across two batches.
    assert lines[1][1].startswith("ERROR: No image file at")
    assert lines[2][1].startswith("ERROR: ") and "not a readable image" in lines[2][1]


def test_ablation_loss_column_leaves_the_length_error_out():
    summary = {"val_loss": 3.9, "best_epoch": 3, "first_recorded_epoch": 2}
    with_head = {"history": {"val_loss": [4.2, 3.9], "val_next_word_loss": [3.8, 3.5]}}
    assert report.next_word_loss(summary, with_head) == 3.5
    assert report.next_word_loss(summary, {"history": {"val_loss": [4.2, 3.9]}}) == 3.9
