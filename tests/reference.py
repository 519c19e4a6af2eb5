"""Where the remote systems' reference material lies: ``shared/reference`` beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

#: The repository's parent holds ``shared/`` (development and CI alike);
#: BELEGSYNC_REFERENCE_DIR points elsewhere when it does not.
REFERENCE = Path(
    os.environ.get("BELEGSYNC_REFERENCE_DIR")
    or Path(__file__).resolve().parents[2] / "shared" / "reference"
)
