"""harness.formatting: the one cell formatter and table helper of the run report, the bench
report and the gate's verdict; each rule below is one those reports' committed text relies on."""

from __future__ import annotations

import math

import pytest

from harness.formatting import cell, markdown_table


@pytest.mark.parametrize(("value", "fmt", "text"), [
    (None, None, "-"),  # not recorded
    (None, "{:.2f}", "-"),
    (0.85, None, "0.8500"),  # a figure: 4 decimals
    (0.85, "{:.1f}", "0.8"),
    (2.0, "{:+.4f}", "+2.0000"),  # the gate's signed change
    (3, None, "3"),  # a count or an epoch: whole
    (3, "{:.2f}", "3.00"),  # a figure the document holds as an int (bench results: Number)
    (211, "{:.0f}", "211"),
    (True, None, "True"),
    ("a | b\nc", None, "a \\| b c"),  # cannot break the table
    (math.nan, None, "nan"),
    (math.inf, "{:.1f}", "inf"),
])
def test_cell(value, fmt, text):
    assert cell(value, fmt) == text


def test_a_cell_of_a_figure_that_is_not_finite_can_be_blank():
    assert cell(math.nan, "{:.4f}", finite=True) == "-"
    assert cell(-math.inf, finite=True) == "-"
    assert cell(0.5, "{:.1f}", finite=True) == "0.5"


def test_markdown_table_cleans_every_cell_and_keeps_numbers_as_written():
    table = markdown_table([["x|y", 0.5, None, 3, "0.8500"]], ["a", "b", "c", "d", "e"])
    assert table.splitlines() == [
        "| a    | b      | c   | d   | e      |",
        "|------|--------|-----|-----|--------|",
        "| x\\|y | 0.5000 | -   | 3   | 0.8500 |",
    ]
