"""What the timeline's events do to the model (ODD §7.11, events).

Each function takes the model and changes its state the way one kind of event does: an announced
or retracted unified command, units arriving or leaving, a leader struck, a group leaving or being
absorbed, prevention ramping up. ``model.events`` says *when* (the event records); this module says
*what*. The daily schedule (``BorderSecurityModel.step``) calls only ``advance_policies``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mandosim.model.agents import SecurityUnit
from mandosim.model.tables import UnitTable

if TYPE_CHECKING:
    from mandosim.model.model import BorderSecurityModel


#: Officers still counted as a whole unit when a withdrawal's total falls short by rounding.
WITHDRAW_ROUNDING = 1e-9
#: Members counted as part of the group's leaving share when the share falls on a cell boundary.
EXIT_ROUNDING = 1e-9


def zone_mask(model: BorderSecurityModel, zones: list[str] | tuple[str, ...]) -> np.ndarray:
    """(cells,) True where a cell lies in one of ``zones``."""
    return np.isin(model.region.zone, [model.region.zone_code(z) for z in zones])


def agencies_based_in(model: BorderSecurityModel, zones: list[str] | tuple[str, ...]) -> np.ndarray:
    """Agencies with at least one unit whose home zone is in ``zones`` (sorted indices)."""
    codes = [model.region.zone_code(z) for z in zones]
    return np.unique(model.units.agency[np.isin(model.units.home_zone, codes)])


def advance_policies(model: BorderSecurityModel, day: int) -> None:
    """Daily evolution of event-driven policies: prevention ramps to its full effect."""
    if model.prevention_schedule is not None:
        start, before, after, ramp = model.prevention_schedule
        share = 1.0 if ramp == 0 else min(1.0, (day - start + 1) / ramp)
        model.prevention = before + (after - before) * share


def announce(model: BorderSecurityModel, area: list[str]) -> None:
    """Announce a unified command over ``area``: groups there expect the promised force; its agencies trust each other more.

    The promised force is ``command.personnel_ceiling`` officers on duty spread evenly over the
    area; groups adopt it in proportion to the government's credibility and then learn from what
    they see (``model.risk``).
    """
    c, r = model.params.command, model.region
    mask = zone_mask(model, area)
    promised_near = c.personnel_ceiling * model.params.operations.on_duty_fraction / max(int(mask.sum()), 1)
    promised_near *= r.reach.weights.sum()  # officers within a cell's reach
    model.risk.announce(mask, promised_near, model.credibility)
    model.announced_area = tuple(area)
    model.institutions.gain_confidence(agencies_based_in(model, area), c.announcement_trust_boost * model.credibility)


def retract(model: BorderSecurityModel) -> None:
    """Retract the announced or running unified command; credibility and trust pay for it."""
    c = model.params.command
    area = model.announced_area or model.regime.area
    if model.regime.unified:
        area = area or model.regime.area
        model.regime.pop(model.day)
    model.credibility *= 1.0 - c.retraction_credibility_loss
    if area:
        zones = np.array([model.region.zone_code(z) for z in area])
        model.institutions.lose_credibility(zones, agencies_based_in(model, area), c.retraction_community_loss, c.retraction_trust_loss)
    model.announced_area = ()


def add_units(model: BorderSecurityModel, agency: str, officers: dict[str, float]) -> list[int]:
    """New units of ``agency`` (clean, on cells of their zone by population); returns their uids."""
    p, r = model.params, model.region
    rng = model.streams["events"]
    a = model.agency_names.index(agency)
    rows: list[tuple[int, int, float]] = []
    for zone, count in officers.items():
        if count > 0:
            n_units = max(1, round(count / p.operations.unit_size))
            rows.extend((a, r.zone_code(zone), count / n_units) for _ in range(n_units))
    if not rows:
        return []
    new = UnitTable.from_rows(rows, r, model.agency_kind, model.agency_branch)
    for u in range(new.n):
        cells = np.flatnonzero(r.zone == new.home_zone[u])
        weight = model.reference_population[cells] + 1.0
        new.pos[u] = rng.choice(cells, p=weight / weight.sum())
    first = model.units.n
    model.units.append(new)
    model.unit_agents.extend(SecurityUnit(model, first + u) for u in range(new.n))
    model.command.rebuild()
    return [int(x) for x in model.units.uid[first:]]


def remove_units(model: BorderSecurityModel, uids: list[int]) -> None:
    """Units with these uids leave the region."""
    leaving = np.isin(model.units.uid, uids)
    if not leaving.any():
        return
    for u in np.flatnonzero(leaving):
        model.unit_agents[u].remove()
    model.unit_agents = [agent for agent, gone in zip(model.unit_agents, leaving, strict=True) if not gone]
    model.units.keep(~leaving)
    for slot, agent in enumerate(model.unit_agents):
        agent.slot = slot
    model.command.rebuild()


def withdraw_officers(model: BorderSecurityModel, agency: str, officers: dict[str, float]) -> None:
    """Whole units of ``agency`` leave each zone, latest arrivals first, up to ``officers`` per zone."""
    a, units, uids = model.agency_names.index(agency), model.units, []
    for zone, count in officers.items():
        here = np.flatnonzero((units.agency == a) & (units.home_zone == model.region.zone_code(zone)))
        here = here[np.argsort(-units.uid[here], kind="stable")]
        taken = np.cumsum(units.officers[here]) <= count + WITHDRAW_ROUNDING
        uids.extend(int(x) for x in units.uid[here[taken]])
    remove_units(model, uids)


def group_exit(model: BorderSecurityModel, group: int, share: float, into: int | None = None) -> None:
    """``share`` of the group's members (largest cells first) leave the region, or join group ``into``.

    Leaving members count as exited; absorbed cells keep their place and members, change group,
    and count as transferred (out of ``group``, into ``into``).
    """
    t = model.cells
    slots = np.flatnonzero(t.alive & (t.group == group))
    slots = slots[np.argsort(-t.members[slots], kind="stable")]
    target = share * t.members[slots].sum()
    leaving = slots[(np.cumsum(t.members[slots]) - t.members[slots]) < target - EXIT_ROUNDING]
    moved = int(t.members[leaving].sum())
    if into is None:
        model.event_exits[group] += moved
        for slot in leaving:
            model.remove_cell(int(slot))
    else:
        t.group[leaving] = into
        model.event_transfers[group] -= moved
        model.event_transfers[into] += moved
    if not (t.alive & (t.group == group)).any():
        model.groups.active[group] = False
