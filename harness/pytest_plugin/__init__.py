"""pytest plugin: spec files as test items, and fixtures that build a spec's model and data.

Registered as the ``pytest11`` entry point ``harness`` (``-p no:harness`` turns it off), it
follows pytest's own "YAML test files" example: :func:`pytest_collect_file` turns each spec file
into a :class:`SpecFile` whose items are

- ``validate``: the schema check of :func:`harness.spec.load_spec`, and a name no other spec of
  the session has (no TensorFlow);
- ``verify``: the model built (:func:`harness.build.build_model`) and every layer's output shape
  and params, and the totals, checked by :func:`harness.verify.measure`;
- ``parity``: each layer's output against its NumPy reference (:mod:`harness.parity`), on the
  seeded random inputs of ``harness verify --parity`` (and 4 test reviews with
  ``--harness-data PATH``); a factory model skips with the reason;
- ``train`` (specs with a ``train`` section only): the spec's CI schedule (its ``ci`` section),
  else its ``train`` section, one run of the spec's seed, judged against ``ci.band`` or
  ``band``. Opt-in twice: it is marked ``slow``, and skips with the reason unless
  ``--harness-train`` is given.

Which files are specs: a ``.yaml``/``.yml`` file named on the command line, or one whose path
relative to pytest's rootdir (or to the folder pytest was started in) matches a glob of the ini
option ``harness_specs`` (default ``specs/*.yaml specs/*.yml``; ``*`` stays inside a folder,
``**`` spans folders). Spec files used as test fixtures elsewhere
(``tests/data/specs/bad_*.yaml``) are never collected by accident.

A failure reads ``specs/imdb_lstm.yaml::verify: model.layers[1] (LSTM): params differ: expected
8,321, built 8,320``, one line per figure, with the item's table below it (``verify``: the
architecture table of ``harness verify``, ``parity``: the per-layer differences; ``-rP`` shows
them for passing items too); a
spec that does not parse fails ``validate`` with its one-line error and its other items skip
naming that. TensorFlow is imported only when an item or fixture builds a model.

The hooks are here; the items are :mod:`.items`', the fixtures :mod:`.fixtures`' (imported here,
where pytest looks for them), which files are specs :mod:`.paths`'.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import pytest

from .fixtures import as_spec, harness_data, harness_model, harness_spec
from .items import (
    PARITY_REVIEWS,
    SPEC_NAMES,
    ParityItem,
    SpecCheckFailed,
    SpecFile,
    SpecItem,
    TrainItem,
    ValidateItem,
    VerifyItem,
    import_tensorflow,
)
from .paths import display_path, is_spec_path

DEFAULT_SPEC_GLOBS = ("specs/*.yaml", "specs/*.yml")
SLOW_MARKER = "slow: trains a model for longer than a few seconds (opt-in: -m slow)"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("harness", "keras-harness spec files (harness.pytest_plugin)")
    group.addoption("--harness-train", action="store_true", default=False,
                    help="run the 'train' item of each spec (also marked slow: add -m slow "
                    "where addopts deselects it)")
    group.addoption("--harness-data", metavar="PATH", default=None,
                    help="the data file, archive or folder, as harness --data: read by the "
                    "train items and the harness_data fixture (default: the source's own "
                    "look-up, $HARNESS_IMDB_DATA...) and by the parity items (4 test reviews)")
    group.addoption("--harness-out", metavar="DIR", default=None,
                    help="where train items write their reports (default: a temporary folder, "
                    "removed after the item)")
    parser.addini("harness_specs", type="args", default=list(DEFAULT_SPEC_GLOBS),
                  help="globs, relative to the rootdir or to where pytest started, of the "
                  "YAML files collected as spec files (default: specs/*.yaml specs/*.yml)")


def pytest_configure(config: pytest.Config) -> None:
    if not any(line.split(":")[0].strip() == "slow" for line in config.getini("markers")):
        config.addinivalue_line("markers", SLOW_MARKER)
    config.stash[SPEC_NAMES] = {}


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> SpecFile | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    config = parent.config
    # A project without a config file gets the common folder of the arguments as rootdir
    # (``specs/`` itself for ``pytest specs/``): globs also match from where pytest started.
    bases = (config.rootpath, config.invocation_params.dir)
    globs = config.getini("harness_specs")
    if parent.session.isinitpath(file_path) or any(is_spec_path(file_path, base, globs)
                                                   for base in bases):
        return SpecFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if isinstance(item, SpecItem) and report.skipped and isinstance(report.longrepr, tuple):
        # A skip inside an item is located at the spec file, not at the plugin line raising it.
        # pytest's reporter names the file alone for a None line; its annotation says int.
        report.longrepr = (str(item.path), None, report.longrepr[2])  # type: ignore[assignment]
    return report


__all__ = ["DEFAULT_SPEC_GLOBS", "PARITY_REVIEWS", "SLOW_MARKER", "SPEC_NAMES", "ParityItem",
           "SpecCheckFailed", "SpecFile", "SpecItem", "TrainItem", "ValidateItem", "VerifyItem",
           "as_spec", "display_path", "harness_data", "harness_model", "harness_spec",
           "import_tensorflow", "is_spec_path", "pytest_addoption", "pytest_collect_file",
           "pytest_configure", "pytest_runtest_makereport"]
