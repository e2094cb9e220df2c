"""Timeline events: a registry ``{type → class}``; each event serialises to ``{type, day, ...}``.

An event fires at the start of its ``day`` (counted from day 0 of the horizon; burn-in days are
negative and run no events). Add a type by subclassing ``Event`` with a ``type`` literal, adding it to
``EventSpec`` and implementing ``apply``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    from model.model import BorderSecurityModel


class Event(BaseModel):
    """Base of all events: ``day`` is the horizon day on which it fires."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    day: int = Field(ge=0, description="horizon day on which the event fires")

    def apply(self, model: BorderSecurityModel) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def end_day(self) -> int | None:
        """Day on which the event's effect ends (``None``: lasts)."""
        return None

    def expire(self, model: BorderSecurityModel) -> None:
        """Undo the event's effect on its end day."""


class SetRegime(Event):
    """Switch the command regime (and the unified area) from ``day``; revert on ``end`` if given."""

    type: Literal["set_regime"] = "set_regime"
    regime: Literal["fragmented", "coordinated", "unified"]
    area: list[str] = Field(default_factory=list, description="zones of a unified command")
    end: int | None = Field(None, ge=1, description="horizon day on which the previous regime returns")

    @model_validator(mode="after")
    def _check(self) -> SetRegime:
        if self.regime == "unified" and not self.area:
            raise ValueError("a unified regime needs an area (a list of zones)")
        if self.end is not None and self.end <= self.day:
            raise ValueError(f"end ({self.end}) must come after day ({self.day})")
        return self

    def end_day(self) -> int | None:
        return self.end

    def apply(self, model: BorderSecurityModel) -> None:
        model.command.push_regime(self.regime, self.area, model.day)

    def expire(self, model: BorderSecurityModel) -> None:
        model.command.pop_regime(model.day)


#: Every event type by its ``type`` name.
EVENT_TYPES: dict[str, type[Event]] = {"set_regime": SetRegime}

EventSpec = Annotated[SetRegime, Field(discriminator="type")]
