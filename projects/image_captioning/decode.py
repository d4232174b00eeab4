"""Writing captions with a trained captioner: greedy decoding and beam search.

At test time there is no true previous word to feed (teacher forcing is over): the decoder is
run one step at a time on its own output. Greedy decoding takes the most probable word at each
step; beam search (book Section 12.4.5, "beam search"; Sutskever et al., 2014) keeps the
`width` most probable partial captions and extends each, a better approximation of the most
probable caption as a whole. Longer captions multiply more probabilities below 1, so finished
captions are compared by their log probability divided by length**alpha (length
normalization; Wu et al., 2016). Width 1 is greedy decoding, exactly. Neither ever writes
<pad>, <start> or <unk>: a caption of "<unk>" words says nothing, so the next most probable
real word is taken instead (as most captioning systems do). Both can also refuse to repeat a
phrase (`no_repeat_ngram`): a word that would write an n-gram the caption already holds is never
chosen, a cure for the loops a recurrent decoder falls into ("a dog in the snow in the snow").
"""

import keras
import numpy as np

from projects.image_captioning import captions as captions_lib
from projects.image_captioning import model as model_lib

# Ids no decoder writes: <pad>, <unk> and <start> (the end token stays: it ends a caption).
NEVER_WRITTEN = tuple(
    captions_lib.SPECIAL.index(token)
    for token in (captions_lib.PAD, captions_lib.UNKNOWN, captions_lib.START)
)


class Decoder:
    """The trained captioner split for step-by-step use: `encode` (image -> feature grid and
    first states) and `step` (grid, previous word, states -> next-word probabilities, states,
    attention weights), sharing every weight with the trained model."""

    def __init__(self, model, config):
        self.config, self.attention = config, config.attention
        layer = model.get_layer
        names = ("init_h", "init_c") if config.cell == "lstm" else ("init_h",)  # GRU: one state.
        states = [layer(name).output for name in names]
        grid = layer(model_lib.grid_layer(config)).output
        self.encode = keras.Model(model.input["image"], [grid, *states])
        grid = keras.Input(shape=grid.shape[1:], name="grid")
        word = keras.Input(shape=(1,), dtype="int32", name="word")
        inputs = [keras.Input(shape=(config.units,), name=f"state{i}") for i in range(len(states))]
        sequence, *new_states = layer("decoder")(layer("embedding")(word), initial_state=inputs)
        hidden, weights = sequence, None
        if config.attention:
            query, key = layer("attention_query")(sequence), layer("attention_key")(grid)
            context, weights = layer("attention")([query, grid, key], return_attention_scores=True)
            hidden = layer("state_and_context")([sequence, context])
        probabilities = layer("next_word")(layer("output_hidden")(hidden))
        outputs = [probabilities, *new_states] + ([weights] if weights is not None else [])
        self.step = keras.Model([grid, word, *inputs], outputs)

    def run_step(self, grid, words, states):
        outputs = self.step([grid, words[:, None], *states], training=False)
        outputs = [keras.ops.convert_to_numpy(output) for output in outputs]
        probabilities, new_states = outputs[0][:, 0], outputs[1 : 1 + len(states)]
        probabilities[:, list(NEVER_WRITTEN)] = 0.0
        weights = outputs[-1][:, 0] if self.attention else None
        return probabilities, new_states, weights


def greedy(decoder, encoder_inputs, vocabulary, max_words, no_repeat_ngram=0, batch_size=256):
    """The most probable word at every step (never one that repeats an n-gram of
    `no_repeat_ngram` words, when > 0); returns (captions as id lists, attention weights per
    step (steps, cells) per caption, or None without attention)."""
    captions, attention = [], []
    for start in range(0, len(encoder_inputs), batch_size):
        grid, *states = decoder.encode(encoder_inputs[start : start + batch_size], training=False)
        grid, states = (
            keras.ops.convert_to_numpy(grid),
            [keras.ops.convert_to_numpy(s) for s in states],
        )
        words = np.full(len(grid), vocabulary.start_id, "int32")
        done = np.zeros(len(grid), bool)
        ids, weights = [], []
        for _ in range(max_words + 1):
            probabilities, states, step_weights = decoder.run_step(grid, words, states)
            if no_repeat_ngram and ids:
                for row, banned in enumerate(repeats(np.stack(ids, axis=1), no_repeat_ngram)):
                    probabilities[row, banned] = 0.0
            words = np.where(done, 0, probabilities.argmax(axis=-1)).astype("int32")
            ids.append(words)
            weights.append(step_weights)
            done |= words == vocabulary.end_id
            if done.all():
                break
        ids = np.stack(ids, axis=1)
        for row in range(len(grid)):
            length = trimmed_length(ids[row], vocabulary.end_id)
            captions.append(ids[row, :length].tolist())
            if decoder.attention:
                attention.append(np.stack([w[row] for w in weights[:length]]))
    return captions, (attention if decoder.attention else None)


def trimmed_length(ids, end_id):
    """Words up to and including the first end token."""
    ends = np.flatnonzero(ids == end_id)
    return int(ends[0]) + 1 if len(ends) else len(ids)


def repeats(history, size):
    """For each caption so far (a row of word ids), the words that would end an n-gram of
    `size` words it already holds: those that followed its last `size` - 1 words before."""
    banned = []
    for row in history.tolist():
        prefix, start = row[len(row) - size + 1 :], len(row) - size + 1
        banned.append(
            [row[i + size - 1] for i in range(max(start, 0)) if row[i : i + size - 1] == prefix]
        )
    return banned


def beam_search(
    decoder,
    encoder_inputs,
    vocabulary,
    max_words,
    width=3,
    alpha=0.7,
    no_repeat_ngram=0,
    batch_size=64,
):
    """The `width` best partial captions kept at every step (none repeating an n-gram of
    `no_repeat_ngram` words, when > 0); returns the caption (id list, ending in the end token
    when it finished) with the best length-normalized log probability for every image."""
    captions = []
    for start in range(0, len(encoder_inputs), batch_size):
        captions += _beam_batch(
            decoder,
            encoder_inputs[start : start + batch_size],
            vocabulary,
            max_words,
            (width, alpha, no_repeat_ngram),
        )
    return captions


def _beam_batch(decoder, encoder_inputs, vocabulary, max_words, settings):
    width, alpha, no_repeat_ngram = settings
    grid, *states = decoder.encode(encoder_inputs, training=False)
    images = len(grid)
    grid = np.repeat(keras.ops.convert_to_numpy(grid), width, axis=0)
    states = [np.repeat(keras.ops.convert_to_numpy(s), width, axis=0) for s in states]
    scores = np.full((images, width), -np.inf)
    scores[:, 0] = 0.0  # One live beam at first: the others would repeat it.
    words = np.full(images * width, vocabulary.start_id, "int32")
    history = np.zeros((images, width, 0), "int32")
    done = np.zeros((images, width), bool)
    for _ in range(max_words + 1):
        probabilities, states, _ = decoder.run_step(grid, words, states)
        if no_repeat_ngram and history.shape[-1]:
            flat = history.reshape(images * width, -1)
            for row, banned in enumerate(repeats(flat, no_repeat_ngram)):
                probabilities[row, banned] = 0.0
        log_p = np.log(np.maximum(probabilities, 1e-12)).reshape(images, width, -1)
        vocab = log_p.shape[-1]
        frozen = np.full((vocab,), -np.inf)
        frozen[0] = 0.0  # A finished caption continues only with padding, at no cost.
        log_p = np.where(done[..., None], frozen, log_p)
        candidates = (scores[..., None] + log_p).reshape(images, width * vocab)
        best = np.argsort(-candidates, axis=1, kind="stable")[:, :width]
        parents, tokens = best // vocab, (best % vocab).astype("int32")
        scores = np.take_along_axis(candidates, best, axis=1)
        history = np.concatenate(
            [np.take_along_axis(history, parents[..., None], axis=1), tokens[..., None]], axis=2
        )
        done = np.take_along_axis(done, parents, axis=1) | (tokens == vocabulary.end_id)
        rows = (np.arange(images)[:, None] * width + parents).ravel()
        states = [state[rows] for state in states]
        words = tokens.ravel()
        if done.all():
            break
    lengths = np.array(
        [
            [trimmed_length(history[i, b], vocabulary.end_id) for b in range(width)]
            for i in range(images)
        ]
    )
    normalized = np.where(np.isfinite(scores), scores / lengths**alpha, -np.inf)
    chosen = normalized.argmax(axis=1)
    return [history[i, b, : lengths[i, b]].tolist() for i, b in enumerate(chosen)]
