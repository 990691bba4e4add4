"""What several benches share: where the build is."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def find_build_dir() -> Path:
    """$WANSTEER_BUILD, else $BUILD_DIR, else build/ (relative paths are taken from the repository root)."""
    name = os.environ.get("WANSTEER_BUILD") or os.environ.get("BUILD_DIR") or "build"
    path = Path(name)
    return path if path.is_absolute() else REPO / path
