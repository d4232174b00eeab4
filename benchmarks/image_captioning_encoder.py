"""The image-captioning benchmark's first line: the frozen encoder's one-off work.

EfficientNet-Lite0 turns every photo into a grid of 7x7 cells of 1,280 features once; the
project keeps the grids in its data cache (`data.cached_features`), so that no training epoch
and no later run repeats the work. Timing a run that found them cached would time a file read:
each split therefore says whether its grids came from the cache, and when all of them did, the
test split's photos are encoded again (`data.extract_features`, nothing written) to time the work
itself, from which the time for all photos is estimated.
"""

import time

from projects.image_captioning import data as data_lib
from projects.image_captioning import readers


def feature_extraction(datasets, config):
    """Seconds spent on the frozen encoder's grids, per split, and whether they came from the
    cache; the speed of the splits computed now, or, when every split came from the cache, of
    the test split's photos encoded again (nothing written)."""
    if config.encoder != "efficientnet":
        return {"used": False, "encoder": config.encoder}
    splits = {}
    for split in readers.SPLITS:
        from_cache = data_lib.feature_cache_path(datasets, split).exists()
        seconds, cpu_seconds = timed(
            lambda split=split: datasets.pretrained_features(config, split)
        )
        images = len(datasets.images[split])
        splits[split] = {
            "images": images,
            "from_cache": from_cache,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
        }
    result = {"used": True, "encoder": "EfficientNet-Lite0", "splits": splits}
    computed = [split for split in splits.values() if not split["from_cache"]]
    if not computed:
        images = datasets.images["test"]
        seconds, cpu_seconds = timed(lambda: data_lib.extract_features(images))
        computed = [{"images": len(images), "seconds": seconds, "cpu_seconds": cpu_seconds}]
        result["test_split_recomputed"] = computed[0]
    rate = sum(split["images"] for split in computed) / sum(split["seconds"] for split in computed)
    total = sum(split["images"] for split in splits.values())
    result.update(images_per_second=rate, images=total, estimated_seconds_all=total / rate)
    return result


def timed(function):
    """(wall seconds, CPU seconds of this process) of `function()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    function()
    return time.perf_counter() - wall, time.process_time() - cpu


def extraction_line(extraction):
    if not extraction["used"]:
        return f"Encoder: the {extraction['encoder']} CNN, trained end to end (no frozen grids)."
    cached = [name for name, split in extraction["splits"].items() if split["from_cache"]]
    spent = sum(split["seconds"] for split in extraction["splits"].values())
    line = (
        f"Encoder, once: EfficientNet-Lite0 grids of {extraction['images']:,} photos at "
        f"{extraction['images_per_second']:.1f} photos/s, about "
        f"{extraction['estimated_seconds_all'] / 60:.1f} min for all; this run spent "
        f"{spent:.0f} s on them"
    )
    if cached:
        line += f" (read from the cache: {', '.join(cached)})"
    if "test_split_recomputed" in extraction:
        line += "; the speed was timed by encoding the test photos again"
    return line + "."
