"""mandosim's model: security forces and criminal groups on the Baja California–Sonora border."""

from model.errors import InputError
from model.model import BorderSecurityModel
from model.params import Scenario
from model.scenario import LoadedScenario, load_scenario

__all__ = ["BorderSecurityModel", "InputError", "LoadedScenario", "Scenario", "load_scenario"]
