"""Open the built site in headless Chromium and fail if a page is blank or an image did not load.

Run by ``make docs-check`` after ``make docs``. For the landing page, the gallery index and the
first example page of the gallery it

1. checks every ``<img src>`` of the HTML that points to a local file: the file exists, is not
   empty and decodes as an image (PNG, JPEG, GIF through matplotlib, SVG as XML);
2. loads the page in Chromium with a small script appended that waits for the page and its
   images, then records every ``<img>`` whose ``naturalWidth`` is 0 (an image the browser could
   not load or decode); the DOM Chromium dumps after loading carries that record;
3. takes a screenshot (``docs/_build/screenshots/<page>.png``, 1280 x 2000) and fails if it is
   nearly one colour (a blank page).

Usage: ``python docs/check_site.py [--html DIR] [--out DIR] [--chromium PATH]``. Exit status 0
when every check passes, 1 otherwise (each failure is printed).
"""

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
from matplotlib import image as mpimg

HERE = Path(__file__).resolve().parent
WINDOW = (1280, 2000)
#: A screenshot whose most frequent colour covers more than this share of the pixels is blank.
MAX_DOMINANT_SHARE = 0.995
MARKER = "data-check-site-images"

# Appended to a copy of the page: once the page and all its images have settled (loaded or
# failed), write the images with naturalWidth 0 into an attribute of <html>. Lazy images are made
# eager first, so that images below the window load too.
PROBE = """
<script>
(function () {
  var imgs = Array.prototype.slice.call(document.images);
  imgs.forEach(function (img) { img.loading = "eager"; });
  function settled(img) {
    return img.complete ? Promise.resolve() : new Promise(function (done) {
      img.addEventListener("load", done); img.addEventListener("error", done);
    });
  }
  function report() {
    Promise.all(imgs.map(settled)).then(function () {
      var broken = imgs.filter(function (img) { return img.naturalWidth === 0; })
                       .map(function (img) { return img.getAttribute("src"); });
      document.documentElement.setAttribute("@MARKER@",
        JSON.stringify({count: imgs.length, broken: broken}));
    });
  }
  if (document.readyState === "complete") { report(); } else { window.addEventListener("load", report); }
})();
</script>
""".replace("@MARKER@", MARKER)


class _Images(HTMLParser):
    """The ``src`` of every ``<img>`` and the ``href`` of every ``<a>`` of a page."""

    def __init__(self):
        super().__init__()
        self.srcs, self.hrefs = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("src"):
            self.srcs.append(attrs["src"])
        elif tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])


def parse(page):
    parser = _Images()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def local_target(page, ref):
    """The local file a relative reference of ``page`` points to, or None for remote/data URLs."""
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return (page.parent / unquote(parts.path)).resolve()


def check_image_file(path):
    """Why the image file at ``path`` is unusable, or None."""
    if not path.is_file():
        return "missing"
    if path.stat().st_size == 0:
        return "empty"
    try:
        if path.suffix.lower() == ".svg":
            root = ET.parse(path).getroot()
            if not root.tag.endswith("svg"):
                return f"not an SVG (root <{root.tag}>)"
        else:
            pixels = mpimg.imread(path)
            if pixels.size == 0:
                return "decodes to no pixels"
    except Exception as exc:  # any decoding failure is the finding
        return f"does not decode ({type(exc).__name__}: {exc})"
    return None


def dominant_share(png):
    """Share of the pixels that have the screenshot's most frequent colour (quantised to 5 bits)."""
    pixels = mpimg.imread(png)[..., :3]
    if pixels.dtype != np.uint8:
        pixels = np.round(pixels * 255).astype(np.uint8)
    q = (pixels >> 3).astype(np.int32)
    codes = (q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]
    counts = np.bincount(codes.ravel())
    return counts.max() / codes.size


def chromium_run(chromium, args, url, profile, timeout=180):
    cmd = [chromium, "--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
           "--disable-dev-shm-usage", "--hide-scrollbars", f"--user-data-dir={profile}",
           f"--window-size={WINDOW[0]},{WINDOW[1]}", "--virtual-time-budget=15000", *args, url]
    if os.geteuid() == 0:
        cmd.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def check_page(name, page, out, chromium, profile):
    """Run the three checks on one page; return the list of failures."""
    failures = []
    if not page.is_file():
        return [f"{name}: {page} does not exist (run `make docs` first)"]

    srcs = parse(page).srcs
    local = [(src, local_target(page, src)) for src in srcs]
    for src, path in local:
        if path is not None and (why := check_image_file(path)):
            failures.append(f"{name}: <img src={src!r}>: {why}")

    # The probe goes into a copy next to the page, so that relative references resolve as in the page.
    probe = page.with_name(f".check-site-{page.name}")
    text = page.read_text(encoding="utf-8")
    cut = text.lower().rfind("</body>")
    probe.write_text(text[:cut] + PROBE + text[cut:] if cut >= 0 else text + PROBE, encoding="utf-8")
    try:
        dom = chromium_run(chromium, ["--dump-dom"], probe.as_uri(), profile)
    finally:
        probe.unlink()
    record = None
    start = dom.stdout.find(MARKER + '="')
    if start >= 0:
        start += len(MARKER) + 2
        record = json.loads(html.unescape(dom.stdout[start:dom.stdout.index('"', start)]))
    if record is None:
        failures.append(f"{name}: Chromium returned no image report (exit {dom.returncode}): "
                        f"{dom.stderr.strip()[-300:]}")
    else:
        for src in record["broken"]:
            failures.append(f"{name}: <img src={src!r}> did not load in the browser (naturalWidth 0)")

    shot = out / f"{name}.png"
    shot.unlink(missing_ok=True)
    result = chromium_run(chromium, [f"--screenshot={shot}"], page.as_uri(), profile)
    if not shot.is_file():
        failures.append(f"{name}: no screenshot (exit {result.returncode}): {result.stderr.strip()[-300:]}")
        share = None
    else:
        share = dominant_share(shot)
        if share > MAX_DOMINANT_SHARE:
            failures.append(f"{name}: the screenshot is blank ({share:.1%} of it is one colour)")

    n_local = sum(path is not None for _, path in local)
    loaded = "?" if record is None else record["count"] - len(record["broken"])
    print(f"{name:10s} {page.relative_to(page.parents[1]) if len(page.parents) > 1 else page}: "
          f"{len(srcs)} <img> ({n_local} local files checked), {loaded} loaded in Chromium; "
          f"screenshot {shot}" + ("" if share is None else f", {share:.1%} of it the background colour"))
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=HERE / "_build" / "html", help="the built site")
    parser.add_argument("--out", type=Path, default=HERE / "_build" / "screenshots", help="screenshots go here")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args(argv)

    site = args.html.resolve()
    gallery = site / "auto_examples" / "index.html"
    examples = []
    if gallery.is_file():
        examples = sorted({path for href in parse(gallery).hrefs
                           if (path := local_target(gallery, href.split("#")[0])) is not None
                           and path.parent == gallery.parent and path.name.startswith("plot_")})
    pages = [("landing", site / "index.html"), ("gallery", gallery)]
    if examples:
        pages.append(("example", examples[0]))

    args.out.mkdir(parents=True, exist_ok=True)
    failures = [] if examples else [f"gallery: {gallery} links to no example page"]
    with tempfile.TemporaryDirectory(prefix="check-site-") as profile:
        for name, page in pages:
            failures += check_page(name, page, args.out, args.chromium, profile)

    for failure in failures:
        print("FAIL", failure)
    print(f"{len(pages)} pages checked, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
