"""Imports run only downward, and no module imports itself round a cycle.

    .venv/bin/python tests/test_imports.py      # prints the arrows between the apps
    .venv/bin/python -m pytest tests/test_imports.py -q

The apps stand in layers: `config` (settings, URLs, the API root) on top; `wandb_api` and
`openlineage` under it; `lineage` under them; `registry`, the domain, at the bottom. The
client (`client/lineage_client`) stands apart: it imports none of them, nor Django.
Every import counts, those inside functions too; migrations are left out (Django loads
them by name)."""

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["config", "wandb_api", "openlineage", "lineage", "registry"]  # top to bottom
ALLOWED = {
    "config": {"wandb_api", "openlineage", "lineage", "registry"},
    "wandb_api": {"lineage", "registry"},
    "openlineage": {"lineage", "registry"},
    "lineage": {"registry"},
    "registry": set(),
}
CLIENT = ROOT / "client" / "lineage_client"


def _modules(folder, package):
    """{dotted module name: path} of a package's source files, migrations left out."""
    found = {}
    for path in sorted(folder.rglob("*.py")):
        if "migrations" in path.relative_to(folder).parts:
            continue
        parts = [package, *path.relative_to(folder).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(name, path):
    """The dotted names `name` (the module at `path`) imports, relative ones resolved."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def module_graph():
    """{module: the modules of ours it imports} over every app."""
    modules = {}
    for app in APPS:
        modules.update(_modules(ROOT / app, app))
    graph = defaultdict(set)
    for name, path in modules.items():
        graph[name]  # a module that imports nothing of ours is still a node
        for target in _imported(name, path):
            if target in modules and target != name:
                graph[name].add(target)
    return graph


def app_arrows(graph):
    """{(importing app, imported app): an example module import} across apps."""
    arrows = {}
    for source, targets in graph.items():
        for target in targets:
            pair = (source.split(".")[0], target.split(".")[0])
            if pair[0] != pair[1]:
                arrows.setdefault(pair, f"{source} -> {target}")
    return arrows


def cycles(graph):
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_apps_import_only_downward():
    upward = {
        pair: example
        for pair, example in app_arrows(module_graph()).items()
        if pair[1] not in ALLOWED[pair[0]]
    }
    assert upward == {}


def test_no_module_imports_itself_round_a_cycle():
    assert cycles(module_graph()) == []


def test_the_client_imports_nothing_of_the_server():
    server = {*APPS, "django", "ninja"}
    imports = {
        (name, target)
        for name, path in _modules(CLIENT, "lineage_client").items()
        for target in _imported(name, path)
        if target.split(".")[0] in server
    }
    assert imports == set()


def test_the_check_sees_an_upward_import_and_a_cycle():
    """The check itself: a graph with an arrow up and a cycle is refused."""
    graph = {"registry.models": {"lineage.engine"}, "lineage.engine": {"registry.models"}}
    assert app_arrows(graph) == {
        ("registry", "lineage"): "registry.models -> lineage.engine",
        ("lineage", "registry"): "lineage.engine -> registry.models",
    }
    assert cycles(graph) == [["lineage.engine", "registry.models"]]


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    graph = module_graph()
    for (source, target), example in sorted(app_arrows(graph).items()):
        allowed = "ok" if target in ALLOWED[source] else "UPWARD"
        print(f"{source:12} -> {target:12} {allowed:7} e.g. {example}")
    print("cycles:", cycles(graph) or "none")
