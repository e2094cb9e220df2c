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

    Args:
        n_agencies: Number of agencies.
        n_cells: Number of domain cells.
        params: Intelligence parameters.
        observe_mask: (agencies, cells) True where an agency may observe (its area).
    """

    def __init__(self, n_agencies: int, n_cells: int, params: IntelParams, observe_mask: np.ndarray) -> None:
        self.params = params
        self.observe_mask = observe_mask
        self.belief = np.zeros((n_agencies, n_cells))
        self.pooled = np.zeros(n_cells)
        self.detected = np.zeros((n_agencies, n_cells), dtype=bool)

    def observe(
        self,
        rng: np.random.Generator,
        true_members: np.ndarray,
        hidden: np.ndarray,
        hazard: np.ndarray,
    ) -> None:
        """One day of observation by every agency.

        Args:
            rng: The ``intel`` stream.
            true_members: (cells,) criminal members per cell.
            hidden: (agencies, cells) members each agency's colluding reports hide.
            hazard: (agencies, cells) detection hazard per day.
        """
        p = self.params
        shape = self.belief.shape
        detected = (rng.random(shape) < -np.expm1(-hazard)) & self.observe_mask
        noise = np.exp(p.noise_sd * rng.standard_normal(shape) - 0.5 * p.noise_sd**2)
        observed = np.maximum(true_members[None, :] - hidden, 0.0) * noise
        self.belief = np.where(detected, p.memory * self.belief + (1 - p.memory) * observed, p.decay * self.belief)
        self.detected = detected
        self._observed = observed

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
        det = self.detected[members] & area[None, :]
        count = det.sum(axis=0)
        seen = count > 0
        mean_obs = np.where(seen, (self._observed[members] * det).sum(axis=0) / np.maximum(count, 1), 0.0)
        self.pooled = np.where(seen, p.memory * self.pooled + (1 - p.memory) * mean_obs, p.decay * self.pooled)
        self.pooled = np.where(area, self.pooled, 0.0)
        blend = (1 - ramp) * self.belief[members] + ramp * self.pooled[None, :]
        self.belief[members] = np.where(area[None, :], blend, self.belief[members])

    def seed_pool(self, members: np.ndarray, area: np.ndarray) -> None:
        """Start a pooled map from the members' mean belief (when a command forms)."""
        self.pooled = np.where(area, self.belief[members].mean(axis=0), 0.0)
