"""Opening a report in a real browser for tests: Debian's headless Chromium through ChromeDriver.

`open_page(path)` loads a local HTML file at 1280x900 and returns what a reader would notice:
console errors, images that did not load, whether the page is wider than the window, and a
screenshot. When Chromium or ChromeDriver is missing, the tests that need them are skipped with a
message that says how to install them (`apt-get install chromium chromium-driver`).
"""

import dataclasses
import pathlib
import shutil

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
MISSING = (
    "no headless browser: install Debian's chromium and chromium-driver "
    "(apt-get install chromium chromium-driver) and the dev extra (selenium) to run this test"
)


@dataclasses.dataclass
class Page:
    title: str
    console_errors: list
    broken_images: list
    image_count: int
    page_width: int
    window_width: int
    clipped_tables: int  # Tables wider than their box (they scroll sideways).
    screenshot: pathlib.Path


def require_browser():
    """Skips the calling test, with the reason, when no browser can be driven."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        pytest.skip(MISSING)
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip(MISSING)


def open_page(path, screenshot_dir, width=1280, height=900):
    """Loads `path` in headless Chromium and reports what went wrong on the page."""
    require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--window-size={width},{height}",
    ):  # fmt: skip
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(pathlib.Path(path).resolve().as_uri())
        broken = driver.execute_script(
            "return Array.from(document.images)"
            ".filter(i => !(i.complete && i.naturalWidth > 0))"
            ".map(i => i.alt || i.src.slice(0, 60));"
        )
        count = driver.execute_script("return document.images.length;")
        page_width = driver.execute_script("return document.documentElement.scrollWidth;")
        window_width = driver.execute_script("return window.innerWidth;")
        clipped = driver.execute_script(
            "return Array.from(document.querySelectorAll('.table-wrap'))"
            ".filter(w => w.scrollWidth > w.clientWidth + 1).length;"
        )
        errors = [
            entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"
        ]
        screenshot = pathlib.Path(screenshot_dir) / (pathlib.Path(path).parent.name + ".png")
        driver.save_screenshot(str(screenshot))
        return Page(
            driver.title, errors, broken, count, page_width, window_width, clipped, screenshot
        )
    finally:
        driver.quit()
