"""What Keras accepts, read once from the installed Keras and committed as data.

``harness validate`` must stay fast and free of TensorFlow, yet check that every layer type, layer
argument, optimizer, loss, metric and activation a spec names exists in Keras. The names are in
``keras_names.json`` beside this module: every layer class ``keras.layers`` exports with its
constructor's arguments and their defaults, and the names ``keras.optimizers.get``,
``keras.losses.get``, ``keras.metrics.get`` and ``keras.activations.get`` resolve. The file is
generated from the installed Keras by::

    python -m harness.keras_names            # rewrite harness/keras_names.json
    python -m harness.keras_names --check    # exit 1 when it differs from the installed Keras

and ``tests/test_keras_names.py`` fails when it drifts from the installed Keras, so the table can
never silently disagree with what ``harness verify`` builds. Values only Keras can judge (an
argument's type or range) are left to ``harness verify``, which builds the layer.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

NAMES_FILE = Path(__file__).with_name("keras_names.json")
FORMAT_VERSION = 1

# Strings ``model.compile(metrics=[...])`` resolves itself before asking keras.metrics.get
# (accuracy and crossentropy of the kind the loss implies).
COMPILE_METRIC_ALIASES = ("acc", "accuracy", "ce", "crossentropy")
# Keyword arguments every layer takes through ``**kwargs`` (keras.layers.Layer.__init__).
# ``input_shape``/``input_dim`` are left out on purpose: a spec gives the input once, in
# ``model.input``.
_NOT_A_DEFAULT = "<required>"
_METRIC_BASES = ("metric", "meanmetricwrapper", "mean_metric_wrapper")


@dataclass(frozen=True)
class LayerSignature:
    """A Keras layer class's constructor, as recorded in ``keras_names.json``.

    Attributes:
        name: the class name a spec writes (``Conv1D``; aliases such as ``Convolution1D`` too).
        class_name: the class it names (``Conv1D`` for ``Convolution1D``).
        args: argument name -> its default (``"<required>"`` when it has none; a default that is
            not JSON is recorded as its ``repr``).
        base_args: the arguments every layer takes (``name``, ``dtype``, ``trainable``, ...).
        wraps: the layer takes another layer (``Bidirectional``, ``TimeDistributed``).
    """

    name: str
    class_name: str
    args: dict[str, Any]
    base_args: tuple[str, ...]
    wraps: bool

    @property
    def required(self) -> list[str]:
        return [a for a, d in self.args.items() if d == _NOT_A_DEFAULT]

    def accepts(self, arg: str) -> bool:
        return arg in self.args or arg in self.base_args

    def all_args(self) -> list[str]:
        return [*self.args, *self.base_args]

    def is_default(self, arg: str, value: Any) -> bool:
        """Whether ``value`` is this argument's Keras default (so a spec hash can leave it out)."""
        if arg not in self.args or self.args[arg] == _NOT_A_DEFAULT:
            return False
        default = self.args[arg]
        return type(default) is type(value) and default == value


@dataclass(frozen=True)
class KerasNames:
    """The committed table: layers, optimizers, losses, metrics, activations."""

    keras_version: str
    layers: dict[str, LayerSignature]
    optimizers: tuple[str, ...]
    losses: tuple[str, ...]
    metrics: tuple[str, ...]
    activations: tuple[str, ...]


@functools.cache
def keras_names() -> KerasNames:
    """The committed table (read once per process; no TensorFlow import).

    Raises:
        RuntimeError: the file is missing or unreadable (a broken installation of the harness).
    """
    try:
        doc = json.loads(NAMES_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"{NAMES_FILE}: cannot read the table of Keras names ({exc}); "
                           "regenerate it with 'python -m harness.keras_names'") from None
    base = tuple(doc["base_layer_args"])
    layers = {
        name: LayerSignature(name=name, class_name=entry["class_name"], args=entry["args"],
                             base_args=base, wraps=entry["wraps"])
        for name, entry in doc["layers"].items()
    }
    return KerasNames(doc["keras_version"], layers, tuple(doc["optimizers"]),
                      tuple(doc["losses"]), tuple(doc["metrics"]), tuple(doc["activations"]))


# ---------------------------------------------------------------------------------------------
# Generation from the installed Keras (imports Keras, so TensorFlow)


def generate() -> dict[str, Any]:
    """The table as read from the installed Keras (a JSON-ready dict)."""
    import keras
    from keras.src import activations, losses, metrics, optimizers

    base_signature = inspect.signature(keras.layers.Layer.__init__)
    base_args = [p for p in base_signature.parameters
                 if p not in ("self",) and base_signature.parameters[p].kind
                 not in (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)]
    layers: dict[str, Any] = {}
    for name in sorted(dir(keras.layers)):
        cls = getattr(keras.layers, name)
        if name.startswith("_") or not inspect.isclass(cls):
            continue
        if not issubclass(cls, keras.layers.Layer) or cls is keras.layers.Layer:
            continue
        signature = inspect.signature(cls.__init__)
        args: dict[str, Any] = {}
        for pname, param in signature.parameters.items():
            if pname == "self" or param.kind in (inspect.Parameter.VAR_KEYWORD,
                                                 inspect.Parameter.VAR_POSITIONAL):
                continue
            args[pname] = _json_default(param.default)
        layers[name] = {"class_name": cls.__name__, "args": args, "wraps": "layer" in args}
    return {
        "format_version": FORMAT_VERSION,
        "keras_version": keras.__version__,
        "base_layer_args": base_args,
        "layers": layers,
        "optimizers": sorted(k for k in optimizers.ALL_OBJECTS_DICT
                             if _resolves(keras.optimizers.get, k)),
        "losses": sorted(k for k in losses.ALL_OBJECTS_DICT
                         if k[:1].islower() and _resolves(keras.losses.get, k)),
        # Class names too (compile(metrics=["AUC"]) logs "AUC"), but not the base classes.
        "metrics": sorted({*COMPILE_METRIC_ALIASES,
                           *(k for k in metrics.ALL_OBJECTS_DICT
                             if k.lower() not in _METRIC_BASES
                             and _resolves(keras.metrics.get, k))}),
        "activations": sorted(k for k in activations.ALL_OBJECTS_DICT
                              if _resolves(keras.activations.get, k)),
    }


def _resolves(get, name: str) -> bool:
    try:
        get(name)
    except Exception:  # noqa: BLE001 - whatever Keras raises, the name does not resolve alone
        return False
    return True


def _json_default(value: Any) -> Any:
    if value is inspect.Parameter.empty:
        return _NOT_A_DEFAULT
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)) and all(
            v is None or isinstance(v, (bool, int, float, str)) for v in value):
        return list(value)
    return {"repr": repr(value)}


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, indent=1, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m harness.keras_names [--check]``: write the table, or check it is current."""
    argv = sys.argv[1:] if argv is None else argv
    text = render(generate())
    if "--check" in argv:
        current = NAMES_FILE.read_text(encoding="utf-8") if NAMES_FILE.exists() else ""
        if current != text:
            print(f"{NAMES_FILE}: differs from the installed Keras; run "
                  "'python -m harness.keras_names' to regenerate it", file=sys.stderr)
            return 1
        print(f"{NAMES_FILE}: matches the installed Keras")
        return 0
    NAMES_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {NAMES_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
