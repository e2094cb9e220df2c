"""Timeline events: a registry ``{type → class}``; each event serialises to ``{type, day, ...}``.

An event fires at the start of its ``day`` (counted from day 0 of the horizon; burn-in days are
negative and run no events). Events with an ``end`` undo their effect on that day. Add a type by
subclassing ``Event`` with a ``type`` literal, implementing ``apply`` (and ``expire``), and listing it
in ``EventSpec``. What an event does to the model's state lives in ``model.interventions``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mandosim.model import interventions
from mandosim.model.limits import MAX_HORIZON_DAYS, MAX_NAMED, Identifier, Officers

if TYPE_CHECKING:
    from mandosim.model.model import BorderSecurityModel


class Event(BaseModel):
    """Base of all events: ``day`` is the horizon day on which it fires."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    day: int = Field(ge=0, le=MAX_HORIZON_DAYS, description="horizon day on which the event fires")

    def apply(self, model: BorderSecurityModel) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def end_day(self) -> int | None:
        """Day on which the event's effect ends (``None``: lasts)."""
        return getattr(self, "end", None)

    def expire(self, model: BorderSecurityModel) -> None:
        """Undo the event's effect on its end day."""

    def named_zones(self) -> list[str]:
        """Zones the event names (checked against the region)."""
        return list(getattr(self, "area", []))

    def named_agencies(self) -> list[str]:
        """Agencies the event names (checked against the scenario)."""
        return []

    def named_groups(self) -> list[str]:
        """Groups the event names (checked against the scenario)."""
        return []


class _Ends(Event):
    end: int | None = Field(None, ge=1, le=MAX_HORIZON_DAYS, description="horizon day on which the effect ends")

    @model_validator(mode="after")
    def _end_after_day(self) -> _Ends:
        if self.end is not None and self.end <= self.day:
            raise ValueError(f"end ({self.end}) must come after day ({self.day})")
        return self


class SetRegime(_Ends):
    """Switch the command regime (and the unified area) from ``day``; the previous one returns on ``end``."""

    type: Literal["set_regime"] = "set_regime"
    regime: Literal["fragmented", "coordinated", "unified"]
    area: list[Identifier] = Field(default_factory=list, max_length=MAX_NAMED, description="zones of a unified command")

    @model_validator(mode="after")
    def _area_for_unified(self) -> SetRegime:
        if self.regime == "unified" and not self.area:
            raise ValueError("a unified regime needs an area (a list of zones)")
        return self

    def apply(self, model: BorderSecurityModel) -> None:
        model.regime.push(self.regime, self.area, model.day)

    def expire(self, model: BorderSecurityModel) -> None:
        model.regime.pop(model.day)


class AnnounceUnifiedCommand(Event):
    """Announce a unified command over ``area`` without moving any unit.

    Groups there expect the promised force in proportion to credibility, then learn from what they
    see (``model.risk``); the area's agencies trust each other more.
    """

    type: Literal["announce_unified_command"] = "announce_unified_command"
    area: list[Identifier] = Field(min_length=1, max_length=MAX_NAMED, description="zones the announcement names")

    def apply(self, model: BorderSecurityModel) -> None:
        interventions.announce(model, self.area)


class RetractUnifiedCommand(Event):
    """Retract an announced or running unified command.

    The regime before it returns; credibility, community trust in its zones and trust among its
    agencies drop.
    """

    type: Literal["retract_unified_command"] = "retract_unified_command"

    def apply(self, model: BorderSecurityModel) -> None:
        interventions.retract(model)


class Deploy(_Ends):
    """A surge: ``officers`` per zone of ``agency`` arrive (as units); they leave again on ``end``."""

    type: Literal["deploy"] = "deploy"
    agency: Identifier
    officers: dict[Identifier, Officers] = Field(min_length=1, max_length=MAX_NAMED, description="officers arriving per zone")

    def named_zones(self) -> list[str]:
        return list(self.officers)

    def named_agencies(self) -> list[str]:
        return [self.agency]

    def apply(self, model: BorderSecurityModel) -> None:
        model.event_units[id(self)] = interventions.add_units(model, self.agency, self.officers)

    def expire(self, model: BorderSecurityModel) -> None:
        interventions.remove_units(model, model.event_units.pop(id(self), []))


class Withdraw(Event):
    """Up to ``officers`` per zone of ``agency`` leave (whole units, most recently arrived first)."""

    type: Literal["withdraw"] = "withdraw"
    agency: Identifier
    officers: dict[Identifier, Officers] = Field(min_length=1, max_length=MAX_NAMED, description="officers leaving per zone")

    def named_zones(self) -> list[str]:
        return list(self.officers)

    def named_agencies(self) -> list[str]:
        return [self.agency]

    def apply(self, model: BorderSecurityModel) -> None:
        interventions.withdraw_officers(model, self.agency, self.officers)


class LeaderStrike(Event):
    """Capture or kill the leader of ``group``: a succession crisis starts (P1)."""

    type: Literal["leader_strike"] = "leader_strike"
    group: Identifier

    def named_groups(self) -> list[str]:
        return [self.group]

    def apply(self, model: BorderSecurityModel) -> None:
        model.leadership.strike(model.groups.names.index(self.group))


class TrustShock(Event):
    """A political rift: trust between agencies ``a`` and ``b`` drops to ``value`` (then recovers slowly)."""

    type: Literal["trust_shock"] = "trust_shock"
    a: Identifier
    b: Identifier
    value: float = Field(0.0, ge=0, le=1)

    def named_agencies(self) -> list[str]:
        return [self.a, self.b]

    def apply(self, model: BorderSecurityModel) -> None:
        names = model.agency_names
        model.institutions.shock(names.index(self.a), names.index(self.b), self.value)


class Vetting(_Ends):
    """Vetting: colluding units of ``agencies`` (all if empty) are found and replaced at ``rate`` per day."""

    type: Literal["vetting"] = "vetting"
    rate: float = Field(gt=0, le=1, description="daily hazard that a colluding unit is removed")
    agencies: list[Identifier] = Field(default_factory=list, max_length=MAX_NAMED, description="agencies vetted (all if empty)")

    def named_agencies(self) -> list[str]:
        return list(self.agencies)

    def _targets(self, model: BorderSecurityModel) -> list[int]:
        names = self.agencies or model.agency_names
        return [model.agency_names.index(a) for a in names]

    def apply(self, model: BorderSecurityModel) -> None:
        model.institutions.vetting_rate[self._targets(model)] = self.rate

    def expire(self, model: BorderSecurityModel) -> None:
        model.institutions.vetting_rate[self._targets(model)] = 0.0


class Prevention(Event):
    """Prevention programmes cut recruitment by ``reduction``, reached linearly over ``ramp_days`` (P4)."""

    type: Literal["prevention"] = "prevention"
    reduction: float = Field(gt=0, le=1, description="share of recruitment prevented at full effect")
    ramp_days: int = Field(0, ge=0, le=MAX_HORIZON_DAYS, description="days to reach full effect")

    def apply(self, model: BorderSecurityModel) -> None:
        model.prevention_schedule = (model.day, model.prevention, self.reduction, self.ramp_days)


class GroupExit(Event):
    """A group relocates out of the region, or is absorbed by another: ``share`` of its cells (largest first).

    Without ``into`` the cells leave and their members exit; with ``into`` they stay where they are
    and change allegiance to that group (members transfer; the rivalry between the two ends with it).
    """

    type: Literal["group_exit"] = "group_exit"
    group: Identifier
    share: float = Field(1.0, gt=0, le=1, description="share of the group's members that leave")
    into: Identifier | None = Field(None, description="group that absorbs the cells instead of their leaving")

    def named_groups(self) -> list[str]:
        return [self.group] if self.into is None else [self.group, self.into]

    def apply(self, model: BorderSecurityModel) -> None:
        into = None if self.into is None else model.groups.names.index(self.into)
        interventions.group_exit(model, model.groups.names.index(self.group), self.share, into)


class SetRivalry(Event):
    """Two groups go to war (``rivals = true``) or make peace (``false``) from this day on."""

    type: Literal["set_rivalry"] = "set_rivalry"
    groups: list[Identifier] = Field(min_length=2, max_length=2, description="the two groups")
    rivals: bool = Field(True, description="at war from this day (true) or not (false)")

    def named_groups(self) -> list[str]:
        return list(self.groups)

    def apply(self, model: BorderSecurityModel) -> None:
        first, second = (model.groups.names.index(g) for g in self.groups)
        model.groups.set_rivalry(first, second, self.rivals)


#: Every event type by its ``type`` name.
EVENT_TYPES: dict[str, type[Event]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        SetRegime,
        AnnounceUnifiedCommand,
        RetractUnifiedCommand,
        Deploy,
        Withdraw,
        LeaderStrike,
        TrustShock,
        Vetting,
        Prevention,
        GroupExit,
        SetRivalry,
    )
}

EventSpec = Annotated[
    SetRegime
    | AnnounceUnifiedCommand
    | RetractUnifiedCommand
    | Deploy
    | Withdraw
    | LeaderStrike
    | TrustShock
    | Vetting
    | Prevention
    | GroupExit
    | SetRivalry,
    Field(discriminator="type"),
]
