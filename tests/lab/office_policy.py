"""policies/office.yaml with a few lines changed, for a lab test module's lab_policy(workdir)
(tests/lab/conftest.py)."""
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def office_policy(workdir, name, edits):
    """policies/office.yaml with each (old, new) of `edits` replaced (each must be there), prefix lists found from
    anywhere, written to workdir/name: for a module's lab_policy(workdir)."""
    text = (REPO / "policies" / "office.yaml").read_text()
    for old, new in edits:
        assert old in text, f"office.yaml no longer has {old!r}: update the test"
        text = text.replace(old, new)
    path = Path(workdir) / name
    path.write_text(text.replace("prefixes/", str(REPO / "policies" / "prefixes") + "/"))
    return path
