"""The documentation lives in docs/ and stays true; nothing else in the product names a file outside
the repository or the source a number was taken from by its file name."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from datain.kinds import KINDS
from datain.validation import Code
from kpis.registry import METRICS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Names of files that are not in the repository: the specification documents the docs were written
# from, and the file names of the articles behind the benchmarks.
FOREIGN = re.compile(
    r"(?:\.\./|/work/)shared\b|METRICS\.md|DATA_CONTRACT\.md|DESIGN\.md|STYLE\.md|seed article"
    r"|\b\d{3}_[0-9a-f]{16}\b"
)
SKIPPED_DIRS = {".git", ".venv", "var", "staticfiles", "node_modules", "docs", "tests", "__pycache__"}


def _product_files() -> list[str]:
    """Every tracked file outside docs/ and tests/ (every file on disk when git is unavailable)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
        ).stdout
        names = [n for n in out.decode().split("\0") if n]
    except (OSError, subprocess.SubprocessError):
        names = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and not SKIPPED_DIRS.intersection(p.relative_to(ROOT).parts)
        ]
    return [n for n in names if not n.startswith(("docs/", "tests/")) and (ROOT / n).is_file()]


def _text(name: str) -> str:
    return (ROOT / name).read_bytes().decode("utf-8", errors="ignore")


def test_no_product_file_names_a_file_outside_the_repository_or_a_source_file():
    files = _product_files()
    assert "README.md" in files and "kpis/registry.py" in files  # the walk found the product
    found = []
    for name in files:
        for line_no, line in enumerate(_text(name).splitlines(), start=1):
            match = FOREIGN.search(line)
            if match:
                found.append(f"{name}:{line_no}: {match.group(0)!r}")
    assert not found, "Point to docs/ instead (a person reads the metric definitions, not a file):\n" + (
        "\n".join(found)
    )


def test_every_metric_key_is_defined_in_the_metric_definitions():
    text = (DOCS / "metrics.md").read_text(encoding="utf-8")
    missing = [m.key for m in METRICS if f"`{m.key}`" not in text]
    assert not missing, f"docs/metrics.md does not define: {', '.join(missing)}"


def test_the_data_contract_lists_every_kind_its_columns_and_every_error_code():
    text = (DOCS / "data-contract.md").read_text(encoding="utf-8")
    for name, kind in KINDS.items():
        assert f"### `{name}`" in text, name
        assert f"`{', '.join(kind().column_names)}`" in text, f"columns of {name}"
    codes = [v for k, v in vars(Code).items() if k.isupper()]
    missing = [c for c in codes if f"`{c}`" not in text]
    assert not missing, f"docs/data-contract.md does not list the error codes: {', '.join(missing)}"


def test_links_between_the_docs_resolve():
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).resolve().exists(), f"{page.name} links to {target}"


def test_benchmarks_name_their_source_as_a_reader_would_cite_it():
    for m in METRICS:
        if m.benchmark:
            source = str(m.benchmark[1])  # lazily translated: the English citation here
            assert not FOREIGN.search(source) and "seed" not in source.lower(), (m.key, source)
            assert re.search(r"\b(19|20)\d{2}\b", source), f"{m.key}: the source names its year"


def _settings_variables() -> set[str]:
    """Every environment variable the settings, the Celery app and gunicorn read."""
    names: set[str] = set()
    pattern = re.compile(r"""(?:env(?:\.\w+)?|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    for path in [*(ROOT / "config").rglob("*.py")]:
        names.update(pattern.findall(path.read_text(encoding="utf-8")))
    names.discard("DJANGO_SETTINGS_MODULE")
    return names


def test_every_environment_variable_is_on_the_configuration_page():
    variables = _settings_variables()
    assert {"DATABASE_URL", "REDIS_URL", "SITE_URL", "GUNICORN_WORKERS"} <= variables  # the scan works
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = sorted(v for v in variables if f"`{v}`" not in text)
    assert not missing, f"docs/configuration.md does not document: {', '.join(missing)}"
