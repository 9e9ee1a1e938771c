"""Every settings dataclass of gauss_core (a *Config class) is frozen: a run's settings cannot change under it."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import gauss_core


def _config_classes() -> list[type]:
    found = {}
    for info in pkgutil.walk_packages(gauss_core.__path__, "gauss_core."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if name.endswith("Config") and dataclasses.is_dataclass(obj) and obj.__module__ == info.name:
                found[f"{obj.__module__}.{name}"] = obj
    return list(found.values())


def test_every_config_dataclass_is_frozen():
    classes = _config_classes()
    assert len(classes) >= 20          # the walk really found the configs (train, model, worker, report, ...)
    unfrozen = [f"{c.__module__}.{c.__name__}" for c in classes if not c.__dataclass_params__.frozen]
    assert unfrozen == []
