"""Imports only point down the app list of ARCHITECTURE.md."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# app -> the apps it may import (besides itself)
ALLOWED = {
    "core": set(),
    "accounts": {"core"},
    "catalog": {"core", "accounts"},
    "promotions": {"core", "catalog", "accounts"},
    "cart": {"core", "catalog", "promotions", "accounts"},
    "orders": {"core", "cart", "promotions", "catalog", "accounts"},
    "search": {"core", "catalog"},
    "guestbook": {"core", "accounts"},
    "newsletter": {"core", "catalog", "accounts"},
    "visits": {"core", "orders", "cart", "catalog"},
    "service": {"core", "orders"},
}
APPS = set(ALLOWED) | {"shop"}


def imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names if name.split(".")[0] in APPS)
    return found


def test_imports_point_down_the_app_list():
    wrong = []
    for app, allowed in ALLOWED.items():
        folder = ROOT / app
        if not folder.is_dir():
            continue
        for path in folder.rglob("*.py"):
            for other in imported_apps(path) - allowed - {app}:
                wrong.append(f"{path.relative_to(ROOT)} imports {other}")
    assert not wrong, "\n".join(wrong)
