"""mandosim's model: security forces and criminal groups on the Baja California–Sonora border."""

from mandosim.model.errors import InputError
from mandosim.model.model import BorderSecurityModel
from mandosim.model.params import Scenario
from mandosim.model.scenario import LoadedScenario, load_scenario

__all__ = ["BorderSecurityModel", "InputError", "LoadedScenario", "Scenario", "load_scenario"]
