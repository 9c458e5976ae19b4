"""The HTML report in a real browser: Debian's chromium, driven by Playwright, with no network.

The page is opened from a file with every request recorded and anything but `file:` and
`data:` refused, so a chart that quietly needed a CDN or a web font would fail here. The
browser is the system's (`apt-get install chromium`; .ci/run installs it): Playwright never
downloads one, and a machine without chromium fails this test rather than skipping it.

`UPDATE_REPORT_SCREENSHOT=1` also writes docs/report-screenshot.png (the charts at the top of
the page, quantised to a palette so it stays small) for the README.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, FloatRect, Page, Request, Route, sync_playwright

from activities.report_html import render_html_report
from tests.report_samples import busy_half_year

CHARTS = ("volumes", "resolve", "clocks", "pareto", "csat", "budgets")
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "report-screenshot.png"
# the Okabe-Ito blue and orange the volume chart's two series are drawn in
BLUE, ORANGE = (0x00, 0x72, 0xB2), (0xE6, 0x9F, 0x00)


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail("chromium is not installed: `apt-get install -y chromium` (.ci/run installs it in CI)")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        yield browser
        browser.close()


class OfflinePage:
    """A page that records every request and lets only `file:` and `data:` through."""

    def __init__(self, browser: Browser) -> None:
        self.page: Page = browser.new_page(viewport={"width": 1200, "height": 900})
        self.requests: list[str] = []
        self.refused: list[str] = []
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.route("**/*", self._route)

    def _route(self, route: Route, request: Request) -> None:
        if request.url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.refused.append(request.url)
            route.abort()

    def open(self, path: Path) -> str:
        url = path.as_uri()
        self.page.goto(url, wait_until="load")
        return url


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html_report(busy_half_year()), encoding="utf-8")
    return path


def _colours(png: bytes) -> tuple[int, float]:
    """Distinct colours and the share of pixels that are not white, of a PNG screenshot."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    counts = image.getcolors(maxcolors=1 << 24) or []
    white = sum(count for count, colour in counts if colour == (255, 255, 255))
    return len(counts), 1 - white / (image.width * image.height)


def test_the_report_draws_every_chart_offline(browser: Browser, report: Path) -> None:
    offline = OfflinePage(browser)
    url = offline.open(report)
    page = offline.page
    for key in CHARTS:
        chart = page.locator(f"#chart-{key} svg.chart")
        assert chart.count() == 1, key
        box = chart.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100, (key, box)
        drawn = chart.evaluate("svg => svg.querySelectorAll('path, rect, use').length")
        assert drawn >= 10, (key, drawn)
        assert page.get_by_role("img", name=chart.locator("title").text_content() or "?").count() == 1, key
    assert "billing.duplicate-charge" in (page.locator("#chart-pareto svg").text_content() or "")
    assert offline.requests == [url]
    assert offline.refused == []
    page.close()


def test_the_screenshot_is_not_blank(browser: Browser, report: Path) -> None:
    offline = OfflinePage(browser)
    offline.open(report)
    page = offline.page
    colours, ink = _colours(page.screenshot(full_page=True))
    assert colours > 200, colours  # text anti-aliasing and six charts, not a blank or one-colour page
    assert ink > 0.05, ink
    volumes = Image.open(io.BytesIO(page.locator("#chart-volumes svg").screenshot())).convert("RGB")
    painted = {colour: count for count, colour in volumes.getcolors(maxcolors=1 << 24) or []}
    assert painted.get(BLUE, 0) > 1000 and painted.get(ORANGE, 0) > 1000  # both series' bars
    if os.environ.get("UPDATE_REPORT_SCREENSHOT") == "1":
        save_screenshot(page)
    page.close()


def save_screenshot(page: Page) -> None:
    """The charts at the top of the report, as a small palette PNG for the README."""
    top = _page_y(page, "#charts", "top") - 16
    bottom = _page_y(page, "#chart-pareto", "bottom") + 16
    clip: FloatRect = {"x": 0, "y": top, "width": 1200, "height": bottom - top}
    shot = Image.open(io.BytesIO(page.screenshot(clip=clip, full_page=True))).convert("RGB")
    SCREENSHOT.parent.mkdir(exist_ok=True)
    shot.quantize(colors=64).save(SCREENSHOT, optimize=True)
    assert SCREENSHOT.stat().st_size < 300_000


def _page_y(page: Page, selector: str, edge: str) -> float:
    """Where an element's edge is on the page (bounding_box() is relative to the scrolled viewport)."""
    script = f"element => element.getBoundingClientRect().{edge} + window.scrollY"
    return float(page.locator(selector).evaluate(script))


def test_the_offline_page_would_see_a_request_for_the_network(browser: Browser, tmp_path: Path) -> None:
    """The check above can fail: a page that fetches an image is recorded and refused."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><img src="https://cdn.example.invalid/chart.png" alt="">', encoding="utf-8")
    offline = OfflinePage(browser)
    url = offline.open(leaky)
    assert offline.requests == [url, "https://cdn.example.invalid/chart.png"]
    assert offline.refused == ["https://cdn.example.invalid/chart.png"]
    offline.page.close()
