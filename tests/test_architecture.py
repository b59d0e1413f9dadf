"""The layers point one way: accounts → activity → kpis | datain → okrs → reviews → notifications,
with the web shell (``web``) and the demo organisation (``demo``) on top, and ``config`` (settings,
URLs, Celery) above everything.

Every production ``.py`` file is parsed with ``ast``: its imports at module level *and* inside
functions. The checks fail, naming the file and line, when

- an app imports an app above it (or beside it: ``web`` and ``demo`` do not import each other);
- production code imports ``tests`` or ``bench``, or a package that only requirements-dev.txt
  installs (factory_boy, Faker, pytest, ...);
- modules import each other, directly or through others (a cycle), counting function-level imports;
- a function-level import of a project module does not say why in a comment on its line (the only
  accepted reason so far: ``AppConfig.ready`` may import models only once the app registry is ready).

The last tests plant violations in fake sources to show that the checker catches them.
"""

from __future__ import annotations

import ast
import os
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lowest first. An app may import itself and the apps of a lower rank; apps of the same rank (web,
# demo) do not import each other.
LAYERS = {
    # The shared kernel: knows no app of the product.
    "core": -1,
    "accounts": 0,
    "activity": 1,
    # The KPIs and data-in both stand on the facts and know nothing of each other.
    "kpis": 2,
    "datain": 2,
    "okrs": 3,
    "reviews": 4,
    # To-dos, notifications, email, reminders, chat: they hear the domain apps' signals, which never
    # import them; the web shell shows them (the bell, the to-do block) and the demo seeds quietly.
    "notifications": 5,
    "web": 6,
    "demo": 6,
    # Development tools (the local mail catcher): installed by the local and test settings only.
    "devtools": 6,
}
# The project shell: settings, root URLs, Celery app, manage.py. May import anything; nothing in an
# app imports it.
SHELL = {"config", "manage"}
# Never imported by production code: the tests, the benchmarks, and the packages only
# requirements-dev.txt installs.
TEST_ONLY = {"tests", "bench", "conftest"}
TEST_PACKAGES = {
    "factory",
    "faker",
    "pytest",
    "pytest_django",
    "hypothesis",
    "playwright",
    "schemathesis",
    "pypdf",
    "responses",
}
# Directories that hold no production Python.
SKIPPED_DIRS = {"tests", "bench", "var", "static", "staticfiles", "templates", "docs", "scripts", "locale"}
SKIPPED_FILES = {"conftest.py"}
PROJECT = set(LAYERS) | SHELL | TEST_ONLY | TEST_PACKAGES


@dataclass(frozen=True)
class Import:
    path: str  # of the importing file, relative to the repository
    line: int
    importer: str  # dotted module name of the importing file
    target: str  # dotted module name imported (a module, or the package a name comes from)
    in_function: bool
    comment: str  # the comment on the import's lines, "" when none

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def importer_app(self) -> str:
        return self.importer.split(".")[0]

    @property
    def target_app(self) -> str:
        return self.target.split(".")[0]


def production_files(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name → file, for every production .py file under ``root``."""
    modules: dict[str, Path] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        if rel == Path("."):
            dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith(".")]
        else:
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        for name in filenames:
            if not name.endswith(".py") or (rel == Path(".") and name in SKIPPED_FILES):
                continue
            parts = [*rel.parts, name[:-3]]
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = Path(dirpath) / name
    return modules


def _comment(lines: list[str], node: ast.stmt) -> str:
    text = " ".join(lines[node.lineno - 1 : (node.end_lineno or node.lineno)])
    return text.split("#", 1)[1].strip() if "#" in text else ""


def parse_imports(
    source: str, *, module: str, path: str, known: set[str], is_package: bool = False
) -> list[Import]:
    """The imports of project modules and test-only packages in ``source`` (module level and inside
    functions).

    ``from a.b import c`` imports the module ``a.b.c`` when it is one of ``known``, else ``a.b``.
    """
    tree = ast.parse(source, filename=path)
    lines = source.splitlines()
    package = module if is_package else module.rpartition(".")[0]
    found: list[Import] = []
    seen: set[tuple[int, str]] = set()

    def add(node: ast.stmt, target: str, in_function: bool) -> None:
        if target.split(".")[0] in PROJECT and (node.lineno, target) not in seen:
            seen.add((node.lineno, target))
            found.append(Import(path, node.lineno, module, target, in_function, _comment(lines, node)))

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            if isinstance(child, ast.Import):
                for alias in child.names:
                    add(child, alias.name, in_function)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".") if package else []
                    base = base[: len(base) - (child.level - 1)]
                    stem = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    stem = child.module or ""
                for alias in child.names:
                    candidate = f"{stem}.{alias.name}"
                    add(child, candidate if candidate in known else stem, in_function)
            visit(child, inside)

    visit(tree, False)
    return found


def all_imports(root: Path = ROOT) -> tuple[list[Import], set[str]]:
    files = production_files(root)
    known = set(files)
    imports = []
    for module, file in sorted(files.items()):
        imports += parse_imports(
            file.read_text(encoding="utf-8"),
            module=module,
            path=str(file.relative_to(root)),
            known=known,
            is_package=file.name == "__init__.py",
        )
    return imports, known


def layer_problems(imports: list[Import]) -> list[str]:
    problems = []
    for imp in imports:
        src, dst = imp.importer_app, imp.target_app
        if src in SHELL or dst in TEST_ONLY | TEST_PACKAGES or src == dst:
            continue
        if src not in LAYERS:
            problems.append(
                f"{imp.where}: {src} is in no layer: add it to LAYERS in tests/test_architecture.py"
            )
        elif dst in SHELL:
            problems.append(f"{imp.where}: {src} imports the project shell ({imp.target})")
        elif LAYERS[dst] >= LAYERS[src]:
            below = sorted((a for a in LAYERS if LAYERS[a] < LAYERS[src]), key=LAYERS.get)
            problems.append(
                f"{imp.where}: {src} imports {dst} ({imp.target}), not below it "
                f"(may import: {', '.join(below) or 'no other app'})"
            )
    return problems


def forbidden_import_problems(imports: list[Import]) -> list[str]:
    return [
        f"{imp.where}: production code imports {imp.target} (test-only)"
        for imp in imports
        if imp.target_app in TEST_ONLY | TEST_PACKAGES
    ]


def cycle_problems(imports: list[Import], known: set[str]) -> list[str]:
    """Strongly connected components of the module graph (Tarjan); each one larger than a module,
    or a module importing itself, is a cycle, reported with the lines of its edges."""
    edges: dict[str, dict[str, Import]] = {}
    for imp in imports:
        if imp.target in known:
            edges.setdefault(imp.importer, {}).setdefault(imp.target, imp)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def strongconnect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, {}):
            if nxt not in index:
                strongconnect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            components.append(sorted(component))

    for node in sorted(known):
        if node not in index:
            strongconnect(node)
    problems = []
    for component in components:
        members = set(component)
        if len(component) == 1 and component[0] not in edges.get(component[0], {}):
            continue
        links = [
            f"{imp.where} ({a} → {b})"
            for a in component
            for b, imp in sorted(edges.get(a, {}).items())
            if b in members
        ]
        problems.append(f"import cycle between {', '.join(component)}: " + "; ".join(links))
    return problems


NOQA = re.compile(r"noqa(:\s*[A-Z]+[0-9]+(\s*,\s*[A-Z]+[0-9]+)*)?", re.IGNORECASE)


def hidden_import_problems(imports: list[Import]) -> list[str]:
    """A function-level import of a project module must say why on its line."""
    return [
        f"{imp.where}: function-level import of {imp.target} without a reason in a comment "
        "(import it at module level, or say why it cannot be)"
        for imp in imports
        if imp.in_function and len(NOQA.sub("", imp.comment).strip(" -:")) < 10
    ]


# The checks on the repository.


def _report(problems: list[str]) -> str:
    return "\n" + "\n".join(problems)


def test_the_checker_sees_the_apps():
    imports, known = all_imports()
    assert {"accounts.models", "kpis.tasks", "web.views", "demo.organisation", "config.urls"} <= known
    assert not known & {m for m in known if m.split(".")[0] in TEST_ONLY}
    assert {imp.importer_app for imp in imports} >= {*LAYERS, "config"}


def test_apps_import_only_apps_below_them():
    imports, _ = all_imports()
    problems = layer_problems(imports)
    assert not problems, _report(problems)


def test_production_code_never_imports_tests():
    imports, _ = all_imports()
    problems = forbidden_import_problems(imports)
    assert not problems, _report(problems)


def test_no_import_cycle():
    imports, known = all_imports()
    problems = cycle_problems(imports, known)
    assert not problems, _report(problems)


def test_function_level_imports_say_why():
    imports, _ = all_imports()
    problems = hidden_import_problems(imports)
    assert not problems, _report(problems)


# The checker catches planted violations.

KNOWN = {"accounts.models", "accounts.views", "kpis.charts", "kpis.pagecache", "kpis.tasks", "web.views"}


def _parse(source: str, module: str) -> list[Import]:
    return parse_imports(source, module=module, path=module.replace(".", "/") + ".py", known=KNOWN)


def test_planted_upward_imports_are_caught_with_file_and_line():
    source = (
        "import datetime\n"
        "from accounts.models import User\n"
        "from kpis import charts\n"
        "def page():\n"
        "    from web import views  # noqa: PLC0415 - a reason that does not make it right\n"
    )
    problems = layer_problems(_parse(source, "accounts.views"))
    assert len(problems) == 2
    assert problems[0].startswith("accounts/views.py:3: accounts imports kpis (kpis.charts)")
    assert problems[1].startswith("accounts/views.py:5: accounts imports web (web.views)")
    # web and demo sit side by side: neither imports the other; both import the domain apps.
    assert layer_problems(_parse("from web import views\n", "demo.organisation"))
    assert not layer_problems(_parse("from kpis import charts\nfrom accounts.models import User\n", "web.x"))
    # Nothing in an app imports the project shell; the shell imports anything.
    assert layer_problems(_parse("from config.celery import app\n", "kpis.tasks"))
    assert not layer_problems(_parse("from web import views\nfrom demo import x\n", "config.urls"))
    # An app that is in no layer is reported rather than let through.
    assert "in no layer" in layer_problems(_parse("from kpis import charts\n", "billing.views"))[0]


def test_planted_import_of_tests_or_of_a_test_package_is_caught():
    imports = _parse("import os\n\n\nfrom tests import factories\n", "demo.organisation")
    assert forbidden_import_problems(imports) == [
        "demo/organisation.py:4: production code imports tests (test-only)"
    ]
    assert forbidden_import_problems(_parse("def f():\n    import tests.factories  # noqa\n", "kpis.x"))
    assert forbidden_import_problems(
        _parse("import factory\nfrom faker import Faker\n", "demo.builders")
    ) == [
        "demo/builders.py:1: production code imports factory (test-only)",
        "demo/builders.py:2: production code imports faker (test-only)",
    ]


def test_planted_cycle_is_caught_even_through_a_function_level_import():
    imports = _parse("from kpis import tasks\n", "kpis.pagecache") + _parse(
        "from kpis import pagecache\n", "kpis.tasks"
    )
    [problem] = cycle_problems(imports, KNOWN)
    assert problem == (
        "import cycle between kpis.pagecache, kpis.tasks: "
        "kpis/pagecache.py:1 (kpis.pagecache → kpis.tasks); kpis/tasks.py:1 (kpis.tasks → kpis.pagecache)"
    )
    hidden = _parse("def on_run_published():\n    from kpis.tasks import warm_pages\n", "kpis.pagecache")
    assert cycle_problems(hidden + _parse("from kpis import pagecache\n", "kpis.tasks"), KNOWN)
    assert not cycle_problems(_parse("from kpis import pagecache\n", "kpis.tasks"), KNOWN)


def test_planted_function_level_import_without_a_reason_is_caught():
    source = (
        "def f():\n"
        "    from kpis import charts  # noqa: PLC0415\n"
        "    import datetime\n"
        "def ready():\n"
        "    from accounts import models  # noqa: PLC0415 - models need the app registry\n"
    )
    assert hidden_import_problems(_parse(source, "kpis.apps")) == [
        "kpis/apps.py:2: function-level import of kpis.charts without a reason in a comment "
        "(import it at module level, or say why it cannot be)"
    ]


def test_relative_imports_resolve_to_their_package():
    imports = parse_imports(
        "from . import charts\nfrom .pagecache import version\n",
        module="kpis.tasks",
        path="kpis/tasks.py",
        known=KNOWN,
    )
    assert [imp.target for imp in imports] == ["kpis.charts", "kpis.pagecache"]
