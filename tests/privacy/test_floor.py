"""The privacy app's floor (docs/architecture.md): right above interactions, whose contacts'
interactions it reads, and below the relationship map and risk; nothing beneath it imports
it."""

from __future__ import annotations

from pathlib import Path

from tests.test_architecture import FLOORS, _imports, _modules

ROOT = Path(__file__).resolve().parent.parent.parent


def test_privacy_sits_between_interactions_and_risk() -> None:
    assert FLOORS.index("interactions") + 1 == FLOORS.index("privacy")
    assert FLOORS.index("privacy") < FLOORS.index("relationships") < FLOORS.index("risk")
    picture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert picture.index("risk/") < picture.index("privacy/") < picture.index("interactions/ ")


def test_nothing_beneath_privacy_imports_it_and_it_reads_the_floors_below() -> None:
    below = set(FLOORS[: FLOORS.index("privacy")])
    upward = [
        f"{name} imports {module}"
        for name, path in _modules()
        if name.split(".")[0] in below
        for _line, module in _imports(name, path)
        if module.split(".")[0] == "privacy"
    ]
    assert not upward
    reads = {
        module.split(".")[0]
        for name, path in _modules()
        if name.startswith("privacy")
        for _line, module in _imports(name, path)
    }
    assert {"accounts", "interactions", "kam"} <= reads
