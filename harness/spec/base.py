"""What every section of a spec shares: the frozen base model, the constrained field types, and
the did-you-mean hint of the error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

PositiveInt = Annotated[int, Field(gt=0, strict=True)]
NonNegativeInt = Annotated[int, Field(ge=0, strict=True)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegativeFloat = Annotated[float, Field(ge=0.0)]
# An output shape as Keras prints it, batch dimension first: [null, null, 32].
Shape = list[Annotated[int, Field(gt=0, strict=True)] | None]


class Frozen(BaseModel):
    """A spec section: immutable, and an unknown key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice (a different case first), else ``""``."""
    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered and lowered[word.lower()] != word:
        return f"; did you mean '{lowered[word.lower()]}'?"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""
