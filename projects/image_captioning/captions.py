"""Captions as token ids: standardization, a vocabulary from the training captions, start and
end tokens.

A caption generator is a language model conditioned on an image (book Section 12.4.5): it
predicts each word from the image and the words before it, so every caption gets a start token
to condition the first word on and an end token, one more class of the softmax, whose
probability says that the caption is complete (the book's "extra output with the probability
the output has completed", Section 10.2.3).
"""

import collections
import dataclasses
import re

import numpy as np

PAD, UNKNOWN, START, END = "<pad>", "<unk>", "<start>", "<end>"
SPECIAL = (PAD, UNKNOWN, START, END)  # Ids 0, 1, 2, 3.
_NOT_A_WORD = re.compile(r"[^a-z0-9' ]+")


def standardize(caption):
    """Lower case, punctuation to spaces, one space between words: "A dog, running." ->
    "a dog running"."""
    return " ".join(_NOT_A_WORD.sub(" ", str(caption).lower()).replace("'", "").split())


def words(caption):
    return standardize(caption).split()


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """Token ids for words: the special tokens first, then the words of the training captions
    seen at least `min_count` times, most frequent first (ties alphabetically)."""

    tokens: tuple

    @classmethod
    def build(cls, captions, min_count=1, max_size=None):
        counts = collections.Counter(word for caption in captions for word in words(caption))
        kept = sorted(
            (w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w)
        )
        if max_size is not None:
            kept = kept[: max(0, max_size - len(SPECIAL))]
        return cls(SPECIAL + tuple(kept))

    def __len__(self):
        return len(self.tokens)

    @property
    def index(self):
        return {token: position for position, token in enumerate(self.tokens)}

    @property
    def end_id(self):
        return SPECIAL.index(END)

    @property
    def start_id(self):
        return SPECIAL.index(START)

    def encode(self, captions, length):
        """int32 (N, length + 2): <start>, the word ids, <end>, then padding (0); captions longer
        than `length` words are cut (their end token is kept)."""
        index, unknown = self.index, SPECIAL.index(UNKNOWN)
        rows = np.zeros((len(captions), length + 2), "int32")
        for row, caption in zip(rows, captions, strict=True):
            ids = [index.get(word, unknown) for word in words(caption)][:length]
            row[: len(ids) + 2] = [self.start_id, *ids, self.end_id]
        return rows

    def decode(self, ids):
        """The words of one id sequence, up to (not including) the end token."""
        out = []
        for token_id in ids:
            token_id = int(token_id)
            if token_id == self.end_id or token_id == 0:
                break
            if token_id != self.start_id:
                out.append(self.tokens[token_id])
        return " ".join(out)
