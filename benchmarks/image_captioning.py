"""Flickr8k captions: our decoder against the keras-io transformer recipe over the same frozen
EfficientNet-Lite0 grids, the same vocabulary and batches, and the same time budget. Our decoder
on the generated shapes set, whose truth is exact, is its own benchmark
(`benchmarks/image_captioning_shapes.py`, `python -m benchmarks image_captioning_shapes`).

1. The encoder's one-off work: EfficientNet-Lite0's grid of every photo, computed once and cached
   (`data.cached_features`). Each split says whether its grids came from the cache; when all did,
   the test split's 1,000 photos are encoded afresh (`data.extract_features`) to time the work
   (`benchmarks/image_captioning_encoder.py`).
2. The race: ours is the project's headline (`model.build_model`, `train.compile_model`, fed by
   `Datasets.train`), its warm-up and cosine decay run over the budget (`WallClockDecay`) instead
   of over epochs; the reference is `benchmarks/keras_io_captioning.py`. Each trains for
   `BUDGET_SECONDS` x cores CPU seconds of this process (30 minutes of the machine in the full
   preset; the clock and the turns are the denoising benchmark's: see its docstring), in turns of
   `SLICE_SECONDS` x cores (`runner.train_in_turns`), so that a slow spell of a shared host slows
   both.
3. Scores on the test split (`evaluate.scores`: corpus BLEU-1..4 against all five references),
   with the headline's beam (`config.beam_width`) and greedy decoding (`decode.beam_search`,
   `decode.greedy`), decoding speed in captions per second, and the project's baselines
   (`evaluate.baselines`) as rows.

The issue's targets are checked and recorded (`TARGETS`).
"""

import time

from benchmarks import image_captioning_encoder as encoder_part
from benchmarks import keras_io_captioning, runner
from common.experiment import config as config_lib
from common.experiment import training
from common.nn import schedules
from common.report import meta
from projects.image_captioning import config as project_config
from projects.image_captioning import data, decode, evaluate, model, train

PROJECT = "image_captioning"
BUDGET_SECONDS = {"smoke": 1, "quick": 300, "full": 1800}  # Each decoder's training, x cores.
SLICE_SECONDS = {"smoke": 0.5, "quick": 60, "full": 120}  # One turn, x cores.
CLOCK = "process"
OURS, REFERENCE = "ours (LSTM + additive attention)", "keras-io transformer"
DESCRIPTIONS = {
    OURS: "projects/image_captioning headline (model.build_model, train.compile_model)",
    REFERENCE: "keras-io examples/vision/image_captioning.py over the same encoder",
}
TARGETS = {"bleu1": 58.0, "bleu4": 15.0}  # Ours, beam search; and above both baselines.
SPEED_WIDTH = 3  # The decoding speed is for beam 3: also decoded when the headline's isn't.


def run(preset="full", data_dir=None, seed=0, output_dir=runner.RESULTS_DIR):
    start = time.perf_counter()
    config = config_lib.from_preset(project_config.Config, preset, data_dir=data_dir, seed=seed)
    datasets = data.load_datasets(config)
    config = data.adapt_config(config, datasets)
    cores = runner.usable_cores()
    seconds, slice_seconds = BUDGET_SECONDS[preset] * cores, SLICE_SECONDS[preset] * cores
    extraction = encoder_part.feature_extraction(datasets, config)
    batches = datasets.train(config)  # One pipeline (and one copy of the grids) for both.
    ours = contestant(
        lambda: build_ours(config, datasets, seconds), batches, config, seconds, slice_seconds
    )
    reference = contestant(
        lambda: build_reference(config, seconds), batches, config, seconds, slice_seconds
    )
    runner.train_in_turns([ours, reference])
    decoders = {
        OURS: (ours, decode.Decoder(ours.model, config)),
        REFERENCE: (reference, keras_io_captioning.StepDecoder(reference.model)),
    }
    rows = [scored(name, *decoders[name], datasets, config) for name in decoders]
    exact = datasets.source.dataset == "shapes"
    baselines = evaluate.baselines(config, datasets, datasets.references("test"), exact)
    rows += [{"name": name, **row} for name, row in baselines.items()]
    document = {
        "project": PROJECT,
        "task": f"{datasets.source.dataset} test captions ({len(datasets.images['test']):,} "
        "images), corpus BLEU-1..4 against all references",
        "budget_seconds_each": seconds,
        "budget_clock": CLOCK,
        "slice_seconds": slice_seconds,
        "cores": cores,
        "beam_width": config.beam_width,
        "feature_extraction": extraction,
        "results": rows,
        "targets": TARGETS,
        "targets_met": checks(rows),
    }
    document["metadata"] = meta.run_metadata(
        config=config_lib.to_dict(config),
        seed=seed,
        preset=f"benchmark-{preset}",
        data_source=datasets.source.as_dict(),
        wall_time_seconds=time.perf_counter() - start,
    )
    return runner.write_document(PROJECT, document, markdown(document), output_dir)


def build_ours(config, datasets, seconds):
    """The project's headline model and recipe, its schedule spread over the time budget."""
    captioner = model.build_model(config)
    train.compile_model(captioner, config, datasets, learning_rate=config.learning_rate)
    schedule = schedules.WallClockDecay(
        config.learning_rate,
        seconds,
        clock=CLOCK,
        resume=True,
        warmup_fraction=config.warmup_fraction,
        decay="cosine",
    )
    return captioner, [schedule]


def build_reference(config, seconds):
    captioner = keras_io_captioning.build_model(config)
    keras_io_captioning.compile_model(captioner)
    return captioner, [keras_io_captioning.Warmup(seconds, clock=CLOCK)]


def contestant(build, batches, config, seconds, slice_seconds):
    """A recipe ready to race: seeded, built, fed the project's batches (each `fit` call draws a
    new shuffle of them), with its own budget."""
    training.set_seed(config.seed)
    captioner, extra_callbacks = build()
    limit = runner.TimeLimit(seconds, clock=CLOCK, slice_seconds=slice_seconds)
    print(f"--- {captioner.name}: {captioner.count_params():,} parameters", flush=True)
    return runner.Contestant(captioner, batches, limit, tuple(extra_callbacks))


def scored(name, racer, decoder, datasets, config):
    """A trained recipe's row: its clocks and steps, then BLEU and captions per second with beam
    `config.beam_width` and greedy decoding."""
    timing = racer.limit.summary()
    row = {
        "name": name,
        "description": DESCRIPTIONS[name],
        "parameters": int(racer.model.count_params()),
        **timing,
        "cores_busy": timing["train_cpu_seconds"] / max(timing["train_seconds"], 1e-9),
        "epochs_equivalent": timing["steps"] / datasets.steps_per_epoch(config),
    }
    return {**row, **decoding_scores(decoder, datasets, config)}


def decoding_scores(decoder, datasets, config):
    """{"beam": BLEU and captions/s, "greedy": the same, and "beam_3" unless the headline's beam
    is 3} on the test split (plus, on the shapes set, the share exactly right)."""
    vocabulary = datasets.vocabulary
    references, exact = datasets.references("test"), datasets.source.dataset == "shapes"
    ((greedy_ids, _), greedy_seconds), (beam_ids, beam_seconds) = evaluate.greedy_and_beam(
        decoder, datasets, config
    )
    modes = [("beam", beam_ids, beam_seconds), ("greedy", greedy_ids, greedy_seconds)]
    if config.beam_width != SPEED_WIDTH:
        inputs = datasets.encoder_input(config, "test")
        beam_3_ids, beam_3_seconds = evaluate.beam_timed(
            decoder, inputs, vocabulary, config, SPEED_WIDTH
        )
        modes.append((f"beam_{SPEED_WIDTH}", beam_3_ids, beam_3_seconds))
    result = {}
    for mode, ids, seconds in modes:
        captions = [vocabulary.decode(row) for row in ids]
        result[mode] = {
            **evaluate.scores(captions, references, exact),
            "captions_per_second": len(ids) / seconds,
            "example": captions[0],
        }
    return result


def checks(rows):
    """The issue's targets for ours (beam): BLEU-1 and BLEU-4 thresholds, and both above both
    baselines; the reference against the baselines too (recorded, not a target)."""
    by_name = {row["name"]: row for row in rows}
    floors = [row for row in rows if "beam" not in row]
    ours = by_name[OURS]["beam"]

    def above_baselines(scores):
        return all(scores[k] > floor[k] for floor in floors for k in ("bleu1", "bleu4"))

    return {
        "bleu1": ours["bleu1"] >= TARGETS["bleu1"],
        "bleu4": ours["bleu4"] >= TARGETS["bleu4"],
        "above_baselines": above_baselines(ours),
        "reference_above_baselines": above_baselines(by_name[REFERENCE]["beam"]),
    }


def markdown(document):
    metadata = document["metadata"]
    width, cores = document["beam_width"], document["cores"]
    header = ["model", "params", "CPU s", "wall s", "epochs"]
    header += [f"BLEU-{n} beam {width}" for n in range(1, 5)] + ["BLEU-1/4 greedy"]
    header += ["captions/s greedy", f"captions/s beam {width}"]
    if width != SPEED_WIDTH:
        header += [f"BLEU-1/4 beam {SPEED_WIDTH}", f"captions/s beam {SPEED_WIDTH}"]
    lines = [
        f"# {PROJECT} benchmark",
        "",
        f"{document['task']}. Each decoder trains for {document['budget_seconds_each']:.0f} CPU "
        f"seconds of this process ({document['budget_seconds_each'] / cores:.0f} s x {cores} "
        f"cores), in turns of {document['slice_seconds']:.0f} s. Machine: "
        f"{runner.machine(metadata.get('hardware', {}))}; preset {metadata['preset']}.",
        "",
        encoder_part.extraction_line(document["feature_extraction"]),
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += [table_row(row, len(header)) for row in document["results"]]
    met = ", ".join(
        f"{k} {'met' if ok else 'NOT met'}" for k, ok in document["targets_met"].items()
    )
    lines += [
        "",
        f"Targets (ours, beam {width}: {document['targets']}, above both baselines): {met}.",
        "",
        "The shapes set: [image_captioning_shapes.md](image_captioning_shapes.md).",
    ]
    return "\n".join(lines) + "\n"


def table_row(row, columns):
    if "beam" not in row:  # A baseline: one caption per image, no training, no decoding.
        cells = [row["name"], "—", "—", "—", "—", *[f"{row[f'bleu{n}']:.1f}" for n in range(1, 5)]]
        return "| " + " | ".join(cells + ["—"] * (columns - len(cells))) + " |"
    beam, greedy = row["beam"], row["greedy"]
    cells = [
        row["name"],
        f"{row['parameters']:,}",
        f"{row['train_cpu_seconds']:.0f}",
        f"{row['train_seconds']:.0f}",
        f"{row['epochs_equivalent']:.1f}",
        *[f"{beam[f'bleu{n}']:.1f}" for n in range(1, 5)],
        f"{greedy['bleu1']:.1f} / {greedy['bleu4']:.1f}",
        f"{greedy['captions_per_second']:.1f}",
        f"{beam['captions_per_second']:.1f}",
    ]
    if (speed := row.get(f"beam_{SPEED_WIDTH}")) is not None:
        cells += [
            f"{speed['bleu1']:.1f} / {speed['bleu4']:.1f}",
            f"{speed['captions_per_second']:.1f}",
        ]
    return "| " + " | ".join(cells) + " |"
