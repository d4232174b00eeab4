"""Sentences whose direction is read off the numbers they describe, at render time.

A report that says "larger is better" must agree with the table beside it, run after run and
data set after data set. These helpers compare the numbers and choose the words, so a sentence
can never contradict its own table: write `trend("clean accuracy", xs, ys)`, not "clean accuracy
falls".
"""

import math


def _number(value, fmt):
    return "—" if value is None or not math.isfinite(value) else fmt.format(value)


def capitalized(sentence):
    """The sentence with its first letter in upper case (the others left alone)."""
    return sentence[:1].upper() + sentence[1:]


def direction(values):
    """ "rises", "falls", "stays level" or "moves both ways" for a sequence of numbers."""
    values = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    steps = [b - a for a, b in zip(values, values[1:], strict=False)]
    if not steps or all(step == 0 for step in steps):
        return "stays level"
    if all(step >= 0 for step in steps):
        return "rises"
    if all(step <= 0 for step in steps):
        return "falls"
    return "moves both ways"


def trend(what, values, fmt="{:.3f}"):
    """E.g. "clean accuracy falls (0.905 -> 0.871)": the direction and the end points."""
    values = list(values)
    if not values:
        return f"{what}: no values"
    ends = f"{_number(values[0], fmt)} -> {_number(values[-1], fmt)}"
    if len(values) > 2:
        ends = " -> ".join(_number(value, fmt) for value in values)
    return f"{what} {direction(values)} ({ends})"


def compare(first, first_value, second, second_value, what="", fmt="{:.3f}", unit=""):
    """E.g. "sigma 0.1 (14.78 dB) is above sigma 0.5 (14.06 dB)": above, below or level."""
    if first_value is None or second_value is None:
        return f"{first} and {second} cannot be compared here (a value is missing)"
    if first_value > second_value:
        relation = "above"
    elif first_value < second_value:
        relation = "below"
    else:
        relation = "level with"
    subject = f"{what} of " if what else ""
    return (
        f"{subject}{first} ({_number(first_value, fmt)}{unit}) is {relation} {second} "
        f"({_number(second_value, fmt)}{unit})"
    )


def best(values, higher_is_better=True, fmt="{:.3f}", unit=""):
    """E.g. "sigma 0.1 (14.78 dB)": the label whose value is best, and that value."""
    finite = {k: v for k, v in values.items() if v is not None and math.isfinite(float(v))}
    if not finite:
        return "none (no values)"
    label = (max if higher_is_better else min)(finite, key=finite.get)
    return f"{label} ({_number(finite[label], fmt)}{unit})"


def proportional(sizes, costs, tolerance=0.25):
    """Whether costs grow in proportion to sizes: "grows in proportion to", "grows more slowly
    than", "grows faster than", or "does not grow with"; within `tolerance` of proportional."""
    pairs = [(float(s), float(c)) for s, c in zip(sizes, costs, strict=True) if s > 0 and c > 0]
    if len(pairs) < 2:
        return "cannot be compared with"
    (size_low, cost_low), (size_high, cost_high) = min(pairs), max(pairs)
    if cost_high <= cost_low:
        return "does not grow with"
    ratio = (cost_high / cost_low) / (size_high / size_low)
    if abs(ratio - 1.0) <= tolerance:
        return "grows in proportion to"
    return "grows more slowly than" if ratio < 1.0 else "grows faster than"


def early_stopping(records):
    """Says when early stopping (book Section 7.8) did not fire for any of these trainings, and
    why, so a report never claims an idea it did not show; "" when it did fire."""
    stops = [record.get("early_stopping") or {} for record in records]
    if not stops or any(stop.get("stopped_epoch") is not None for stop in stops):
        return ""
    last = [
        stop.get("best_epoch") == len((record.get("history") or {}).get("val_loss", [])) - 1
        for stop, record in zip(stops, records, strict=True)
    ]
    if all(last):
        return (
            "Early stopping did not fire here: the validation loss was still improving at the "
            "last epoch, so this budget stops before overfitting sets in."
        )
    return (
        "Early stopping did not fire here (the patience was not used up before the epochs ran "
        "out), but it still restored the weights of the best validation epoch."
    )
