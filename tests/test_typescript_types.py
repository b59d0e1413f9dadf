"""TypeScript types generated from the served schema with openapi-typescript compile under
`tsc --strict` for what an integrator writes (tests/typescript/calls.ts): calls that send only each
request body's required fields, ingest rows, a review's contents read to the leaf without a cast,
and fetch. What is wrong there (a confidence sent as a string, a transition without its version, a
ticket's priority outside its values, a count sent as text) must not compile: each is marked
`@ts-expect-error`, which tsc refuses when the line compiles.

openapi-typescript and TypeScript are pinned in tests/typescript/package.json and its lock, installed
with `npm ci` under var/typescript/ (again only when the lock changes); Node.js and npm are Debian's
(scripts/test.sh installs them)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.typescript
ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "typescript"
WORK = ROOT / "var" / "typescript"
PINNED = ("package.json", "package-lock.json")


def _run(args: list[str], cwd: Path, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """openapi-typescript and tsc as the lock pins them, installed once per change of the lock."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    assert not missing, f"{missing} not found: `bash scripts/test.sh` installs Debian's nodejs and npm"
    digest = hashlib.sha256(b"".join((SOURCE / name).read_bytes() for name in PINNED)).hexdigest()
    stamp = WORK / ".installed"
    tools = WORK / "node_modules" / ".bin"
    if not (tools / "tsc").exists() or not stamp.exists() or stamp.read_text() != digest:
        WORK.mkdir(parents=True, exist_ok=True)
        for name in PINNED:
            shutil.copyfile(SOURCE / name, WORK / name)
        done = _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], WORK)
        assert done.returncode == 0, done.stdout + done.stderr
        stamp.write_text(digest)
    return tools


@pytest.fixture(scope="module")
def types(node_modules, tmp_path_factory) -> Path:
    """The served schema's types (api.d.ts), as openapi-typescript generates them."""
    where = tmp_path_factory.mktemp("typescript")
    (where / "schema.json").write_text(
        json.dumps(SchemaGenerator().get_schema(request=None, public=True)), encoding="utf-8"
    )
    generated = _run([str(node_modules / "openapi-typescript"), "schema.json", "-o", "api.d.ts"], where)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    return where / "api.d.ts"


def _compile(node_modules: Path, types: Path, calls: str, where: Path) -> subprocess.CompletedProcess:
    shutil.copyfile(types, where / "api.d.ts")
    shutil.copyfile(SOURCE / "tsconfig.json", where / "tsconfig.json")
    (where / "calls.ts").write_text(calls, encoding="utf-8")
    return _run([str(node_modules / "tsc"), "-p", "tsconfig.json"], where)


def test_generated_types_compile_under_strict_for_the_calls_an_integrator_writes(
    node_modules, types, tmp_path
):
    compiled = _compile(node_modules, types, (SOURCE / "calls.ts").read_text(encoding="utf-8"), tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    # The types are the schema's: a review's snapshot is an object of its own, not a free-form map.
    assert 'snapshot: components["schemas"]["ReviewSnapshot"]' in types.read_text(encoding="utf-8")


def test_tsc_refuses_a_call_without_a_required_field(node_modules, types, tmp_path):
    """The check bites: a transition without its version, no longer marked as expected to fail,
    does not compile."""
    calls = (SOURCE / "calls.ts").read_text(encoding="utf-8")
    marker = "// @ts-expect-error a transition names the version it was made on\n"
    assert marker in calls
    compiled = _compile(node_modules, types, calls.replace(marker, ""), tmp_path)
    assert compiled.returncode != 0
    assert "Property 'version' is missing" in compiled.stdout


def test_the_api_guide_shows_the_typescript_that_is_compiled():
    """docs/api.md's TypeScript block is calls.ts's, paragraph by paragraph: what the guide shows
    is what tsc compiles above."""
    docs = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- tests/test_typescript_types.py[^>]*-->\n```ts\n(.*?)\n```", docs, re.S)
    assert found, "docs/api.md has no TypeScript block marked for this test"
    calls = (SOURCE / "calls.ts").read_text(encoding="utf-8")
    paragraphs = [p for p in found.group(1).split("\n\n") if p.strip()]
    assert len(paragraphs) >= 2 and "fetch(" in found.group(1)
    assert [p for p in paragraphs if p not in calls] == []
