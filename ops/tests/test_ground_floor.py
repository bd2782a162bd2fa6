"""ops is the ground floor: no module of it imports a product app, at the top of a file
or inside a function (what the apps need of ops, they register: ops/sweeps.py). Its
tests are not held to this: they make galleries and photos to heal."""

import ast
from pathlib import Path

OPS = Path(__file__).resolve().parent.parent
PRODUCT_APPS = frozenset({"galleries", "faces", "favourites", "api", "accounts"})


def imported_modules(source: str) -> set[str]:
    """Every module a source names in an import statement, wherever it stands, and in
    importlib.import_module("...") / __import__("...") calls with a literal name."""
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside ops
                modules.add("ops")
            elif node.module:
                modules.add(node.module)
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
            if name in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
                modules.add(str(node.args[0].value))
    return modules


def ops_modules() -> list[Path]:
    return sorted(path for path in OPS.rglob("*.py") if "tests" not in path.relative_to(OPS).parts)


def test_no_module_of_ops_imports_a_product_app():
    upward = {
        f"{path.relative_to(OPS.parent)} imports {module}"
        for path in ops_modules()
        for module in imported_modules(path.read_text())
        if module.split(".")[0] in PRODUCT_APPS
    }
    assert not upward


def test_the_walk_reads_every_module_and_every_kind_of_import():
    names = {str(path.relative_to(OPS.parent)) for path in ops_modules()}
    assert {"ops/services.py", "ops/sweeps.py", "ops/management/commands/run_worker.py"} <= names
    assert not any("/tests/" in name for name in names)
    assert "ops.sweeps" in imported_modules((OPS / "services.py").read_text())

    source = (
        "import galleries.models\n"
        "from faces import services\n"
        "def heal():\n"
        "    from favourites.models import Favourite\n"
        "    import_module('accounts.forms')\n"
    )
    assert imported_modules(source) == {"galleries.models", "faces", "favourites.models", "accounts.forms"}
