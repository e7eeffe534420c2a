"""The test suite's own machinery: xdist groups keep shared fixtures to one computation."""

from __future__ import annotations

import os

import pytest


@pytest.mark.xdist_group("suite")
def test_xdist_groups_reach_the_scheduler(request):
    assert request.node.get_closest_marker("xdist_group").args == ("suite",)
    if "PYTEST_XDIST_WORKER" in os.environ:
        # The scheduler sends every test whose id ends in the same "@group" to one worker.
        assert request.node.nodeid.endswith("@suite"), request.node.nodeid
