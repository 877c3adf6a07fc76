"""Figures of the reader pages (issue 19, item 6): few of them (4 to 6 per run, the others on
the code version, tagged ``detail``), each also drawn for a phone and served to narrow screens
by a ``<picture>``, with images left intact when the building machine's paths are scrubbed."""

from __future__ import annotations

import base64
import io
import json
import re

import nbformat
import pytest
from PIL import Image

from analyse.pipeline import publish
from analyse.report import notebook
from analyse.report.figure_base import PHONE_DPI, PHONE_WIDTH

PICTURE = re.compile(
    r'<picture><source media="\(max-width: 600px\)" srcset="data:image/png;base64,([^"]+)"\s*/?>'
    r'\s*<img\b[^>]*\balt="[^"]+"[^>]*\bsrc="data:image/png;base64,'
)
IMG = re.compile(r"<img\b")


def _png(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _notebook(phone: str | None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    metadata = {"image/png": {"alt": "a figure", **({"phone_png": phone} if phone else {})}}
    output = nbformat.v4.new_output(
        "display_data", data={"image/png": _png(88, 50), "text/plain": "<Image>"}
    )
    output.metadata = metadata
    nb.cells = [nbformat.v4.new_code_cell("show_figure(...)", outputs=[output])]
    return nb


def test_the_publisher_reads_the_phone_variant_where_show_figure_keeps_it():
    assert publish.PHONE_KEY == notebook.PHONE_KEY


@pytest.mark.parametrize("reader", [True, False])
def test_a_figure_with_a_phone_variant_is_a_picture_serving_it_below_600_px(reader):
    phone = _png(68, 60)
    cells, _ = publish.cells_html(_notebook(phone), "nb", reader, publish.messages("fr"))
    (served,) = PICTURE.findall(cells)
    assert served == phone
    assert cells.count("</picture>") == 1


def test_a_figure_without_a_phone_variant_stays_an_img():
    cells, _ = publish.cells_html(_notebook(None), "nb", True, publish.messages("fr"))
    assert "<picture" not in cells and len(IMG.findall(cells)) == 1


def test_scrubbing_paths_leaves_images_whole(tmp_path, monkeypatch):
    """Failed before: the default run failed to publish ("Incorrect padding") when a phone
    image's base64 held "/tmp", which scrubbing replaced by "~tmp"."""
    run = tmp_path / "run"
    run.mkdir()
    png = _png(10, 10)
    image = png[:8] + "/tmp" + png[8:]  # base64 text holding a path of the machine
    nb = _notebook(image)
    nb.cells[0].outputs[0].data["image/png"] = image
    nb.cells[0].source = f"output_dir = {str(run)!r}"
    path = run / "nb.ipynb"
    nbformat.write(nb, path)
    publish.scrub_notebook(path)
    scrubbed = json.loads(path.read_text(encoding="utf-8"))
    cell = scrubbed["cells"][0]
    assert str(run) not in "".join(cell["source"])  # the path is scrubbed...
    output = cell["outputs"][0]
    assert output["data"]["image/png"] == image  # ...the images are not
    assert output["metadata"]["image/png"]["phone_png"] == image
    nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))


@pytest.mark.slow
def test_a_published_run_s_reader_pages_hold_4_to_6_figures_each_with_a_phone_variant(
    published_site,
):
    """Failed before: 12 figures on the reader pages, none readable on a phone. Each reader
    figure is served 4 inches wide below 600 px: 10-point text shows at 10 x 342 / (4 x 72)
    = 11.9 px on a 390 px phone."""
    for run in ("ci", "census-en"):
        pages = sorted(published_site.run(run).glob("*.reader.html"))
        assert len(pages) == 5
        images = pictures = 0
        for page in pages:
            text = page.read_text(encoding="utf-8")
            images += len(IMG.findall(text))
            for phone in PICTURE.findall(text):
                pictures += 1
                width, _ = Image.open(io.BytesIO(base64.b64decode(phone))).size
                assert width == round(PHONE_WIDTH * PHONE_DPI), (page.name, width)
        assert 4 <= images <= 6, (run, images)
        assert pictures == images, (run, pictures, images)
        # the code version keeps every figure
        full = sum(
            len(IMG.findall(p.read_text(encoding="utf-8")))
            for p in published_site.run(run).glob("*.html")
            if not p.name.endswith(".reader.html") and p.name != "index.html"
        )
        assert full > images
