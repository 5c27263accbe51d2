"""`harness publish`: the results history as a static site, checked as files and then in a real
headless Chromium (through Selenium and Debian's chromedriver): every page loads from file://
without a console error, every link and image resolves, and the chart shows on a spec page."""

from __future__ import annotations

import argparse
import json
import shutil
import struct
import tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from support import REPORTS, ROOT

from harness.errors import HarnessError, NoHistory
from harness.history import StoreError, open_store
from harness.history.publish import PublishError, add_parser, publish, sparkline

SPECS = ("imdb_lstm", "imdb_simple_rnn", "imdb_dense_baseline")
ODD = "x<b>&\"y'"  # a spec name that must come out as text, never as markup
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _gate_verdict(created: str, groups: list[dict]) -> dict:
    return {"schema_version": 1, "state": "PASS", "exit_code": 0, "headline": "pass",
            "created_utc": created, "missing_baseline": [], "not_comparable": [],
            "skipped": [], "groups": groups}


def _group(spec: str, state: str, mean: float | None = None) -> dict:
    metrics = {} if mean is None else {"best_val_acc": {
        "current": {"n": 3, "mean": mean, "std": 0.01},
        "baseline": {"n": 3, "mean": 0.86, "std": 0.01}, "change": mean - 0.86, "p": 0.3}}
    return {"spec": spec, "state": state, "failures": [], "runs": 3, "metrics": metrics}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A site published from copies of the committed runs: the baseline runs of three specs,
    the LSTM's own runs (a second schedule), the bench (rows of specs without runs) and two gate
    verdicts (the LSTM's, and one of a spec whose name is markup)."""
    tmp = tmp_path_factory.mktemp("publish")
    for spec in SPECS:
        shutil.copytree(REPORTS / "baseline" / spec / "runs",
                        tmp / "reports" / "baseline" / spec / "runs")
    shutil.copytree(REPORTS / "imdb_lstm" / "runs", tmp / "reports" / "imdb_lstm" / "runs")
    shutil.copy(REPORTS / "bench" / "results.json", tmp / "bench.json")
    with open_store(tmp / "h.sqlite") as store:
        summary = store.import_folder(tmp / "reports")
        assert summary.new > 100 and not summary.unreadable
        store.import_folder(tmp / "bench.json")
        store.record(_gate_verdict("2026-12-01T05:18:00Z", [_group("imdb_lstm", "pass", 0.85),
                                                             _group(ODD, "FAIL")]))
        index = publish(store, tmp / "site", specs_dir=ROOT / "specs")
    assert index == tmp / "site" / "index.html"
    return index.parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harness")
    add_parser(parser.add_subparsers(dest="command"))
    return parser


class _Refs(HTMLParser):
    """Every href and src of a page, and the tags used."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.refs += [v for k, v in attrs if k in ("href", "src") and v is not None]


# ---------------------------------------------------------------------------------------------
# The files


def _bench_only() -> set[str]:
    """The specs of the committed bench that have no runs in the site's store."""
    bench = json.loads((REPORTS / "bench" / "results.json").read_text(encoding="utf-8"))
    return {str(b.get("spec")) for b in bench["benchmarks"]} - set(SPECS)


def _newest_run(spec: str) -> dict:
    """The newest committed baseline run of a spec (the run files are named by start time)."""
    return json.loads(sorted((REPORTS / "baseline" / spec / "runs").glob("*.json"))[-1]
                      .read_text(encoding="utf-8"))


def test_index_lists_every_spec_with_verdict_value_and_sparkline(site):
    text = (site / "index.html").read_text(encoding="utf-8")
    for name in (*SPECS, *_bench_only()):
        assert f'<a href="{name}.html">{name}</a>' in text
    assert "gate: pass" in text and "best_val_acc 0.8500 vs baseline 0.8600" in text
    band = _newest_run("imdb_simple_rnn")["band"]
    verdict = {"pass": "in band", "fail": "out of band"}[band["verdict"]]
    where = "in" if band["verdict"] == "pass" else "not in"
    assert (f"{verdict}</span><br><span class=\"muted\">best_val_acc {band['value']:.4f} "
            f"{where} [{band['low']:.4f}, {band['high']:.4f}]") in text
    assert "x&lt;b&gt;&amp;&quot;y&#x27;" in text and "<b>" not in text
    assert text.count('<svg class="spark"') == 3  # the specs with runs
    assert text.count("bench row(s), no runs") == len(_bench_only())


def test_spec_pages_have_charts_tables_change_points_and_runs(site):
    text = (site / "imdb_lstm.html").read_text(encoding="utf-8")
    charts = sorted(p.name for p in site.glob("imdb_lstm.*.png"))
    assert len(charts) >= 2  # the baseline's CI schedule and the full runs' schedule
    assert text.count('<img class="chart"') == len(charts)
    assert all(f'src="{name}"' in text for name in charts)
    assert "<h3>Change points</h3>" in text and "<h3>Per commit</h3>" in text
    assert "<h2>Gate verdicts</h2>" in text and "<h2>Last 20 run(s)</h2>" in text
    newest = _newest_run("imdb_lstm")
    assert f"<td>{newest['run_id']}</td>" in text
    assert newest["environment"]["git_commit"][:12] in text
    assert "| commit" not in text and "<td>" in text  # HTML, not Markdown
    assert text.count('href="index.html"') == 2
    for png in site.glob("*.png"):
        assert png.read_bytes()[:8] == PNG_MAGIC
    odd = (site / "x_b_y.html").read_text(encoding="utf-8")
    assert "<h1>x&lt;b&gt;&amp;&quot;y&#x27;</h1>" in odd and "gate: FAIL" in odd


def test_every_reference_is_relative_and_nothing_is_external(site):
    pages = sorted(site.glob("*.html"))
    assert {p.stem for p in pages} == {"index", *SPECS, *_bench_only(), "x_b_y"}
    for page in pages:
        refs = _Refs()
        refs.feed(page.read_text(encoding="utf-8"))
        assert "script" not in refs.tags
        for ref in refs.refs:
            if ref == "data:,":  # the empty favicon
                continue
            assert not urlparse(ref).scheme and not ref.startswith(("/", "//")), (page, ref)
            assert (site / unquote(ref)).is_file(), (page, ref)


def test_sparkline_scales_to_its_own_range():
    svg = sparkline([0.8, 0.9, 0.85], change_at=[1], title="a <b>")
    assert svg.count("<polyline") == 1 and svg.count("<line ") == 1
    assert 'points="3.0,25.0 60.0,3.0 117.0,14.0"' in svg and "a &lt;b&gt;" in svg
    assert 'points="60.0,14.0"' in sparkline([0.5])
    assert "<svg" not in sparkline([])


# ---------------------------------------------------------------------------------------------
# The command and its one-line errors


def test_command_writes_the_site(site, tmp_path, capsys):
    db = site.parent / "h.sqlite"
    args = _parser().parse_args(["publish", "--db", str(db), "--out", str(tmp_path / "s"),
                                 "--metric", "test_acc"])
    assert args.func(args) == 0
    index = tmp_path / "s" / "index.html"
    assert capsys.readouterr().out == f"site: {index} (open it in a browser)\n"
    assert "test_acc" in (tmp_path / "s" / "imdb_lstm.html").read_text(encoding="utf-8")
    assert _parser().parse_args(["publish"]).out == "reports/site"


def _one_line_error(argv: list[str], kind: type[HarnessError]) -> str:
    args = _parser().parse_args(argv)
    with pytest.raises(kind) as caught:
        args.func(args)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_corrupt_and_empty_stores_are_one_line(tmp_path):
    missing = tmp_path / "none.sqlite"
    assert _one_line_error(["publish", "--db", str(missing)], StoreError) == (
        f"no results history at {missing}: run `harness history import reports/` first")
    corrupt = tmp_path / "corrupt.sqlite"
    corrupt.write_bytes(b"not a database, only bytes" * 40)
    assert "not an SQLite database" in _one_line_error(["publish", "--db", str(corrupt)],
                                                      StoreError)
    empty = tmp_path / "empty.sqlite"
    open_store(empty).close()
    assert _one_line_error(["publish", "--db", str(empty), "--out", str(tmp_path / "s")],
                           NoHistory) == (f"the results history at {empty} holds no runs: run "
                                          "`harness history import reports/` first")
    assert not (tmp_path / "s").exists()


def test_an_unwritable_out_is_one_line(site, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = blocker / "site"
    message = _one_line_error(["publish", "--db", str(site.parent / "h.sqlite"),
                               "--out", str(out)], PublishError)
    assert message == f"--out {out}: cannot write the site there (Not a directory)"


# ---------------------------------------------------------------------------------------------
# In a real browser


def _executable(*names: str) -> str | None:
    return next((found for n in names if (found := shutil.which(n))), None)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium driven by Debian's chromedriver (never Selenium Manager's downloads),
    with the console log captured."""
    webdriver = pytest.importorskip("selenium.webdriver",
                                    reason="selenium is not installed (the test extra)")
    chromium = _executable("chromium", "chromium-browser")
    driver_path = _executable("chromedriver")
    if chromium is None or driver_path is None:
        missing = " and ".join(n for n, p in (("chromium", chromium),
                                              ("chromedriver", driver_path)) if p is None)
        pytest.skip(f"no {missing} on PATH (Debian: apt-get install chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="harness-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,1024",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _local(url: str) -> Path:
    parsed = urlparse(url)
    assert parsed.scheme == "file", url
    return Path(unquote(parsed.path))


def test_every_page_loads_and_every_link_and_image_resolves(site, browser):
    """Crawl from index.html: each page loads with no severe console entry, each link leads to
    a file of the site, each image is decoded; every page written is reached."""
    seen: set[Path] = set()
    todo = [site / "index.html"]
    images = 0
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        browser.get(page.as_uri())
        assert browser.title, page
        severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == [], (page, severe)
        for href in browser.execute_script(
                "return [...document.querySelectorAll('a[href]')].map(a => a.href)"):
            target = _local(href.split("#")[0])
            assert target.is_file() and target.parent == site, (page, href)
            if target.suffix == ".html":
                todo.append(target)
        for src, complete, width in browser.execute_script(
                "return [...document.images].map(i => [i.src, i.complete, i.naturalWidth])"):
            assert _local(src).is_file() and complete and width > 0, (page, src)
            images += 1
        sizes = browser.execute_script(
            "return [...document.querySelectorAll('svg.spark')].map(s => "
            "s.getBoundingClientRect().width * s.getBoundingClientRect().height)")
        assert all(size > 0 for size in sizes), page
    assert seen == set(site.glob("*.html"))
    assert images == len(list(site.glob("*.png")))


def test_a_spec_page_shows_its_chart(site, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get((site / "imdb_simple_rnn.html").as_uri())
    chart = browser.find_element(By.CSS_SELECTOR, "img.chart")
    assert chart.is_displayed()
    assert chart.size["width"] > 300 and chart.size["height"] > 200
    assert browser.execute_script("return arguments[0].naturalWidth", chart) > 0
    shot = tmp_path / "imdb_simple_rnn.png"
    assert browser.save_screenshot(str(shot))
    data = shot.read_bytes()
    assert data[:8] == PNG_MAGIC and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 0 and height > 0
    # the chart's own pixels, as the browser painted them: its line is matplotlib's blue
    from io import BytesIO

    from PIL import Image

    painted = Image.open(BytesIO(chart.screenshot_as_png)).convert("RGB")
    blue = sum(n for n, (r, g, b) in painted.getcolors(painted.width * painted.height)
               if abs(r - 31) < 40 and abs(g - 119) < 40 and abs(b - 180) < 40)
    assert blue > 200, blue
