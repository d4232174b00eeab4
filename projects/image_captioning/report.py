"""The image-captioning report, drawn from a run's saved results only.

Sections in reading order: the task and the data, how the model reads an image and writes,
test images with their generated and reference captions, attention maps word by word, BLEU
against the baselines, beam width, the ablations, where the attention lands (shapes), the
pretrained encoder's check, learning curves. Each figure and table names the code behind it.
"""

from common.nn import recorder
from common.report import attention_plots, plots, sentences
from common.report import report as report_lib
from projects.image_captioning import attention_checks, evaluate, train

SUMMARY = (
    "A convolutional encoder turns a photo into a grid of feature vectors; a recurrent decoder "
    "writes a caption word by word, each word predicted from the image and the words before it "
    "(a conditional language model, book Section 10.2.4), looking at the grid through additive "
    "attention (Section 12.4.5.1). Trained with teacher forcing on human captions, scored on "
    "the test set once, the way captioning papers score (BLEU-1 to 4 against every reference)."
)
BLEU_COLUMNS = ["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4"]


def build_report(results):
    """Returns a `common.report.Report` with every section filled from the saved results."""
    config, metrics = results.config, results.metrics
    report = report_lib.Report("image_captioning", "Image captioning with attention", SUMMARY)
    report_lib.add_run_banners(report, results)
    if metrics["dataset"] == "shapes" and results.is_sample:
        report.add_banner(
            "No Flickr8k on this machine: this run trained on the generated shapes set instead "
            "(exact captions such as 'a red circle left of a blue square'). Put "
            "flickr8k_128px.tar.gz or the official Flickr8k folders in --data-dir for photos."
        )
    report.add_metric(f"test BLEU-4 (beam {config.beam_width})", metrics["test_bleu4"], "{:.1f}",
                      headline=True)  # fmt: skip
    report.add_metric("test BLEU-1", metrics["test_bleu1"], "{:.1f}")
    if "test_exact" in metrics:
        report.add_metric("exactly right captions", metrics["test_exact"], "{:.1%}")
    report.add_metric("vocabulary (words)", metrics["vocabulary_size"], "{:,}")
    report.add_metric("training time (s)", metrics["training_time_seconds"], "{:.0f}")
    add_data_and_model(report, config, metrics, results)
    add_examples(report, metrics, results)
    add_attention_maps(report, metrics, results)
    add_bleu_table(report, config, metrics)
    add_beam_widths(report, config, metrics)
    add_ablations(report, results)
    if "attention_landing" in metrics:
        add_landing(report, metrics["attention_landing"])
    if "encoder_check" in metrics:
        add_encoder_check(report, metrics, results)
    add_learning_curves(report, results)
    return report


def feature_cost(metrics):
    """What the frozen encoder's grids cost, said truthfully when a cache supplied them."""
    seconds, cached = metrics["feature_seconds"], metrics.get("features_from_cache")
    if seconds is None:
        return "by an earlier run that did not record its time; read from the data cache"
    if cached is None:  # Saved by a version that did not say where the grids came from.
        return (
            f"{seconds:.0f} s in this run, which did not record whether it read them from "
            "the data cache"
        )
    cost = f"{seconds:.0f} s for every image of this run"
    return f"{cost}, by the run that filled the data cache" if cached else cost


def add_data_and_model(report, config, metrics, results):
    images, captions = metrics["images"], metrics["captions"]
    encoder = (
        "EfficientNet-Lite0, pretrained on ImageNet and frozen: its last grid of 1280-channel "
        f"features for a {config.image_size}-pixel image, computed once "
        f"({feature_cost(metrics)})"
        if config.encoder == "efficientnet"
        else f"a small CNN of {config.small_encoder_blocks()} stride-2 blocks, trained with the "
        "decoder"
    )
    report.add_section(
        "Data and model",
        f"{results.data_source.get('description', '')}. {images['train']:,} training, "
        f"{images['validation']:,} validation and {images['test']:,} test images with "
        f"{captions['train']:,}, {captions['validation']:,} and {captions['test']:,} captions. "
        "Captions are lower-cased, stripped of punctuation and cut to "
        f"{config.max_caption_words} words; the vocabulary is learned from the training "
        f"captions only ({metrics['vocabulary_size']:,} tokens, words seen fewer than "
        f"{config.min_word_count} times become <unk>), plus <start> and <end>: the end token is "
        "one more class of the softmax, whose probability says that the caption is complete "
        f"(Section 10.2.3).\n\nEncoder: {encoder}. Decoder: {config.cell.upper()} of "
        f"{config.units} units over {config.embedding_size}-dimensional word embeddings, its "
        "first state computed from the mean of the grid"
        + (
            "; at every step additive attention, v^T tanh(W h_t + U f_l), weighs the "
            f"{config.attention_units}-unit projections of the grid cells"
            if config.attention
            else "; no attention: the first state is all it sees of the image"
        )
        + f". Training: teacher forcing, padding masked out of the loss, Adam at "
        f"{config.learning_rate:g} with a cosine decay, gradients clipped at norm "
        f"{config.clipnorm:g}, dropout {config.dropout_rate:g} on the cell's "
        f"{config.dropout_placement} side, up to {config.epochs} epochs with early stopping.",
    )


def add_examples(report, metrics, results):
    report.add_section(
        "Test images and their captions",
        "The first test images, each with the caption written greedily and by beam search, "
        "then the human references. Captions are shown as text (escaped), never as markup.",
    )
    images = results.arrays["examples/images"]
    labels = [f"greedy: {e['greedy']}\nbeam: {e['beam']}" for e in metrics["examples"]]
    report.add_image_grid(
        images, labels, caption="Generated captions under each test image.", columns=4,
        computed_by=evaluate.headline_scores,
    )  # fmt: skip
    report.add_text_samples(
        [
            {"label": f"image {i + 1}", "text": " | ".join(e["references"])}
            for i, e in enumerate(metrics["examples"])
        ],
        caption="The human reference captions of the same images, in order.",
        computed_by=evaluate.headline_scores,
    )


def add_attention_maps(report, metrics, results):
    examples = metrics.get("attention_examples") or []
    if not examples:
        return
    report.add_section(
        "Where the decoder looks, word by word",
        "Each panel shows the attention weights over the grid while the decoder wrote the word "
        "above it (greedy decoding), laid over the image: bright cells got the weight.",
    )
    images = results.arrays["attention/images"]
    for index, words in enumerate(examples):
        weights = results.arrays[f"attention/weights_{index}"]
        report.add_figure(
            attention_plots.word_attention(images[index], words, weights),
            caption="Attention over the image for each generated word.",
            computed_by=evaluate.headline_scores,
            drawn_by=attention_plots.word_attention,
        )


def add_bleu_table(report, config, metrics):
    rows = [[f"headline, beam {config.beam_width}"] + bleus(metrics, "test_")]
    headline = metrics["variants"][metrics["tested_model"]]
    rows.append(["headline, greedy"] + bleus(headline))
    rows += [[name] + bleus(row) for name, row in metrics["baselines"].items()]
    frequent = metrics["baselines"]["most frequent caption"]["caption"]
    report.add_section(
        "BLEU against the baselines",
        "Corpus BLEU x 100 over the test images against all their references. The baselines: "
        "the first caption of the nearest training image (cosine of mean-pooled encoder "
        f"features) and the most frequent training caption ('{frequent}') for every image. "
        + neighbour_sentence(metrics),
    )
    report.add_table(["captions", *BLEU_COLUMNS], rows, caption="Test BLEU x 100.",
                     float_format="{:.1f}", computed_by=evaluate.bleu)  # fmt: skip


def neighbour_sentence(metrics):
    neighbour = metrics["baselines"]["nearest neighbour"]["bleu4"]
    compared = sentences.compare(
        "the headline's BLEU-4", metrics["test_bleu4"], "the nearest neighbour's", neighbour,
        fmt="{:.1f}",
    )  # fmt: skip
    return sentences.capitalized(compared) + "."


def bleus(row, prefix=""):
    return [row[f"{prefix}bleu{n}"] for n in range(1, 5)]


def add_beam_widths(report, config, metrics):
    widths = metrics["beam_widths"]
    keys = sorted(widths, key=int)
    report.add_section(
        "Beam width",
        "Beam search keeps the most probable partial captions and ranks finished ones by log "
        f"probability / length^{config.length_alpha:g}; width 1 is greedy decoding"
        + (
            f" (both never repeat a phrase of {config.no_repeat_ngram} words)"
            if config.no_repeat_ngram
            else ""
        )
        + ". As the "
        f"width grows ({', '.join(keys)}), "
        + sentences.trend("BLEU-4", [widths[k]["bleu4"] for k in keys], fmt="{:.1f}")
        + " and "
        + sentences.trend(
            "decoding speed", [widths[k]["captions_per_second"] for k in keys], fmt="{:.0f}"
        )  # fmt: skip
        + " captions per second.",
    )
    report.add_table(
        ["beam width", *BLEU_COLUMNS, "captions / s"]
        + (["exactly right"] if "exact" in widths[keys[0]] else []),
        [
            [int(k), *bleus(widths[k]), widths[k]["captions_per_second"]]
            + ([widths[k]["exact"]] if "exact" in widths[k] else [])
            for k in keys
        ],
        float_format="{:.1f}",
        computed_by=evaluate.headline_scores,
    )


def add_ablations(report, results):
    variants = results.metrics["variants"]
    for ablation, rows in results.plan["tables"].items():
        bleu4 = {label: variants[name]["bleu4"] for label, name in rows}
        report.add_section(
            f"Ablation: {ablation.replace('_', ' ')}",
            f"The headline's config with one change, both on the ablation budget. Best BLEU-4: "
            f"{sentences.best(bleu4, fmt='{:.1f}')} (greedy decoding). "
            + sentences.early_stopping([results.training[name] for _, name in rows]),
        )
        exact = "exact" in variants[rows[0][1]]
        report.add_table(
            ["model", *BLEU_COLUMNS, "val next-word loss", "best epoch", "parameters"]
            + ["time (s)"]
            + (["exactly right"] if exact else []),
            [
                [label, *bleus(variants[name])]
                + [next_word_loss(variants[name], results.training[name])]
                + [variants[name]["best_epoch"], variants[name]["parameters"]]
                + [variants[name]["wall_time_seconds"]]
                + ([variants[name]["exact"]] if exact else [])
                for label, name in rows
            ],
            float_format="{:.2f}",
            computed_by=train.plan,
        )


def next_word_loss(summary, record):
    """The validation next-word loss at the kept epoch. With a length head, `val_loss` also
    holds the weighted length error, so the ablation compares this one instead."""
    values = record["history"].get("val_next_word_loss")
    if not values:
        return summary["val_loss"]
    return values[summary["best_epoch"] - summary["first_recorded_epoch"]]


def add_landing(report, landing):
    report.add_section(
        "Does the attention land on the object being named?",
        "On exactly right captions of the shapes set, while the decoder writes an object's "
        "colour or shape, the share of its attention inside that object's box, against the "
        "share of the image the box covers (what evenly spread attention would put there): "
        + (
            f"{landing['mass_in_box']:.2f} of the mass against a box share of "
            f"{landing['box_share']:.2f}, {landing['ratio']:.1f} times chance, over "
            f"{landing['words']:,} words."
            if landing["words"]
            else "no caption was exactly right, so nothing could be checked."
        ),
    )
    report.add_table(
        ["words checked", "attention mass in box", "box share of image", "ratio"],
        [[landing["words"], landing["mass_in_box"], landing["box_share"], landing["ratio"]]],
        float_format="{:.3f}",
        computed_by=attention_checks.landing,
    )


def add_encoder_check(report, metrics, results):
    rows = metrics["encoder_check"]
    hits = sum(row["dog_breed_in_top5"] for row in rows)
    report.add_section(
        "Checking the pretrained encoder",
        "The PyTorch weights were converted to Keras by common/nn/efficientnet.py; if the "
        "conversion is right, the network's own ImageNet classifier names dog breeds for "
        f"photos of dogs. Test photos whose captions mention a dog: {hits} of {len(rows)} get "
        "a dog breed among their five most probable ImageNet classes.",
    )
    report.add_image_grid(
        results.arrays["encoder_check/images"],
        [", ".join(name.split(",")[0] for name, _ in row["top5"][:3]) for row in rows],
        caption="The three most probable ImageNet classes of each photo.",
        columns=len(rows),
        computed_by=evaluate.encoder_check,
    )


def add_learning_curves(report, results):
    record = results.training[results.metrics["tested_model"]]
    report.add_section(
        "Learning curves of the headline model",
        "Solid: training; dashed: validation (teacher forcing: the true previous words are fed "
        f"in). {record['early_stopping']['stop_reason']} " + sentences.early_stopping([record]),
    )
    history = {k: v for k, v in record["history"].items() if "remaining" not in k}
    report.add_figure(
        plots.learning_curves(history, best_epoch=record["early_stopping"]["best_epoch_number"]),
        caption="Next-word loss and masked accuracy per epoch; vertical line: the epoch kept.",
        computed_by=recorder.TrainingRecorder,
        drawn_by=plots.learning_curves,
    )
