"""The layers of issue 19, read from the code with `ast` (bin/import-cycles builds the graph):
services import one way (faces -> galleries), no import circle runs through a service, a task or
a view, no view imports another app's views, and no service takes a request. (What ops may
import is asserted beside ops.)"""

import ast
import importlib.util
from importlib.machinery import SourceFileLoader
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_loader = SourceFileLoader("import_cycles", str(ROOT / "bin" / "import-cycles"))
import_cycles = importlib.util.module_from_spec(importlib.util.spec_from_loader("import_cycles", _loader))
_loader.exec_module(import_cycles)

PRODUCT_APPS = ("accounts", "api", "eventgallery", "faces", "favourites", "galleries")


def _is_service(module: str) -> bool:
    return ".services" in f".{module.split('.', 1)[-1]}" or module in ("faces.privacy", "faces.consent")


def _is_view(module: str) -> bool:
    return module.rpartition(".")[2].endswith("views")


def _layered(module: str) -> bool:
    return _is_service(module) or _is_view(module) or module.endswith(".tasks")


def test_it_finds_a_circle_where_there_is_one():
    graph = {"a.services": {"b.services"}, "b.services": {"a.tasks"}, "a.tasks": {"a.services"}, "c": set()}
    assert import_cycles.cycles(graph) == [["a.services", "a.tasks", "b.services"]]


def test_it_finds_imports_made_inside_functions(tmp_path):
    module = tmp_path / "late.py"
    module.write_text("def f():\n    from galleries.services import photos\n")
    assert import_cycles.imported_modules(module, "late", {"galleries.services.photos"}) == {
        "galleries.services.photos"
    }


def test_no_import_circle_runs_through_a_service_a_task_or_a_view():
    graph = import_cycles.import_graph(PRODUCT_APPS)
    through = [cycle for cycle in import_cycles.cycles(graph) if any(_layered(module) for module in cycle)]
    assert through == []


def test_no_module_of_the_project_is_in_an_import_circle():
    """Models, services, views and the project's own modules, ops included: none imports
    back what imports it, not even from inside a function."""
    graph = import_cycles.import_graph((*PRODUCT_APPS, "ops"))
    assert import_cycles.cycles(graph) == []


def test_the_galleries_services_import_nothing_of_faces():
    graph = import_cycles.import_graph(PRODUCT_APPS)
    wrong = {
        module: sorted(other for other in imported if other.startswith("faces"))
        for module, imported in graph.items()
        if module.startswith("galleries.services") or module in ("galleries.tasks", "galleries.access")
    }
    assert {module: imported for module, imported in wrong.items() if imported} == {}


def test_no_view_imports_another_apps_views():
    graph = import_cycles.import_graph(PRODUCT_APPS)
    wrong = [
        (module, other)
        for module, imported in graph.items()
        for other in imported
        if _is_view(other) and other.split(".")[0] != module.split(".")[0]
    ]
    assert wrong == []


def test_no_service_takes_a_request():
    taking = []
    for module, path in import_cycles.application_modules(PRODUCT_APPS).items():
        if not _is_service(module):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                arguments = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                if any(argument.arg == "request" for argument in arguments):
                    taking.append(f"{module}.{node.name}")
    assert taking == []
