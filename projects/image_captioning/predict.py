"""Caption new photos with the tested captioner: `python -m projects.image_captioning predict
photo.jpg`, or `predict --file photos.txt` with one image path per line.

A caption needs more than the weights: the vocabulary learned from the training captions, so
training saves it beside each captioner (`save_vocabulary`). `predict` finds the run by the
same preset and config that trained it and the model that run tested, reads the config the data
called for from the run's saved results (image size, encoder, beam), and treats a new photo as
a test photo: stretched to the training size, through the frozen EfficientNet-Lite0 when the
captioner reads its grid, then beam search (`decode.beam_search`).
"""

import json
import pathlib

import numpy as np

from common.data import errors
from common.experiment import config as config_lib
from common.experiment import results as results_lib
from common.experiment import skeleton, training
from common.nn import efficientnet
from common.report import parts
from projects.image_captioning import captions as captions_lib
from projects.image_captioning import config as config_module
from projects.image_captioning import data, decode, readers

PROJECT = "image_captioning"
VOCABULARY_FILE = "vocabulary.json"
UNREADABLE = "ERROR: "  # predict --file's line for an unreadable image: never a caption.


def save_vocabulary(folder, vocabulary):
    """Saves the tokens in id order beside the model that `folder` will hold."""
    path = pathlib.Path(folder) / VOCABULARY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    parts.write_text_atomically(path, json.dumps({"tokens": list(vocabulary.tokens)}))


class Captioner:
    """The tested captioner of a run, ready to caption image files: its config, vocabulary,
    step decoder and (for the pretrained grid) the frozen encoder, each loaded once."""

    def __init__(self, config, workdir, preset):
        folder = skeleton.tested_model_folder(PROJECT, config, workdir, preset)
        saved = json.loads((folder.parent / "results" / results_lib.METRICS_FILE).read_text())
        self.config = config_lib.from_dict(config_module.Config, saved["metadata"]["config"])
        self.vocabulary = read_vocabulary(folder, preset)
        self.decoder = decode.Decoder(training.load_model_file(folder / training.MODEL_FILE),
                                      self.config)  # fmt: skip
        size = self.config.image_size
        self.encoder = None
        if self.config.encoder == "efficientnet":
            self.encoder = efficientnet.pretrained((size, size, 3), include_top=False)

    def caption(self, images):
        """Beam-search captions (word strings) of uint8 images (N, size, size, 3)."""
        inputs = images
        if self.encoder is not None:
            inputs = data.extract_features(images, self.encoder)
        config = self.config
        ids = decode.beam_search(
            self.decoder, inputs, self.vocabulary, config.max_caption_words,
            width=config.beam_width, alpha=config.length_alpha,
            no_repeat_ngram=config.no_repeat_ngram,
        )  # fmt: skip
        return [self.vocabulary.decode(row) for row in ids]

    def read_image(self, path):
        """One image file at the training size; FileNotFoundError or DataFormatError."""
        if not pathlib.Path(path).is_file():
            raise FileNotFoundError(f"No image file at {path}.")
        return readers.decode_image(path, self.config.image_size)


def read_vocabulary(folder, preset):
    path = folder / VOCABULARY_FILE
    try:
        return captions_lib.Vocabulary(tuple(json.loads(path.read_text())["tokens"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise FileNotFoundError(
            f"The trained captioner in {folder} has no readable vocabulary ({path}: "
            f"{type(error).__name__}); it was trained before `predict` existed or the file is "
            f"damaged. Train it again: python -m projects.image_captioning --preset {preset} "
            "--fresh (plus the same --set, --workdir and --data-dir options)."
        ) from None


def predict(config, workdir, *, text, preset="custom"):
    """The CLI's `predict`: captions the image file named by `text`."""
    path = str(text).strip()
    if not path:
        raise ValueError("Nothing to caption: give an image file, e.g. predict photo.jpg")
    captioner = Captioner(config, workdir, preset)
    image = captioner.read_image(path)  # A missing or broken file fails before any decoding.
    caption = captioner.caption(image[None])[0]
    return {"caption": caption, "summary": f"{path}: {caption}"}


def batch_captioner(config, workdir, *, preset="custom"):
    """The CLI's `predict --file`: loads the captioner once and returns `caption(paths)`, which
    gives one line per image path, in order: "PATH<TAB>caption", or "PATH<TAB>ERROR: why" for a
    missing or unreadable image (so output line N always answers input line N)."""
    captioner = Captioner(config, workdir, preset)

    def caption(paths):
        images, problems = [], {}
        for index, path in enumerate(paths):
            try:
                images.append(captioner.read_image(path))
            except (FileNotFoundError, errors.DataFormatError) as error:
                problems[index] = f"{UNREADABLE}{error}".replace("\t", " ").replace("\n", " ")
        written = iter(captioner.caption(np.stack(images)) if images else [])
        return [
            f"{path}\t{problems[index] if index in problems else next(written)}"
            for index, path in enumerate(paths)
        ]

    return caption
