"""The published reports in a real browser: they load with no console error, every image shows,
nothing is wider than a 1280-pixel window."""

import pathlib

import pytest

from tests import browser

REPORTS = pathlib.Path(__file__).resolve().parents[3] / "reports"


@pytest.mark.parametrize(
    "page", ["index.html", "adversarial_regularization/index.html"], ids=["index", "report"]
)
def test_published_page_loads_cleanly_in_chromium(page, tmp_path):
    shown = browser.open_page(REPORTS / page, tmp_path)
    assert shown.console_errors == []
    assert shown.broken_images == []
    assert shown.page_width <= shown.window_width, "the page is wider than the window"
    assert shown.screenshot.stat().st_size > 10_000
    if page == "index.html":
        assert shown.clipped_tables == 0, "the index table runs off its card"
    else:
        assert shown.image_count >= 5
