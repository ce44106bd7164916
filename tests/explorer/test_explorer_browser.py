"""The explorer in a real browser: headless Chromium (Debian's /usr/bin/chromium) via Playwright.

The app runs on a free loopback port in a thread; every test leaves screenshots in its temp
folder. Without Playwright's Python package or the system Chromium the tests SKIP with the
reason (shown by ``pytest -ra``, the project's default), never silently. Playwright's own
browser download is not used: it cannot work without the internet.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("LATENTATLAS_CHROMIUM", "/usr/bin/chromium")

playwright_api = pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests need Playwright's Python package (pip install playwright); "
    "`make test` installs it",
)
pytest.importorskip("fastapi", reason="the explorer needs fastapi (pip install fastapi)")
uvicorn = pytest.importorskip("uvicorn", reason="the explorer needs uvicorn (pip install uvicorn)")
if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
    pytest.skip(
        f"browser tests need Chromium at {CHROMIUM} (apt-get install chromium, which "
        "`make test` does; or set LATENTATLAS_CHROMIUM)",
        allow_module_level=True,
    )

from test_explorer_api import (  # noqa: E402  (same folder: the shared tiny runs)
    build_runs,
    map_study_registered,
)

from latentatlas.explorer import create_app  # noqa: E402

#: Software WebGL (SwiftShader): the tests must pass on machines without a GPU.
CHROMIUM_ARGS = ["--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
TIMEOUT_MS = 20_000
#: Clicks on the cloud before a click the page never saw fails the test (see _click_until).
CLICK_TRIES = 3


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    """The app over ``folder`` on a free port of 127.0.0.1, in a thread; its base URL."""
    from latentatlas.cli.explore import loopback_listener

    listener = loopback_listener(
        None
    )  # a free port of 127.0.0.1, as `latentatlas explore` opens it
    app_server = uvicorn.Server(uvicorn.Config(create_app(folder), log_level="warning"))
    thread = threading.Thread(target=app_server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not app_server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert app_server.started, "the explorer did not start within 30 s"
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        app_server.should_exit = True
        thread.join(timeout=10)
        listener.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The explorer over the shared tiny runs; its base URL."""
    with map_study_registered():
        folder = build_runs(tmp_path_factory.mktemp("explorer-browser"))
        with _serve(folder) as url:
            yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as driver:
        try:
            launched = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except playwright_api.Error as error:
            pytest.skip(f"Chromium at {CHROMIUM} does not start headless: {error}")
        yield launched
        launched.close()


@contextlib.contextmanager
def _opened(browser, url: str) -> Iterator[Any]:
    """A fresh page on ``url``, ready, that collects its JavaScript errors in ``tab.errors``."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    try:
        tab.goto(url)
        _wait_ready(tab)
        yield tab
    finally:
        context.close()


@pytest.fixture(scope="module")
def shared_page(browser, server):
    """One page for the module (loading plotly.js takes seconds); each test resets it."""
    with _opened(browser, server) as tab:
        yield tab


@pytest.fixture
def page(shared_page):
    """The page showing the first run in its latent view, no path, no JavaScript error."""
    tab = shared_page
    if tab.evaluate("window.explorer.pathMode"):
        tab.click("#path-toggle")
    tab.click("#path-clear")
    if tab.evaluate("window.explorer.run") != "runs/digits/ae/seed-0":
        tab.select_option("#run-select", "runs/digits/ae/seed-0")
        tab.wait_for_function("window.explorer.run === 'runs/digits/ae/seed-0'")
    _wait_ready(tab)
    tab.wait_for_function("window.explorer.points.run === 'runs/digits/ae/seed-0'")
    yield tab
    assert not tab.errors, f"JavaScript errors in the page: {tab.errors}"


def _wait_ready(tab) -> None:
    tab.wait_for_function("window.explorer && window.explorer.ready && window.explorer.busy === 0")


def _shot(tab, folder: Path, name: str) -> Path:
    path = folder / f"{name}.png"
    tab.screenshot(path=str(path))
    return path


def _click_until(tab, where: Callable[[], tuple[float, float]], reached: str) -> None:
    """Click at ``where()`` until the JavaScript condition ``reached`` holds.

    A click that lands while plotly is still redrawing after the previous test is dropped by
    plotly (seen 1 run in 3 in the full suite, on points and on empty space alike); the user
    clicks again, and so does this, at the position read anew. What is checked stays the same:
    the last try waits as long as any other step, and a click never seen still fails.
    """
    for attempt in range(CLICK_TRIES):
        x, y = where()
        tab.mouse.move(x, y)
        tab.wait_for_timeout(250)  # plotly picks the clicked point from its (throttled) hover
        tab.mouse.click(x, y)
        last = attempt == CLICK_TRIES - 1
        try:
            tab.wait_for_function(reached, timeout=TIMEOUT_MS if last else 5000)
            return
        except playwright_api.TimeoutError:
            if last:
                raise


def _click_point(tab, row: int = 0) -> int:
    """Click drawn point number ``row`` of the cloud; return its data set index."""
    index = tab.evaluate(f"window.explorer.points.index[{row}]")
    before = tab.evaluate("window.explorer.lastPointClick || 0")

    def where() -> tuple[float, float]:
        pixel = tab.evaluate(f"window.explorer.pixelOf({index})")
        return pixel["x"], pixel["y"]

    # The click has reached the page's handler (on a loaded machine it can come later than any
    # fixed wait, and lastClicked would still name the previous point).
    _click_until(tab, where, f"(window.explorer.lastPointClick || 0) !== {before}")
    tab.wait_for_timeout(100)
    tab.mouse.move(5, 880)  # away from the cloud: the panel shows the selection, not a hover
    return tab.evaluate("window.explorer.lastClicked")


def _select_point(tab, row: int = 0) -> int:
    index = _click_point(tab, row)
    tab.wait_for_function(f"window.explorer.selected === {index}")
    tab.wait_for_function(f"(window.explorer.sliderShown || {{}}).index === {index}")
    _wait_ready(tab)
    _wait_image(tab, "img-slider")
    return index


def _wait_image(tab, element_id: str) -> None:
    tab.wait_for_function(
        f"(img => img.complete && img.naturalWidth > 0)(document.getElementById('{element_id}'))"
    )


def _image_signature(tab, element_id: str) -> list[int]:
    """The pixels of an <img> (drawn onto a canvas), to compare two images."""
    return tab.evaluate(
        """(id) => {
            const img = document.getElementById(id);
            const canvas = document.createElement('canvas');
            canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
            const context = canvas.getContext('2d');
            context.drawImage(img, 0, 0);
            return Array.from(context.getImageData(0, 0, canvas.width, canvas.height).data);
        }""",
        element_id,
    )


def _inked_share(path: Path) -> float:
    """Share of pixels that are not white-ish in a screenshot."""
    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)
    return float((pixels.min(axis=2) < 200).mean())


def test_the_page_draws_the_cloud(page, tmp_path):
    assert page.evaluate("window.explorer.points.n_returned") == 1797
    assert page.locator("#cloud canvas").count() >= 1  # WebGL canvases of scattergl
    cloud = tmp_path / "cloud.png"
    page.locator("#cloud").screenshot(path=str(cloud))
    _shot(page, tmp_path, "page")
    assert _inked_share(cloud) > 0.01, "the cloud looks empty"
    assert "1,797 points" in page.inner_text("#status")


def test_clicking_a_point_shows_its_image_and_reconstruction(page, tmp_path):
    index = _select_point(page, 10)
    page.wait_for_function("document.getElementById('img-original').src.startsWith('blob:')")
    # The heading settles on the selection once a hover on the mouse's way out has ended.
    page.wait_for_function(
        f"document.getElementById('point-heading').innerText.includes('row {index}')"
    )
    assert "label" in page.inner_text("#point-facts")
    assert page.evaluate("document.getElementById('img-original').naturalWidth") == 112
    assert page.evaluate("document.getElementById('img-recon').naturalWidth") == 112
    assert page.locator("#slider-list input[type=range]").count() == 2
    _shot(page, tmp_path, "selected")


def test_a_slider_changes_the_decoded_image(page, tmp_path):
    _select_point(page, 3)
    before = _image_signature(page, "img-slider")
    source = page.evaluate("document.getElementById('img-slider').src")
    page.focus("#slider-0")
    page.keyboard.press("End")  # the range input's own key: moves z1 to its maximum
    page.wait_for_function(f"document.getElementById('img-slider').src !== '{source}'")
    page.wait_for_function("window.explorer.sliderShown.code[0] > window.explorer.selectedCode[0]")
    _wait_ready(page)
    _wait_image(page, "img-slider")
    after = _image_signature(page, "img-slider")
    assert before != after
    _shot(page, tmp_path, "slider")


def test_clicking_empty_space_decodes_there(page, tmp_path):
    # The page takes a click within 300 ms of a point's click as part of that click (plotly
    # sends both); an earlier test on this shared page may have clicked a point just now.
    page.wait_for_function("Date.now() - (window.explorer.lastPointClick || 0) > 300")

    def corner() -> tuple[float, float]:  # the corner of the plot: no point there
        box = page.locator("#cloud .nsewdrag").bounding_box()
        return box["x"] + 8, box["y"] + 8

    _click_until(page, corner, "document.getElementById('img-lift').src.startsWith('blob:')")
    assert "the code at the clicked position" in page.inner_text("#lift-note")
    _shot(page, tmp_path, "empty-space")


def test_a_path_returns_a_strip_and_distances(page, tmp_path):
    page.click("#path-toggle")
    for row in (0, 40):
        _click_point(page, row)
        page.wait_for_timeout(150)
    page.wait_for_function("window.explorer.waypoints.length === 2")
    page.click("#path-decode")
    page.wait_for_function("document.getElementById('path-strip').src.startsWith('data:image/png')")
    assert page.evaluate("window.explorer.path.points.length") == 12
    assert "distance to the nearest code" in page.inner_text("#path-note")
    assert page.locator("#path-chart .main-svg").count() >= 1
    _shot(page, tmp_path, "path")


def test_switching_runs_keeps_the_selected_point(page, tmp_path):
    index = _select_point(page, 7)
    page.select_option("#run-select", "runs/digits/ae/seed-1")
    page.wait_for_function("window.explorer.run === 'runs/digits/ae/seed-1'")
    page.wait_for_function(
        f"window.explorer.selected === {index} && window.explorer.selectedCoords !== null"
    )
    _wait_ready(page)
    assert f"row {index}" in page.inner_text("#point-heading")
    _shot(page, tmp_path, "switched")


def test_a_3d_run_draws_a_rotatable_cloud_and_a_map_view_says_it_has_no_inverse(page, tmp_path):
    page.select_option("#run-select", "runs/digits/vae/seed-0")
    page.wait_for_function("window.explorer.points && window.explorer.points.dims === 3")
    _wait_ready(page)
    assert page.locator("#cloud .gl-container canvas").count() >= 1
    _shot(page, tmp_path, "vae-3d")
    page.select_option("#run-select", "runs/digits/ae5/seed-0")
    page.wait_for_function("window.explorer.run === 'runs/digits/ae5/seed-0'")
    _wait_ready(page)
    page.select_option("#view-select", "map:tsne")
    page.wait_for_function("window.explorer.points.view === 'map:tsne'")
    _wait_ready(page)
    box = page.locator("#cloud .nsewdrag").bounding_box()
    page.mouse.click(box["x"] + 8, box["y"] + 8)
    page.wait_for_function("document.getElementById('lift-note').textContent.includes('inverse')")
    _shot(page, tmp_path, "tsne-map")


def test_a_continuous_colouring_in_3d_names_itself_once_and_keeps_legend_off_the_bar(
    page, tmp_path
):
    """The 3-d view drew the legend over the colour bar and printed the colouring twice."""
    _select_point(page, 7)  # a selection: the legend has an entry to show
    page.select_option("#run-select", "runs/digits/vae/seed-0")
    page.wait_for_function("window.explorer.points.dims === 3 && window.explorer.selectedCoords")
    _wait_ready(page)
    page.select_option("#colour-select", "error")
    page.wait_for_function("document.querySelector('#cloud .colorbar') !== null")
    boxes = page.evaluate(
        """() => ['.legend', '.colorbar', '.gtitle'].map((s) => {
            const r = document.querySelector('#cloud ' + s).getBoundingClientRect();
            return [r.left, r.top, r.right, r.bottom];
        })"""
    )
    legend, bar, title = boxes

    def overlap(a, b):
        return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]

    assert not overlap(legend, bar) and not overlap(legend, title)
    texts = page.evaluate(
        "Array.from(document.querySelectorAll('#cloud text')).map((t) => t.textContent)"
    )
    assert texts.count("reconstruction error (MSE)") == 1
    assert "selected" in texts
    _shot(page, tmp_path, "vae-3d-error")
    page.select_option("#colour-select", "label")


def test_a_model_trained_elsewhere_is_explored_with_its_own_decoder(browser, tmp_path):
    """``latentatlas inspect`` of a user's factory and weights, then the explorer on its folder:
    the page draws the codes, and a click decodes through the user's own decoder."""
    import warnings

    from safetensors.torch import save_file

    import latentatlas as la

    (tmp_path / "mine.py").write_text(FACTORY)
    namespace: dict = {}
    exec(FACTORY, namespace)
    save_file(namespace["build"]().state_dict(), str(tmp_path / "mine.safetensors"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        la.inspect(
            tmp_path / "mine",
            model=f"{tmp_path / 'mine.py'}:build",
            weights=(str(tmp_path / "mine.safetensors"),),
            dataset="digits",
            n=300,
        )
    with _serve(tmp_path / "mine") as url, _opened(browser, url) as tab:
        assert tab.evaluate("window.explorer.run") == "seed-0"
        assert tab.evaluate("window.explorer.points.n_returned") == 300
        _select_point(tab, 5)  # the sliders decode through the user's model
        tab.wait_for_function("document.getElementById('img-recon').naturalWidth > 0")
        _shot(tab, tmp_path, "inspected")
        errors = tab.errors
    assert not errors, f"JavaScript errors in the page: {errors}"


def test_vector_inputs_show_as_readable_profiles(browser, tmp_path):
    """A 50-d input drew as a 112 x 2 pixel hairline; now a 224 x 112 bar profile, captioned."""
    import numpy as np

    from latentatlas import runs
    from latentatlas.config import DataConfig, ModelConfig, RunConfig, TrainConfig

    x = np.random.default_rng(0).random((150, 50)).astype(np.float32)
    np.savez(tmp_path / "vectors.npz", x=x)
    config = RunConfig(
        data=DataConfig("arrays", {"path": str(tmp_path / "vectors.npz")}),
        model=ModelConfig("ae", 2, {"hidden": [16]}),
        train=TrainConfig(epochs=1, batch_size=64, device="cpu"),
    )
    runs.train_run(config, tmp_path / "served" / "run", progress=False)
    with _serve(tmp_path / "served") as url, _opened(browser, url) as tab:
        _select_point(tab, 5)
        for element in ("img-original", "img-recon", "img-slider"):
            _wait_image(tab, element)
            size = tab.evaluate(
                f"""(() => {{ const img = document.getElementById('{element}');
                    const box = img.getBoundingClientRect();
                    return [img.naturalWidth, img.naturalHeight, box.width, box.height]; }})()"""
            )
            assert size[:2] == [224, 112], (element, size)
            assert size[2] >= 200 and size[3] >= 100, (element, size)  # drawn, not squeezed
        assert "values 0–1" in tab.inner_text("#caption-original")
        _shot(tab, tmp_path, "vectors")
        errors = tab.errors
    assert not errors, f"JavaScript errors in the page: {errors}"


#: A model from elsewhere: a module file with a factory, its encode and decode methods only.
FACTORY = """
import torch
from torch import nn


class Linear(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.down, self.up = nn.Linear(64, 2), nn.Linear(2, 64)

    def encode(self, x):
        return self.down(x.reshape(len(x), -1))

    def decode(self, z):
        return torch.sigmoid(self.up(z)).reshape(len(z), 1, 8, 8)


def build():
    return Linear()
"""
