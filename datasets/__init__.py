"""Where the catalog generator lives: the team's shared copy, else the vendored one."""

from __future__ import annotations

from pathlib import Path

VENDORED = Path(__file__).resolve().parent / "catalog.py"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "catalog.py"


def catalog_script() -> Path:
    """The catalog generator to run: ``../shared/datasets/catalog.py`` when present.

    Returns:
        The shared script next to the project, or the copy in this folder.
    """
    return SHARED if SHARED.is_file() else VENDORED
