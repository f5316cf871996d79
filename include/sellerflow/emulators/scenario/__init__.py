"""Deterministic scenario generator: the world, its ground truth and the accounts file."""

from sellerflow.emulators.scenario.generator import GenerationSummary, generate
from sellerflow.emulators.scenario.params import ScenarioParams

__all__ = ["GenerationSummary", "ScenarioParams", "generate"]
