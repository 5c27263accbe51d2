"""Fuzzing the spec loader: whatever the document, the answer is a Spec or a SpecError.

Three sources of documents: any YAML text (random characters, and random runs of YAML syntax:
anchors, aliases, tags, flow and block collections, complex keys), any data structure, and the
valid tiny spec with one to three of its values replaced, deleted or joined by new keys. About
600 examples, a few seconds.
"""

from __future__ import annotations

import copy

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SPECS

from harness.errors import SpecError
from harness.spec import Spec, load_spec, parse_spec

GOOD = yaml.safe_load((SPECS / "good_tiny.yaml").read_text())
FUZZ = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12))
keys = st.one_of(st.text(max_size=10), st.integers(), st.booleans(), st.none())
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(keys, inner, max_size=4)),
    max_leaves=25,
)
YAML_PIECES = ["{", "}", "[", "]", ", ", ": ", "- ", "? ", "\n", "\n  ", "&a ", "*a", "&b ", "*b",
               "!!set ", "!!binary ", "!!python/name:os.system ", "!!float ", "!!int ",
               "!!timestamp ", "!!bool ", "!!map ", "!!omap ", "'", '"', "#", "|",
               ">", "---\n", "...", "name", "model", "layers", "type", "Dense", "units", "1e3",
               ".nan", "-.inf", "null", "yes", "2020-01-01", "0x1F", "~", "%YAML 1.1\n", "\t"]
yaml_texts = st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join),
    documents.map(lambda d: yaml.safe_dump(d, default_flow_style=None)),
)


def _paths(node, prefix=()):
    yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node) \
        if isinstance(node, list) else []
    for key, child in items:
        yield from _paths(child, (*prefix, key))


GOOD_PATHS = list(_paths(GOOD))[1:]


@st.composite
def mutated_specs(draw):
    doc = copy.deepcopy(GOOD)
    for _ in range(draw(st.integers(1, 3))):
        *parents, last = draw(st.sampled_from(GOOD_PATHS))
        node = doc
        try:
            for key in parents:
                node = node[key]
            action = draw(st.sampled_from(["replace", "delete", "add"]))
            if action == "replace":
                node[last] = draw(documents)
            elif action == "delete":
                del node[last]
            elif isinstance(node, dict):
                node[draw(keys)] = draw(documents)
        except (KeyError, IndexError, TypeError):
            pass  # an earlier mutation removed or replaced this path
    return doc


def _spec_or_spec_error(load) -> None:
    try:
        assert isinstance(load(), Spec)
    except SpecError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)


@FUZZ
@given(text=yaml_texts)
def test_any_yaml_text(tmp_path, text):
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    _spec_or_spec_error(lambda: load_spec(path))


@FUZZ
@given(doc=documents)
def test_any_document(doc):
    _spec_or_spec_error(lambda: parse_spec(doc, "fuzz.yaml"))


@FUZZ
@given(doc=mutated_specs())
def test_mutated_valid_spec(doc):
    _spec_or_spec_error(lambda: parse_spec(doc, "fuzz.yaml"))


def test_the_unmutated_spec_is_valid():
    assert parse_spec(copy.deepcopy(GOOD)).name == "tiny_rnn"


def test_documents_found_by_fuzzing(tmp_path):
    # Each of these raised TypeError, ValueError, IndexError, AttributeError, KeyError or
    # RecursionError before.
    cases = {
        "{[1]: 2}": "line 1, column 2: YAML syntax error: a key must be a plain value, got a list",
        "name: &a [*a]": "the document contains itself (a YAML alias inside its own anchor)",
        "[" * 3000 + "]" * 3000: "lists or mappings nested more than 50 deep",
        "a: !!float": "line 1, column 4: YAML syntax error: cannot read '' as !!float",
        "a: !!timestamp foo": "line 1, column 4: YAML syntax error: cannot read 'foo' as "
                              "!!timestamp",
        "a: !!bool maybe": "line 1, column 4: YAML syntax error: cannot read 'maybe' as !!bool",
    }
    for text, message in cases.items():
        path = tmp_path / "case.yaml"
        path.write_text(text)
        try:
            load_spec(path)
        except SpecError as exc:
            assert exc.problems == [message]
        else:
            raise AssertionError(f"{text[:20]!r} loaded")
