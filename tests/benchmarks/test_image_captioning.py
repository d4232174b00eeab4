"""The image-captioning benchmarks: the keras-io transformer's decoder is causal, and the smoke
presets of the race and of the shapes benchmark run end to end on the generated shapes set (no
Flickr8k needed)."""

import json

import numpy as np

from benchmarks import image_captioning, image_captioning_shapes, keras_io_captioning
from common.experiment import config as config_lib
from projects.image_captioning import config as project_config
from projects.image_captioning import decode


def tiny_config():
    return config_lib.from_preset(
        project_config.Config, "smoke", vocabulary_size=12, max_caption_words=6
    )


def test_keras_io_decoder_is_causal_a_later_word_never_changes_an_earlier_output():
    decoder = keras_io_captioning.build_caption_decoder(tiny_config())
    random = np.random.default_rng(0)
    encoded = random.normal(size=(2, 4, keras_io_captioning.EMBED_DIM)).astype("float32")
    words = random.integers(4, 12, size=(2, 7)).astype("int32")
    changed = words.copy()
    changed[:, 4] = np.where(words[:, 4] == 5, 6, 5)
    before = np.asarray(decoder([encoded, words], training=False))
    after = np.asarray(decoder([encoded, changed], training=False))
    np.testing.assert_allclose(before[:, :4], after[:, :4], rtol=1e-5, atol=1e-6)
    assert not np.allclose(before[:, 4:], after[:, 4:])  # The changed word itself is seen.


def test_step_decoder_writes_the_captions_teacher_forcing_scores_highest():
    config = tiny_config()
    captioner = keras_io_captioning.build_model(config)
    images = np.random.default_rng(1).integers(0, 255, (3, 32, 32, 3)).astype("uint8")
    vocabulary = type("Vocabulary", (), {"start_id": 2, "end_id": 3})()
    step_decoder = keras_io_captioning.StepDecoder(captioner)
    greedy, attention = decode.greedy(step_decoder, images, vocabulary, config.max_caption_words)
    beam = decode.beam_search(step_decoder, images, vocabulary, config.max_caption_words, width=1)
    assert attention is None and beam == greedy
    words = np.array([[2, *caption[:-1]] for caption in greedy if len(caption) == len(greedy[0])])
    probabilities = captioner({"image": images[: len(words)], "words": words}, training=False)
    forced = np.array(probabilities["next_word"])
    forced[..., list(decode.NEVER_WRITTEN)] = 0.0
    assert forced.argmax(axis=-1).tolist() == [c for c in greedy if len(c) == len(greedy[0])]


def test_smoke_races_both_decoders_and_scores_baselines(tmp_path):
    path = image_captioning.run("smoke", output_dir=tmp_path / "results")
    document = json.loads(path.read_text())
    rows = {row["name"]: row for row in document["results"]}
    assert list(rows) == [
        image_captioning.OURS,
        image_captioning.REFERENCE,
        "nearest neighbour",
        "most frequent caption",
    ]
    for name in (image_captioning.OURS, image_captioning.REFERENCE):
        row = rows[name]
        assert row["train_cpu_seconds"] >= document["budget_seconds_each"] and row["turns"] >= 1
        for mode in ("beam", "greedy", "beam_3"):  # The headline's beam is 5; beam 3 for speed.
            assert 0.0 <= row[mode]["bleu4"] <= row[mode]["bleu1"] <= 100.0
            assert row[mode]["captions_per_second"] > 0
    assert document["feature_extraction"] == {"used": False, "encoder": "small"}
    assert set(document["targets_met"]) == {"bleu1", "bleu4", "above_baselines",
                                            "reference_above_baselines"}  # fmt: skip
    assert document["metadata"]["preset"] == "benchmark-smoke"
    page = path.with_suffix(".md").read_text()
    assert f"| {image_captioning.REFERENCE} |" in page and "image_captioning_shapes.md" in page
    table = [line for line in page.splitlines() if line.startswith("|")]
    assert "captions/s beam 3" in table[0] and len({line.count("|") for line in table}) == 1


def test_smoke_shapes_benchmark_writes_its_own_scores_and_checks(tmp_path):
    path = image_captioning_shapes.run("smoke", output_dir=tmp_path / "results")
    assert path.name == "image_captioning_shapes.json"
    document = json.loads(path.read_text())
    assert 0.0 <= document["exact_beam"] <= 1.0 and document["train_cpu_seconds"] > 0
    assert set(document["targets_met"]) == {"exact", "mass_in_box", "ratio_to_box_share"}
    assert document["metadata"]["preset"] == "benchmark-smoke"
    assert document["metadata"]["data_source"]["dataset"] == "shapes"
    assert "Shapes set" in path.with_suffix(".md").read_text()
