"""Images and captions as tf.data pipelines for teacher forcing, and the encoder's input.

Each training example is one (image, caption) pair: Flickr8k's 6,000 training photos give 30,000
of them. The decoder is trained with teacher forcing (book Section 10.2.1): it reads the true
words <start> w1 ... wn and predicts w1 ... wn <end>, one step ahead; padding (id 0) is masked
out of the loss. The encoder's input is the image itself (the small CNN, trained end to end) or,
for the pretrained EfficientNet-Lite0, its grid of features, computed once and cached: the
frozen network would compute the same numbers every epoch.
"""

import dataclasses
import hashlib
import json
import math
import time

import numpy as np
import tensorflow as tf

from common.data import locate
from common.nn import curriculum, efficientnet
from projects.image_captioning import captions as captions_lib
from projects.image_captioning import readers

FEATURE_BATCH = 64


@dataclasses.dataclass(eq=False)
class Datasets:
    caption_set: readers.CaptionSet
    vocabulary: captions_lib.Vocabulary
    tokens: dict  # split -> int32 (N captions, words + 2), <start> ... <end> 0 ...
    image_of: dict  # split -> int32 (N captions,): the image each caption describes.
    seed: int
    features: dict = dataclasses.field(default_factory=dict)  # split -> float16 (N, cells, C).
    # What the pretrained features cost to compute (once, perhaps by an earlier run that left
    # them in the cache; None where that run did not record it), and the splits read from it.
    feature_seconds: float | None = 0.0
    features_from_cache: list = dataclasses.field(default_factory=list)

    @property
    def source(self):
        return self.caption_set.source

    @property
    def images(self):
        return self.caption_set.images

    def references(self, split):
        """Each image's reference captions as word lists (for BLEU)."""
        return [[captions_lib.words(c) for c in cs] for cs in self.caption_set.captions[split]]

    def encoder_input(self, config, split):
        """What the encoder reads: the images, or (pretrained) their cached feature grids."""
        if config.encoder == "efficientnet":
            return self.pretrained_features(config, split)
        return self.images[split]

    def pretrained_features(self, config, split):
        if split not in self.features:
            self.features[split], seconds, from_cache = cached_features(self, config, split)
            if from_cache:
                self.features_from_cache.append(split)
            known = seconds is not None and self.feature_seconds is not None
            self.feature_seconds = self.feature_seconds + seconds if known else None
        return self.features[split]

    def training_captions(self, config):
        """(image index, tokens) of the training captions of the first `train_limit` images."""
        keep = slice(None)
        if config.train_limit is not None:
            keep = self.image_of["train"] < config.train_limit
        return self.image_of["train"][keep], self.tokens["train"][keep]

    def steps_per_epoch(self, config):
        return math.ceil(len(self.training_captions(config)[0]) / config.batch_size)

    def train(self, config, scheduler=None):
        """Shuffled (encoder input, words in) -> words out batches; with a curriculum
        `scheduler`, the batches follow it (shortest captions first)."""
        inputs, (image_of, tokens) = (
            self.encoder_input(config, "train"),
            self.training_captions(config),
        )
        split = teacher_forcing(inputs, config.length_head)
        if scheduler is not None:
            return scheduler.dataset(image_of, tokens, config.batch_size, map_fn=split)
        return pairs(split, image_of, tokens, config, shuffle=True)

    def validation(self, config):
        split = teacher_forcing(self.encoder_input(config, "validation"), config.length_head)
        return pairs(split, self.image_of["validation"], self.tokens["validation"], config)

    def curriculum(self, config):
        """The curriculum of `config.order == "curriculum"`: short captions first (8.7.6)."""
        lengths = np.count_nonzero(self.training_captions(config)[1], axis=1)
        return curriculum.CurriculumScheduler(
            lengths,
            start_fraction=config.curriculum_start_fraction,
            full_data_epoch=config.curriculum_full_data_epoch,
            seed=config.seed,
        )


def teacher_forcing(encoder_inputs, length_head=False):
    """A batch map: (image index, caption) -> ({image or features, words in}, words out); with
    the length head, also the words still to come after each position (-1 on padding)."""
    table = tf.constant(encoder_inputs)

    def split(image_index, tokens):
        inputs = {"image": tf.gather(table, image_index), "words": tokens[:, :-1]}
        targets = {"next_word": tokens[:, 1:]}
        if length_head:
            real = tf.cast(tokens[:, 1:] > 0, "float32")
            after = tf.reduce_sum(real, axis=1, keepdims=True) - tf.cumsum(real, axis=1)
            targets["remaining"] = tf.where(real > 0, after, -1.0)
        return inputs, targets

    return split


def pairs(split, image_of, tokens, config, shuffle=False):
    dataset = tf.data.Dataset.from_tensor_slices((image_of, tokens))
    if shuffle:
        dataset = dataset.shuffle(len(tokens), seed=config.seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(config.batch_size).map(split, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def load_datasets(config):
    """Reads the caption set, builds the vocabulary from the training captions only (words seen
    at least `min_word_count` times) and encodes every caption."""
    caption_set = readers.read(config)
    training_captions = [c for cs in caption_set.captions["train"] for c in cs]
    vocabulary = captions_lib.Vocabulary.build(
        training_captions, config.min_word_count, config.vocabulary_size
    )
    tokens, image_of = {}, {}
    for split in readers.SPLITS:
        flat = [(index, c) for index, cs in enumerate(caption_set.captions[split]) for c in cs]
        image_of[split] = np.array([index for index, _ in flat], "int32")
        tokens[split] = vocabulary.encode([c for _, c in flat], config.max_caption_words)
    return Datasets(caption_set, vocabulary, tokens, image_of, config.seed)


def adapt_config(config, datasets):
    """The config the data calls for: the vocabulary's real size; for the shapes set, its image
    size and its own epochs and learning rate (`shapes_epochs`, `shapes_learning_rate`, where
    set); and when the generated shapes stand in for a missing Flickr8k, the small encoder
    trained end to end on every generated training image."""
    changes = {"vocabulary_size": len(datasets.vocabulary)}
    if datasets.source.dataset == "shapes":
        changes["image_size"] = config.shapes_image_size
        if config.shapes_epochs is not None:
            changes["epochs"] = config.shapes_epochs
        if config.shapes_learning_rate is not None:
            changes["learning_rate"] = config.shapes_learning_rate
        if config.dataset != "shapes":
            changes.update(dataset="shapes", encoder="small", train_limit=None)
    return dataclasses.replace(config, **changes)


def cached_features(datasets, config, split):
    """EfficientNet-Lite0's last feature grid of every image of `split`, float16, computed once
    and kept in the data cache (keyed by the images and the input size), with the seconds that
    took beside it, so that a run reading the cache still reports the encoder's real cost.

    Returns (grids, seconds the computation took or None if unrecorded, read from the cache)."""
    images = datasets.images[split]
    path = feature_cache_path(datasets, split)
    try:
        return np.load(path), recorded_seconds(path), True
    except (OSError, ValueError):
        pass
    locate.progress(f"EfficientNet-Lite0 features of {len(images):,} {split} images (once)")
    start = time.perf_counter()
    features = extract_features(images)
    seconds = time.perf_counter() - start
    path.parent.mkdir(parents=True, exist_ok=True)
    seconds_path(path).write_text(json.dumps({"seconds": seconds, "images": len(images)}))
    partial = path.with_name(f".{path.name}.partial.npy")
    np.save(partial, features)
    partial.replace(path)
    return features, seconds, False


def seconds_path(path):
    return path.with_suffix(".seconds.json")


def recorded_seconds(path):
    """The computation time saved beside cached grids; None if missing or unreadable."""
    try:
        return float(json.loads(seconds_path(path).read_text())["seconds"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def feature_cache_path(datasets, split):
    """Where `cached_features` keeps the grids of `split`: named by a digest of the images (every
    64th of them), their shape and the data set's fingerprint."""
    images = datasets.images[split]
    digest = hashlib.sha256(images[:: max(1, len(images) // 64)].tobytes())
    digest.update(f"{images.shape}{datasets.source.fingerprint}".encode())
    return locate.cache_dir() / "features" / f"lite0-{split}-{digest.hexdigest()[:16]}.npy"


def extract_features(images, encoder=None):
    """EfficientNet-Lite0's last feature grid of `images` (uint8), computed now in batches of
    `FEATURE_BATCH`: float16 (N, cells, 1,280), the frozen encoder's whole work. `encoder`: one
    built already by `efficientnet.pretrained(..., include_top=False)` (else built here)."""
    if encoder is None:
        encoder = efficientnet.pretrained(images.shape[1:], include_top=False)
    grids = [
        encoder.predict(efficientnet.preprocess(images[start : start + FEATURE_BATCH]), verbose=0)
        for start in range(0, len(images), FEATURE_BATCH)
    ]
    grids = np.concatenate(grids).astype("float16")
    return grids.reshape(len(images), -1, grids.shape[-1])
