"""Shared pytest set-up: hypothesis profiles and a data fixture."""
import os

from hypothesis import HealthCheck, settings

# CI and the default run use a fixed, derandomised profile so a failure reproduces
# exactly; `pytest --hypothesis-profile=thorough` searches harder.
settings.register_profile(
    "course", max_examples=40, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "course"))
