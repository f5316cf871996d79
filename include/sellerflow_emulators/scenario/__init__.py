"""Deterministic scenario generator: the world, its ground truth and the accounts file."""

from sellerflow_emulators.scenario.generator import GenerationSummary, generate
from sellerflow_emulators.scenario.params import ScenarioParams

__all__ = ["GenerationSummary", "ScenarioParams", "generate"]
