"""One ``receptor-cds demo`` subprocess for every browser test module (starting it costs the most)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.demo_process import DemoProcess


@pytest.fixture(scope="session")
def demo():
    if not Path("/usr/bin/chromium").exists() and not os.environ.get("CI"):
        pytest.skip("/usr/bin/chromium is not installed")
    process = DemoProcess()
    yield process
    process.stop()
    process.kill()
