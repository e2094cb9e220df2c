"""Intelligence: each agency's belief map of criminal members per cell, and how it is shared.

Each day an agency observes cells in its area with a hazard that grows with its officers nearby,
its local knowledge and community tips (trust × density). An observation is the true head-count
with lognormal error, minus what a colluding agency hides about the group it protects. Beliefs
are exponentially smoothed and fade where nothing is seen. Sharing depends on the regime:
none (fragmented), partial with trust (coordinated), pooled within the area (unified).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from model.params import IntelParams


class Intelligence:
    """Belief maps ``belief[agency, cell]`` (believed members) and the unified pooled map.

    Only *active* entries are processed each day: cells in an agency's area holding criminals or a
    belief above ``belief_floor``. Elsewhere an observation would find nothing and change nothing.

    Args:
        n_agencies: Number of agencies.
        n_cells: Number of domain cells.
        params: Intelligence parameters.
        observe_mask: (agencies, cells) True where an agency may observe (its area).
    """

    def __init__(self, n_agencies: int, n_cells: int, params: IntelParams, observe_mask: np.ndarray) -> None:
        self.params = params
        self.n_cells = n_cells
        self.observe_mask = observe_mask
        self.belief = np.zeros((n_agencies, n_cells))
        self.pooled = np.zeros(n_cells)
        self._detected = np.zeros(0, dtype=np.int64)  # flat (agency, cell) indices seen today
        self._observed = np.zeros(0)

    def observe(
        self,
        rng: np.random.Generator,
        true_members: np.ndarray,
        officers: np.ndarray,
        neighbours: np.ndarray,
        knowledge: np.ndarray,
        sidelined: np.ndarray,
        knowledge_retained: float,
        area_mask: np.ndarray,
        tips: np.ndarray,
        collusion_share: np.ndarray,
        protected_members: np.ndarray,
    ) -> None:
        """One day of observation by every agency, on the active entries.

        An active entry (agency a, cell c) is detected with probability ``1 − exp(−h)``, where
        ``h = (base_detection + detection_per_officer · officers of a in c's 3×3 + tips_c) · knowledge``;
        it then reports ``max(true − hidden, 0)`` members with lognormal error, ``hidden`` being
        ``collusion_suppression × a's colluding share × members of the group protected in c's zone``.

        Args:
            rng: The ``intel`` stream.
            true_members: (cells,) criminal members per cell.
            officers: (agencies, cells) on-duty officers of each agency on each cell.
            neighbours: (cells, 8) Moore neighbours, -1 where none.
            knowledge: (agencies,) local knowledge.
            sidelined: (agencies,) municipal members of a unified command (their knowledge in the
                area falls to ``knowledge_retained``).
            knowledge_retained: Share of local knowledge a sidelined agency keeps in the area.
            area_mask: (cells,) inside the unified command's area.
            tips: (cells,) community tips hazard.
            collusion_share: (agencies,) share of each agency's units colluding.
            protected_members: (cells,) members of the group dominant in each cell's zone, there.
        """
        p = self.params
        self._detected, self._observed = _observe(
            rng, self.belief, self.observe_mask, self.n_cells, true_members, officers, neighbours, knowledge, sidelined,
            knowledge_retained, area_mask, tips, collusion_share, protected_members, p.base_detection,
            p.detection_per_officer, p.collusion_suppression, p.noise_sd, p.decay, p.memory, p.belief_floor,
        )  # fmt: skip

    def share_coordinated(self, weights: np.ndarray) -> None:
        """Adopt a share of partners' beliefs: ``weights[a, b]`` = share per day (trust × fidelity).

        Uses the beliefs before today's sharing (a one-day delay), within each agency's own area.
        """
        total = weights.sum(axis=1, keepdims=True)
        if not total.any():
            return
        mixed = weights @ self.belief - total * self.belief
        self.belief = np.where(self.observe_mask, self.belief + mixed / np.maximum(1.0, total), self.belief)

    def pool(self, members: np.ndarray, area: np.ndarray, ramp: float) -> None:
        """Unified command: merge members' observations in the area into one map and hand it back.

        Args:
            members: Agency indices in the command.
            area: (cells,) True inside the command's area.
            ramp: 0–1, how far the command has ramped up (1: every member sees the pooled map).
        """
        p = self.params
        agency, cell = np.divmod(self._detected, self.n_cells)
        keep = np.isin(agency, members) & area[cell]
        count = np.bincount(cell[keep], minlength=self.n_cells)
        total = np.bincount(cell[keep], weights=self._observed[keep], minlength=self.n_cells)
        seen = count > 0
        mean_obs = np.where(seen, total / np.maximum(count, 1), 0.0)
        self.pooled = np.where(seen, p.memory * self.pooled + (1 - p.memory) * mean_obs, p.decay * self.pooled)
        self.pooled = np.where(area, self.pooled, 0.0)
        blend = (1 - ramp) * self.belief[members] + ramp * self.pooled[None, :]
        self.belief[members] = np.where(area[None, :], blend, self.belief[members])

    def seed_pool(self, members: np.ndarray, area: np.ndarray) -> None:
        """Start a pooled map from the members' mean belief (when a command forms)."""
        self.pooled = np.where(area, self.belief[members].mean(axis=0), 0.0)


@njit(cache=True)
def _observe(
    rng, belief, observable, n_cells, true_members, officers, neighbours, knowledge, sidelined, retained, area_mask,
    tips, collusion_share, protected_members, base_detection, per_officer, suppression, noise_sd, decay, memory, floor,
):  # fmt: skip
    n_agencies = belief.shape[0]
    detected = np.empty(belief.size, dtype=np.int64)
    observed = np.empty(belief.size)
    found = 0
    for a in range(n_agencies):
        for c in range(n_cells):
            old = belief[a, c]
            if old <= 0.0 and true_members[c] <= 0.0:
                continue  # nothing believed and nothing there: stays 0
            new = old * decay
            # Active: in the agency's area, and criminals there or something believed; elsewhere an
            # observation would change nothing.
            if observable[a, c]:
                near = officers[a, c]
                for k in range(neighbours.shape[1]):
                    d = neighbours[c, k]
                    if d >= 0:
                        near += officers[a, d]
                skill = knowledge[a] * retained if sidelined[a] and area_mask[c] else knowledge[a]
                hazard = (base_detection + per_officer * near + tips[c]) * skill
                if rng.random() < -np.expm1(-hazard):
                    hidden = suppression * collusion_share[a] * protected_members[c]
                    noise = np.exp(noise_sd * rng.standard_normal() - 0.5 * noise_sd**2)
                    seen = max(true_members[c] - hidden, 0.0) * noise
                    detected[found] = a * n_cells + c
                    observed[found] = seen
                    found += 1
                    new = memory * old + (1.0 - memory) * seen
            belief[a, c] = new if new >= floor else 0.0
    return detected[:found].copy(), observed[:found].copy()
