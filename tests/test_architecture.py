"""What the import contracts cannot check themselves.

The layers, the ban on importing the tests (and the test-only packages) from production code, and the
ban on import cycles inside an app are import-linter contracts (``[tool.importlinter]`` in
``pyproject.toml``, run by ``make test`` and ``make lint``). Two rules stay here, because import-linter
cannot express them:

- **Every app is under the contracts.** import-linter sees only the packages it is told about: a new
  app missing from ``root_packages``, from the layers or from the other contracts would be checked by
  nothing, silently. The test lists the repository's packages and asks each one to be in every
  contract (and in mypy's ``files``).
- **A function-level import says why.** ruff (PLC0415) makes every import inside a function carry a
  ``noqa``, but cannot ask for a reason: the test asks for one in the comment (the accepted one so
  far: ``AppConfig.ready`` may import models only once the app registry is ready).

The last tests plant violations in fake sources to show that both checks catch them.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Top-level packages that are not production apps: the tests (a root package of import-linter, so
# that the contracts can forbid importing it).
NOT_APPS = {"tests"}


def config(root: Path = ROOT) -> dict:
    return tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))


def packages(root: Path = ROOT) -> set[str]:
    """The repository's top-level Python packages."""
    return {p.parent.name for p in root.glob("*/__init__.py") if not p.parent.name.startswith(".")}


def contract_problems(pyproject: dict, found: set[str]) -> list[str]:
    """Where each package of ``found`` is missing from the import contracts and mypy's files."""
    linter = pyproject["tool"]["importlinter"]
    contracts = {c["type"]: c for c in linter["contracts"]}
    # Every layers contract counts (the apps' one, and those inside an app): keyed by type above,
    # only the last would.
    layered = {
        app.strip()
        for contract in linter["contracts"]
        if contract["type"] == "layers"
        for layer in contract["layers"]
        for app in re.split(r"[|:]", layer)
    }
    apps = found - NOT_APPS
    wanted = {
        "root_packages of [tool.importlinter]": (found, set(linter["root_packages"])),
        "the layers contract": (apps, layered),
        "source_modules of the forbidden contract": (apps, set(contracts["forbidden"]["source_modules"])),
        "ancestors of the acyclic_siblings contract": (apps, set(contracts["acyclic_siblings"]["ancestors"])),
        "files of [tool.mypy]": (apps, set(pyproject["tool"]["mypy"]["files"])),
    }
    return [
        f"{package} is missing from {where} in pyproject.toml"
        for where, (needed, listed) in wanted.items()
        for package in sorted(needed - listed)
    ]


@dataclass(frozen=True)
class HiddenImport:
    path: str
    line: int
    comment: str


def function_level_imports(source: str, path: str) -> list[HiddenImport]:
    """The imports inside functions of ``source``, each with the comment on its lines."""
    lines = source.splitlines()
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if in_function and isinstance(child, ast.Import | ast.ImportFrom):
                text = " ".join(lines[child.lineno - 1 : child.end_lineno or child.lineno])
                comment = text.split("#", 1)[1].strip() if "#" in text else ""
                found.append(HiddenImport(path, child.lineno, comment))
            visit(child, in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef))

    visit(ast.parse(source, filename=path), False)
    return found


NOQA = re.compile(r"noqa(:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*)?", re.IGNORECASE)


def without_reason(imports: list[HiddenImport]) -> list[str]:
    return [
        f"{imp.path}:{imp.line}: function-level import without a reason in its comment "
        "(import it at module level, or say why it cannot be)"
        for imp in imports
        if len(NOQA.sub("", imp.comment).strip(" -:")) < 10
    ]


def production_sources(root: Path = ROOT) -> list[Path]:
    apps = packages(root) - NOT_APPS
    return sorted(p for app in apps for p in (root / app).rglob("*.py") if "migrations" not in p.parts)


def _report(problems: list[str]) -> str:
    return "\n" + "\n".join(problems)


# The checks on the repository.


def test_every_app_is_under_the_import_contracts_and_mypy():
    found = packages()
    assert {"core", "accounts", "kpis", "web", "config", "tests"} <= found
    problems = contract_problems(config(), found)
    assert not problems, _report(problems)


def test_function_level_imports_say_why():
    sources = production_sources()
    assert any(p.name == "apps.py" for p in sources)  # the scan sees the apps
    imports = [
        imp
        for p in sources
        for imp in function_level_imports(p.read_text(encoding="utf-8"), str(p.relative_to(ROOT)))
    ]
    problems = without_reason(imports)
    assert not problems, _report(problems)


# The checkers catch planted violations.


def test_planted_app_missing_from_the_contracts_is_caught():
    pyproject = config()
    problems = contract_problems(pyproject, packages() | {"billing"})
    assert problems == [
        "billing is missing from root_packages of [tool.importlinter] in pyproject.toml",
        "billing is missing from the layers contract in pyproject.toml",
        "billing is missing from source_modules of the forbidden contract in pyproject.toml",
        "billing is missing from ancestors of the acyclic_siblings contract in pyproject.toml",
        "billing is missing from files of [tool.mypy] in pyproject.toml",
    ]
    # An app sharing a layer with others ("web | demo | devtools") counts as layered.
    pyproject["tool"]["importlinter"]["contracts"][0]["layers"] = ["config", "web | billing"]
    assert "billing is missing from the layers contract in pyproject.toml" not in contract_problems(
        pyproject, {"billing"}
    )


def test_planted_function_level_import_without_a_reason_is_caught():
    source = (
        "import datetime\n"
        "def f():\n"
        "    from kpis import charts  # noqa: PLC0415\n"
        "    import json\n"
        "def ready():\n"
        "    from accounts import models  # noqa: PLC0415 - models need the app registry\n"
        "class A:\n"
        "    def g(self):\n"
        "        from kpis.tasks import (  # noqa: PLC0415\n"
        "            warm,  # a reason on a later line of the statement counts\n"
        "        )\n"
    )
    assert without_reason(function_level_imports(source, "kpis/apps.py")) == [
        "kpis/apps.py:3: function-level import without a reason in its comment "
        "(import it at module level, or say why it cannot be)",
        "kpis/apps.py:4: function-level import without a reason in its comment "
        "(import it at module level, or say why it cannot be)",
    ]
