"""The image-captioning benchmark on the generated shapes set, whose captions are exact ("a red
circle left of a blue square"), so that it measures what BLEU cannot; Flickr8k's race is
`benchmarks/image_captioning.py`.

The model is the project's headline with the small CNN encoder trained end to end (as the project
trains it whenever the shapes set stands in for Flickr8k: EfficientNet's grid of a 64-pixel image
would be 2x2 cells), at the learning rate of `SHAPES_LEARNING_RATE` (the quick preset's finding:
3e-3 gets further than 1e-3 in a short run) and with one stride-2 block fewer, so that its grid
is `SHAPES_GRID_CELLS` cells a side (4-pixel cells: an object of 11 to 19 pixels spans several,
and the attention can rest on it rather than on border cells it only partly covers); its
warm-up and cosine decay are spread over `BUDGET_SECONDS` x cores CPU seconds of this process
(10 minutes of the machine in the full preset). Scores on the shapes test split: the share of
exactly right captions (beam and greedy), and where the greedy decoder's attention lands while
it names an object's colour and shape (`attention_checks.landing`: the mean attention mass
inside that object's box, against the box's share of the image).
"""

import time

from benchmarks import runner
from common.experiment import config as config_lib
from common.experiment import training
from common.nn import schedules
from common.report import meta
from projects.image_captioning import attention_checks, data, decode, evaluate, model, train
from projects.image_captioning import config as project_config

PROJECT = "image_captioning_shapes"
BUDGET_SECONDS = {"smoke": 1, "quick": 120, "full": 600}  # Training, x cores.
CLOCK = "process"
SHAPES_LEARNING_RATE = 3e-3
SHAPES_GRID_CELLS = 16
TARGETS = {"exact": 0.98, "mass_in_box": 0.5, "ratio_to_box_share": 3.0}


def run(preset="full", data_dir=None, seed=0, output_dir=runner.RESULTS_DIR):
    """Trains the headline on the shapes set for the budget; writes its scores and checks."""
    start = time.perf_counter()
    config, source, result = measure(preset, data_dir, seed)
    document = {"project": PROJECT, "task": "shapes test captions, exactly right", **result}
    document["metadata"] = meta.run_metadata(
        config=config_lib.to_dict(config),
        seed=seed,
        preset=f"benchmark-{preset}",
        data_source=source,
        wall_time_seconds=time.perf_counter() - start,
    )
    page = f"# {PROJECT} benchmark\n\n{markdown_line(document)}\n\nMachine: "
    page += (
        f"{runner.machine(document['metadata'].get('hardware', {}))}; preset benchmark-{preset}.\n"
    )
    return runner.write_document(PROJECT, document, page, output_dir)


def measure(preset, data_dir=None, seed=0):
    """(config, data source, scores and checks) of the headline trained for the budget."""
    config = config_lib.from_preset(
        project_config.Config,
        preset,
        data_dir=data_dir,
        seed=seed,
        dataset="shapes",
        encoder="small",
        shapes_learning_rate=SHAPES_LEARNING_RATE,
        small_max_cells=SHAPES_GRID_CELLS,
    )
    datasets = data.load_datasets(config)
    config = data.adapt_config(config, datasets)
    seconds = BUDGET_SECONDS[preset] * runner.usable_cores()
    captioner, limit = train_for(config, datasets, seconds)
    decoder = decode.Decoder(captioner, config)
    vocabulary = datasets.vocabulary
    ((greedy_ids, attention), greedy_seconds), (beam_ids, beam_seconds) = evaluate.greedy_and_beam(
        decoder, datasets, config
    )
    references = datasets.references("test")
    greedy = [vocabulary.decode(row) for row in greedy_ids]
    beam = [vocabulary.decode(row) for row in beam_ids]
    landing = attention_checks.landing(
        greedy, attention, datasets.caption_set.boxes["test"], datasets.images["test"].shape[1]
    )
    result = {
        "train_images": len(datasets.images["train"]),
        "test_images": len(references),
        "learning_rate": config.learning_rate,
        **limit.summary(),
        "epochs_equivalent": limit.summary()["steps"] / datasets.steps_per_epoch(config),
        "beam_width": config.beam_width,
        "exact_beam": evaluate.scores(beam, references, exact=True)["exact"],
        "exact_greedy": evaluate.scores(greedy, references, exact=True)["exact"],
        "captions_per_second_greedy": len(greedy) / greedy_seconds,
        "captions_per_second_beam": len(beam) / beam_seconds,
        "attention_landing": landing,
        "targets": TARGETS,
    }
    return config, datasets.source.as_dict(), {**result, "targets_met": checks(result)}


def train_for(config, datasets, seconds):
    """The headline model, fit on the shapes set until `seconds` of `CLOCK` are spent."""
    training.set_seed(config.seed)
    captioner = model.build_model(config)
    train.compile_model(captioner, config, datasets, learning_rate=config.learning_rate)
    limit = runner.TimeLimit(seconds, clock=CLOCK)
    schedule = schedules.WallClockDecay(
        config.learning_rate,
        seconds,
        clock=CLOCK,
        warmup_fraction=config.warmup_fraction,
        decay="cosine",
    )
    print(f"--- shapes: {captioner.count_params():,} parameters, {seconds:.0f} s", flush=True)
    start = time.perf_counter()
    captioner.fit(datasets.train(config), epochs=1_000_000, callbacks=[limit, schedule], verbose=2)
    print(f"--- shapes: trained for {time.perf_counter() - start:.0f} s", flush=True)
    return captioner, limit


def checks(result):
    landing = result["attention_landing"]
    mass, ratio = landing["mass_in_box"], landing["ratio"]
    return {
        "exact": result["exact_beam"] >= TARGETS["exact"],
        "mass_in_box": mass is not None and mass >= TARGETS["mass_in_box"],
        "ratio_to_box_share": ratio is not None and ratio >= TARGETS["ratio_to_box_share"],
    }


def markdown_line(result):
    """One paragraph of the benchmark's page: the shapes set's scores against their targets."""
    landing = result["attention_landing"]
    where = (
        "no exactly right caption to check attention on"
        if landing["mass_in_box"] is None
        else f"attention mass inside the named object's box {landing['mass_in_box']:.2f} "
        f"(box share {landing['box_share']:.3f}, ratio {landing['ratio']:.1f}x; "
        f"{landing['words']:,} words)"
    )
    met = ", ".join(f"{k} {'met' if ok else 'NOT met'}" for k, ok in result["targets_met"].items())
    return (
        f"Shapes set ({result['train_images']:,} training, {result['test_images']:,} test images; "
        f"{result['train_cpu_seconds']:.0f} CPU s, {result['train_seconds']:.0f} s wall, "
        f"{result['epochs_equivalent']:.1f} epochs): exactly right "
        f"{result['exact_beam']:.1%} (beam {result['beam_width']}), "
        f"{result['exact_greedy']:.1%} (greedy); {where}; captions/s greedy "
        f"{result['captions_per_second_greedy']:.1f}, "
        f"beam {result['captions_per_second_beam']:.1f}. "
        f"Targets {result['targets']}: {met}."
    )
