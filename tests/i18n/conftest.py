"""``tiny_catalog``: a translation catalog of a few strings for the tests (tests/i18n/catalog.py).

    def test_x(tiny_catalog):
        tiny_catalog({"es": {"Saved": "Guardado"}}, js={"es": {"saved": "guardado"}})

Outside tests/i18n, use ``tests.i18n.catalog.tiny_catalog(tmp_path, ...)`` as a context manager.
"""

from __future__ import annotations

import contextlib

import pytest

from tests.i18n.catalog import tiny_catalog as _tiny_catalog


@pytest.fixture
def tiny_catalog(tmp_path):
    with contextlib.ExitStack() as stack:

        def install(messages, *, js=None):
            return stack.enter_context(_tiny_catalog(tmp_path, messages, js=js))

        yield install
