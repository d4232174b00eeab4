"""Scoring the captioners on the test set, once, the way captioning papers do, plus what only
the shapes set can measure.

BLEU-n (Papineni et al., 2002) is the geometric mean of the 1- to n-word overlaps between the
generated captions and all the references of each image, times a brevity penalty, over the whole
test set (NLTK's `corpus_bleu`), reported x 100. Baselines set the floor: the caption of the
nearest training image by encoder features, and the single most frequent training caption. On
the shapes set the truth is exact: the share of exactly right captions, and the share of
attention mass inside the box of the object a word names.
"""

import collections
import time
import warnings

import numpy as np
from nltk.translate import bleu_score

from common.experiment import training
from common.nn import efficientnet
from projects.image_captioning import attention_checks, decode
from projects.image_captioning import captions as captions_lib


def bleu(hypotheses, references):
    """Corpus BLEU-1..4 x 100 of word lists against each image's reference word lists."""
    weights = [(1.0,), (0.5, 0.5), (1 / 3,) * 3, (0.25,) * 4]
    with warnings.catch_warnings():  # No n-gram overlap of an order: BLEU is 0, as reported.
        warnings.filterwarnings("ignore", message=r"\nThe hypothesis contains 0 counts")
        scores = bleu_score.corpus_bleu(references, hypotheses, weights=weights)
    return {f"bleu{n}": 100.0 * float(score) for n, score in enumerate(scores, start=1)}


def scores(captions, references, exact):
    """BLEU of `captions` (word strings) and, where the truth is exact, the share exactly right."""
    row = bleu([c.split() for c in captions], references)
    if exact:
        right = [[c.split()] == r for c, r in zip(captions, references, strict=True)]
        row["exact"] = float(np.mean(right))
    return row


def decode_timed(function, *arguments, **options):
    start = time.perf_counter()
    out = function(*arguments, **options)
    return out, time.perf_counter() - start


def greedy_and_beam(decoder, datasets, config):
    """The test split decoded greedily and by the config's beam, each timed: returns
    ((greedy ids, attention), greedy seconds), (beam ids, beam seconds)."""
    inputs, vocabulary = datasets.encoder_input(config, "test"), datasets.vocabulary
    greedy = decode_timed(
        decode.greedy, decoder, inputs, vocabulary, config.max_caption_words,
        no_repeat_ngram=config.no_repeat_ngram,
    )  # fmt: skip
    return greedy, beam_timed(decoder, inputs, vocabulary, config, config.beam_width)


def beam_timed(decoder, inputs, vocabulary, config, width):
    """(ids, seconds) of `decode.beam_search` at `width`, with the config's length bonus and
    n-gram rule."""
    return decode_timed(
        decode.beam_search, decoder, inputs, vocabulary, config.max_caption_words,
        width=width, alpha=config.length_alpha, no_repeat_ngram=config.no_repeat_ngram,
    )  # fmt: skip


def evaluate(config, datasets, plan, trained):
    """Every model's greedy captions scored; the headline also by beam width, against the
    baselines, with examples, attention maps and (shapes) where its attention lands."""
    references, vocabulary = datasets.references("test"), datasets.vocabulary
    exact = datasets.source.dataset == "shapes"
    variants, arrays = {}, {}
    for name, model in trained.items():
        model_config = plan.models[name]
        decoder = decode.Decoder(model.model, model_config)
        inputs = datasets.encoder_input(model_config, "test")
        (ids, attention), seconds = decode_timed(
            decode.greedy, decoder, inputs, vocabulary, model_config.max_caption_words,
            no_repeat_ngram=model_config.no_repeat_ngram,
        )  # fmt: skip
        captions = [vocabulary.decode(row) for row in ids]
        variants[name] = {
            **training.summarize(model.record, model_config.epochs),
            **scores(captions, references, exact),
            "greedy_captions_per_second": len(ids) / seconds,
        }
        if name == plan.headline:
            headline = headline_scores(config, datasets, decoder, inputs, captions, attention)
            arrays.update(headline.pop("arrays"))
    metrics = {
        "variants": variants,
        **headline,
        "baselines": baselines(config, datasets, references, exact),
        "tested_model": plan.headline,
        "dataset": datasets.source.dataset,
        "vocabulary_size": len(vocabulary),
        "images": {split: len(images) for split, images in datasets.images.items()},
        "captions": {split: len(tokens) for split, tokens in datasets.tokens.items()},
        "feature_seconds": datasets.feature_seconds,
        "features_from_cache": list(datasets.features_from_cache),
        "training_time_seconds": sum(m.record["wall_time_seconds"] for m in trained.values()),
    }
    if config.encoder == "efficientnet" and datasets.source.dataset == "flickr8k":
        metrics["encoder_check"], arrays["encoder_check/images"] = encoder_check(config, datasets)
    metrics["summary"] = summary(config, metrics)
    return metrics, arrays


def headline_scores(config, datasets, decoder, inputs, greedy_captions, attention):
    """Beam widths, the headline's own beam, examples, attention maps and attention checks."""
    references, vocabulary = datasets.references("test"), datasets.vocabulary
    exact = datasets.source.dataset == "shapes"
    widths, beams = {}, {}
    for width in sorted({*config.beam_widths, config.beam_width}):
        ids, seconds = beam_timed(decoder, inputs, vocabulary, config, width)
        beams[width] = [vocabulary.decode(row) for row in ids]
        widths[str(width)] = {
            **scores(beams[width], references, exact),
            "captions_per_second": len(ids) / seconds,
        }
    test = {f"test_{key}": value for key, value in widths[str(config.beam_width)].items()}
    shown = range(min(config.shown_images, len(references)))
    examples = [
        {
            "greedy": greedy_captions[i],
            "beam": beams[config.beam_width][i],
            "references": datasets.caption_set.captions["test"][i],
        }
        for i in shown
    ]
    arrays = {"examples/images": thumbnails(datasets.images["test"][: len(shown)])}
    result = {**test, "beam_widths": widths, "examples": examples}
    if attention is not None:
        maps = range(min(config.attention_images, len(attention)))
        result["attention_examples"] = [greedy_captions[i].split() + ["<end>"] for i in maps]
        for i in maps:
            arrays[f"attention/weights_{i}"] = attention[i].astype("float32")
        arrays["attention/images"] = datasets.images["test"][: len(maps)]
        if exact:
            result["attention_landing"] = attention_checks.landing(
                greedy_captions, attention, datasets.caption_set.boxes["test"],
                datasets.images["test"].shape[1],
            )  # fmt: skip
    return {**result, "arrays": arrays}


def thumbnails(images, side=96):
    """Images shrunk (or kept) to at most `side` pixels, for the report's grid."""
    step = max(1, images.shape[1] // side)
    return images[:, ::step, ::step]


def baselines(config, datasets, references, exact):
    """The caption of the nearest training image (cosine of mean-pooled encoder features, or
    of pixels for the small encoder), and the most frequent training caption, for every image."""
    train_captions = datasets.caption_set.captions["train"]
    counts = collections.Counter(captions_lib.standardize(c) for cs in train_captions for c in cs)
    most_frequent = counts.most_common(1)[0][0]
    train, test = (pooled(config, datasets, split) for split in ("train", "test"))
    nearest = (test @ train.T).argmax(axis=1)
    neighbour = [captions_lib.standardize(train_captions[i][0]) for i in nearest]
    return {
        "nearest neighbour": scores(neighbour, references, exact),
        "most frequent caption": {
            **scores([most_frequent] * len(references), references, exact),
            "caption": most_frequent,
        },
    }


def pooled(config, datasets, split):
    """Unit-length image descriptors: mean-pooled pretrained grids, or small pixel copies."""
    if config.encoder == "efficientnet":
        vectors = datasets.pretrained_features(config, split).astype("float32").mean(axis=1)
    else:
        vectors = thumbnails(datasets.images[split], 16).reshape(len(datasets.images[split]), -1)
        vectors = vectors.astype("float32") - 127.5
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)


def encoder_check(config, datasets):
    """ImageNet top-5 classes of test photos of dogs: a converted encoder names dog breeds."""
    captions = datasets.caption_set.captions["test"]
    dogs = [i for i, cs in enumerate(captions) if sum(" dog" in f" {c.lower()}" for c in cs) >= 4]
    dogs = dogs[: config.dog_photos]
    images = datasets.images["test"][dogs]
    classifier = efficientnet.pretrained(images.shape[1:], include_top=True)
    probabilities = classifier.predict(efficientnet.preprocess(images), verbose=0)
    breeds = set(range(151, 269))  # ImageNet's dog breeds.
    rows = []
    for index, top in zip(dogs, efficientnet.top_classes(probabilities, 5), strict=True):
        order = np.argsort(-probabilities[dogs.index(index)])[:5]
        rows.append({"image": datasets.caption_set.names["test"][index], "top5": top,
                     "dog_breed_in_top5": bool(set(order) & breeds)})  # fmt: skip
    return rows, thumbnails(images)


def summary(config, metrics):
    line = f"test BLEU-4 {metrics['test_bleu4']:.1f}, BLEU-1 {metrics['test_bleu1']:.1f} (beam "
    line += f"{config.beam_width}, {metrics['dataset']})"
    if "test_exact" in metrics:
        line += f", exactly right {metrics['test_exact']:.1%}"
    return line
