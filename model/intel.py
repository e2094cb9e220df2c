"""Intelligence: each agency's belief map of criminal members per cell, and how it is shared.

Each day an agency observes cells in its area with a hazard that grows with its officers nearby,
its local knowledge and community tips (trust × density). An observation is the true head-count
with lognormal error, minus what a colluding agency hides about the group it protects. Beliefs
are exponentially smoothed and fade where nothing is seen. Sharing depends on the regime:
none (fragmented), partial with trust (coordinated), pooled within the area (unified).
"""

from __future__ import annotations

import numpy as np

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
        self.observable = np.flatnonzero(observe_mask.ravel())
        self._observable_cells = self.observable % n_cells
        self.belief = np.zeros((n_agencies, n_cells))
        self.pooled = np.zeros(n_cells)
        self._detected = np.zeros(0, dtype=np.int64)  # flat (agency, cell) indices seen today
        self._observed = np.zeros(0)

    def active(self, true_members: np.ndarray) -> np.ndarray:
        """Flat indices (agency × cells + cell) worth observing today."""
        flat = self.observable
        return flat[(true_members[self._observable_cells] > 0) | (self.belief.ravel()[flat] > 0)]

    def observe(
        self, rng: np.random.Generator, active: np.ndarray, true_members: np.ndarray, hidden: np.ndarray, hazard: np.ndarray
    ) -> None:
        """One day of observation by every agency, on the active entries.

        Args:
            rng: The ``intel`` stream.
            active: Flat indices from ``active``.
            true_members: (cells,) criminal members per cell.
            hidden: (active,) members each entry's colluding reports hide.
            hazard: (active,) detection hazard per day.
        """
        p = self.params
        seen = rng.random(active.size) < -np.expm1(-hazard)
        detected = active[seen]
        noise = np.exp(p.noise_sd * rng.standard_normal(detected.size) - 0.5 * p.noise_sd**2)
        observed = np.maximum(true_members[detected % self.n_cells] - hidden[seen], 0.0) * noise
        flat = self.belief.reshape(-1)
        before = flat[detected]
        flat *= p.decay
        flat[detected] = p.memory * before + (1 - p.memory) * observed
        flat[flat < p.belief_floor] = 0.0
        self._detected, self._observed = detected, observed

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
