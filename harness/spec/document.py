"""One spec file, parsed: its sections, the checks across them, and its content hash."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from pydantic import Field, model_validator

from .band import Band, CiSpec
from .base import Frozen, did_you_mean
from .data import ArraysDataSpec, DataSpec, ImdbDataSpec, ImdbTextDataSpec, JenaDataSpec
from .model import ModelSpec
from .reference import Reference
from .train import TrainSpec


class Spec(Frozen):
    """One spec file, parsed. ``path`` is where it was read from."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]*$")]
    description: str = ""
    source: str = ""
    model: ModelSpec
    data: DataSpec | None = None
    train: TrainSpec | None = None
    band: Band | None = None
    ci: CiSpec | None = None
    reference: Reference | None = None
    path: str = Field(default="", exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _default_dataset(cls, data: Any) -> Any:
        # ``dataset`` picks the data source; left out it is imdb, as before sources existed.
        if isinstance(data, dict) and isinstance(data.get("data"), dict) \
                and "dataset" not in data["data"]:
            data = {**data, "data": {"dataset": "imdb", **data["data"]}}
        return data

    @model_validator(mode="after")
    def _sections(self) -> Spec:
        if self.train is not None and self.data is None:
            raise ValueError("data: is required for a spec that trains (it has a 'train' section)")
        if self.band is not None and self.train is None:
            raise ValueError("train: is required for a spec with a 'band'")
        if self.ci is not None and self.train is None:
            raise ValueError("train: is required for a spec with a 'ci' schedule")
        if self.train is not None:
            recorded = self.train.recorded_metrics()
            if not self._validates():
                recorded = [k for k in recorded if not k.startswith("val_")]
            ci_band = self.ci.band if self.ci is not None else None
            for where, band in (("band", self.band), ("ci.band", ci_band)):
                if band is not None and band.key not in recorded:
                    hint = did_you_mean(band.key, recorded)
                    why = (" (it holds out no validation data: set train.validation_split)"
                           if band.key.startswith("val_") else "")
                    raise ValueError(
                        f"{where}.metric: {band.metric!r} reads '{band.key}', which this spec "
                        f"does not record{why}{hint} (recorded: {', '.join(recorded)})")
        return self

    def _validates(self) -> bool:
        """Whether training records val_ metrics: a validation_split, or validation data the
        source holds out (an arrays file may hold x_val, which only loading tells)."""
        assert self.train is not None
        data = self.data
        return (self.train.validation_split > 0
                or isinstance(data, (ImdbTextDataSpec, JenaDataSpec, ArraysDataSpec))
                or (isinstance(data, ImdbDataSpec) and data.validation_samples is not None))

    @property
    def trains(self) -> bool:
        """Whether this spec trains (architecture-only specs have no ``train`` section)."""
        return self.train is not None

    def content_hash(self) -> str:
        """sha256 of what decides a run's result: model, data and train (not band or reference).

        Results of two runs are comparable only when their spec hashes are equal. Left out: the
        ``expect`` entries (checks of the result, not inputs to it) and fields left at their
        default, so that adding an expectation, or a schema field with a default, does not make
        every stored baseline incomparable.
        """
        text = json.dumps(self._hashed(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def section_hashes(self) -> dict[str, str]:
        """sha256 of each of model, data and train, hashed as in :meth:`content_hash`: says
        which section changed between two results whose spec hashes differ."""
        payload = self._hashed()
        return {key: hashlib.sha256(json.dumps(payload.get(key), sort_keys=True,
                                               separators=(",", ":")).encode()).hexdigest()
                for key in ("model", "data", "train")}

    def _hashed(self) -> dict[str, Any]:
        def strip(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: strip(v) for k, v in value.items() if k != "expect"}
            if isinstance(value, list):
                return [strip(v) for v in value]
            return value

        payload = strip(self.model_dump(include={"model", "data", "train"}, mode="json",
                                        exclude_defaults=True))
        if self.model.layers is not None:
            payload["model"]["layers"] = [layer.hashed() for layer in self.model.layers]
        return payload
