"""Fixtures of the evaluation tests."""
from __future__ import annotations

import pytest


@pytest.fixture
def allow_llm_server(settings, llm_server):
    """The operator allows the local test server (on loopback, refused by default) and nothing else."""
    settings.BENCH_OUTBOUND_ALLOW = [llm_server.host_port]
    return llm_server
