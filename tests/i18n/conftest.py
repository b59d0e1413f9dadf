"""``tiny_catalog``: a translation catalog of a few strings for the tests (tests/i18n/catalog.py).

    def test_x(tiny_catalog):
        tiny_catalog({"es": {"Saved": "Guardado"}}, js={"es": {"saved": "guardado"}})

Outside tests/i18n, use ``tests.i18n.catalog.tiny_catalog(tmp_path, ...)`` as a context manager.

``fresh_catalogs``: the catalogs ``make messages`` would write now, extracted once per process.
"""

from __future__ import annotations

import contextlib

import pytest

from tests.i18n import catalogs
from tests.i18n.catalog import tiny_catalog as _tiny_catalog


@pytest.fixture(scope="session")
def fresh_catalogs(tmp_path_factory):
    """The catalogs as ``make messages`` would write them now, a fifth language (``catalogs.FIFTH``)
    added as a translator adds one: its locale/ folder. The extraction takes about 15 s; it is done
    once per process for test_catalogs.py and test_everything_marked.py (one xdist group)."""
    return catalogs.fresh_locale(tmp_path_factory.mktemp("repo"), add_languages=(catalogs.FIFTH,))


@pytest.fixture
def tiny_catalog(tmp_path):
    with contextlib.ExitStack() as stack:

        def install(messages, *, js=None):
            return stack.enter_context(_tiny_catalog(tmp_path, messages, js=js))

        yield install
