"""The base of every results model: a pydantic model that keeps what it does not name and
the order of the keys it was read with, so that load + write gives the same JSON.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)

# A number a document may hold as an int or a float; kept as written (0 stays 0, not 0.0).
Number = int | float


class Document(BaseModel):
    """A results document or one of its sections: extra fields kept, key order kept."""

    model_config = ConfigDict(extra="allow")

    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = handler(data)
        if isinstance(data, dict) and isinstance(model, Document):
            model._order = tuple(data)
        return model

    @model_serializer(mode="wrap")
    def _in_read_order(self, handler: SerializerFunctionWrapHandler) -> Any:
        out = handler(self)
        if not self._order or not isinstance(out, dict):
            return out
        first = [k for k in self._order if k in out]
        return {k: out[k] for k in [*first, *(k for k in out if k not in self._order)]}

    @classmethod
    def of(cls, value: Any) -> Self:
        """``value`` as this model: itself when it is one, else validated (a raw dict)."""
        if isinstance(value, cls):
            return value
        return cls.model_validate(value if value is not None else {})

    def to_json_dict(self) -> dict[str, Any]:
        """The document as JSON-ready Python values (the fields it was read or built with)."""
        return self.model_dump(exclude_unset=True)

    def given(self, name: str, default: Any = None) -> Any:
        """The field ``name`` when the document holds it (even as null), else ``default``: for
        the few readers that tell an absent field from a null one."""
        return getattr(self, name, default) if name in self.model_fields_set else default


__all__ = ["Document", "Number"]
