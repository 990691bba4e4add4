"""The translation units check_style.py's tidy check hands to clang-tidy, in as few parses as the code allows.

clang-tidy 14 runs its matchers over every declaration of a unit, system headers included: on this code a unit costs
10-25 s, most of it in the standard library, DPDK, fmt and Catch2, not in our file. So the check parses many of our
files at once:
- the libraries and programs come from a second meson tree with unity builds on (each unity file #includes up to
  UNITY_SIZE of our .cpp files; the sanitizer tree already builds them that way, so their names do not clash);
- the unit tests opt out of unity builds (each keeps helpers such as kHost or Rig in an anonymous namespace), so they
  are merged here by hand: each test file inside a namespace of its own, after every header the batch includes at
  file scope (#pragma once then keeps them out of those namespaces).
A finding still names the file and line of our source. The tree lives in <build>/tidy-unity and is remade each run.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

UNITY_SIZE = 25
TEST_BATCH = 15  # unit test files per merged unit: 4 batches keep both cores busy next to the unity files
OPENS_OURS = re.compile(r"^namespace wansteer\b", re.M)
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def _test_batch(files: list[Path], out: Path) -> None:
    head: dict[str, None] = {}
    for f in files:
        for kind, name in INCLUDE.findall(f.read_text()):
            if kind == "<":
                head[f"#include <{name}>"] = None
            else:  # a file beside the test is named by its path: the batch lives elsewhere
                local = f.parent / name
                head[f'#include "{local if local.is_file() else name}"'] = None
    body = [f'namespace tidy_{f.stem} {{\n#include "{f}"  // NOLINT(bugprone-suspicious-include)\n}}' for f in files]
    out.write_text("// Made by scripts/lib/tidy_units.py for clang-tidy only; never compiled.\n" + "\n".join(head) +
                   "\n\n" + "\n".join(body) + "\n")


def _arguments(entry: dict) -> list[str]:
    return entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])


class TidyDatabase:
    """<build>/tidy-unity/db/compile_commands.json: the merged units. members maps each merged unit to our source
    files in it, so that a unit that does not parse as one (two files' names clash only when merged: a using-directive
    making a name ambiguous, two helpers of one name) can be checked again file by file with the build's own
    compile commands."""

    def __init__(self, root: Path, build: Path):
        self.build = build
        self.tree = build / "tidy-unity"
        shutil.rmtree(self.tree, ignore_errors=True)
        subprocess.run(["meson", "setup", str(self.tree), str(root), "--buildtype=release", "-Dunity=on",
                        f"-Dunity_size={UNITY_SIZE}"], cwd=root, check=True, capture_output=True, text=True)
        units, tests = [], []
        self.members: dict[str, list[Path]] = {}
        self.merged_entry: dict[str, dict] = {}  # the compile command of each merged unit
        self.is_test_batch: set[str] = set()
        for e in json.load(open(self.tree / "compile_commands.json")):
            path = (Path(e["directory"]) / e["file"]).resolve()
            # a test that opens a namespace of ours at file scope would open it inside the batch's wrapper: alone
            if path.parent == root / "tests" / "unit" and path.name != "main.cpp" and not OPENS_OURS.search(
                    path.read_text()):
                tests.append((path, e))
                continue
            units.append(e)
            if "-unity" in path.name:
                self.members[str(path)] = [(path.parent / f).resolve() for _, f in INCLUDE.findall(path.read_text())]
                self.merged_entry[str(path)] = e
        self.folder = self.tree / "db"
        self.folder.mkdir()
        for i in range(0, len(tests), TEST_BATCH):
            batch = tests[i:i + TEST_BATCH]
            merged = self.folder / f"unit_tests_{i // TEST_BATCH}.cpp"
            _test_batch([p for p, _ in batch], merged)
            args = [str(merged) if a == batch[0][1]["file"] else a for a in _arguments(batch[0][1])]
            units.append({"directory": batch[0][1]["directory"], "file": str(merged), "arguments": args})
            self.members[str(merged)] = [p for p, _ in batch]
            self.merged_entry[str(merged)] = units[-1]
            self.is_test_batch.add(str(merged))
        self.units = len(units)
        self.sources = len(units) - len(self.members) + sum(len(m) for m in self.members.values())
        (self.folder / "compile_commands.json").write_text(json.dumps(units, indent=1))

    def merged_unit_of(self, finding: str) -> str | None:
        """The merged unit a finding came from (the unity file itself or one of our files in it), if any."""
        path = os.path.normpath(self.tree / finding.split(":", 1)[0])  # relative paths are the tree's
        for merged, files in self.members.items():
            if path == merged or any(path == str(f) for f in files):
                return merged
        return None

    def rebatch(self, merged: list[str], culprits: set[str]) -> Path:
        """A second database for merged units that did not parse: the files their errors named, one unit each (the
        build's commands), and the rest of each merged again. Returns its folder."""
        folder = self.folder / "rebatch"
        folder.mkdir(exist_ok=True)
        entries = self._build_entries({str(f) for m in merged for f in self.members[m] if str(f) in culprits})
        for n, m in enumerate(merged):
            rest = [f for f in self.members[m] if str(f) not in culprits]
            if not rest:
                continue
            again = folder / f"again_{n}_{Path(m).name}"
            if m in self.is_test_batch:
                _test_batch(rest, again)
                self.is_test_batch.add(str(again))
            else:
                again.write_text("".join(f'#include "{f}"  // NOLINT(bugprone-suspicious-include)\n' for f in rest))
            e = self.merged_entry[m]
            args = [str(again) if a == e["file"] else a for a in _arguments(e)]
            entries.append({"directory": e["directory"], "file": str(again), "arguments": args})
            self.members[str(again)], self.merged_entry[str(again)] = rest, entries[-1]
        (folder / "compile_commands.json").write_text(json.dumps(entries, indent=1))
        self.units += len(entries) - len(merged)
        return folder

    def _build_entries(self, files: set[str]) -> list[dict]:
        return [e for e in json.load(open(self.build / "compile_commands.json"))
                if str((Path(e["directory"]) / e["file"]).resolve()) in files]

    def split(self, merged: list[str]) -> Path:
        """A second database: the files of these merged units, one unit each (the build's commands)."""
        folder = self.folder / "split"
        folder.mkdir(exist_ok=True)
        entries = self._build_entries({str(f) for m in merged for f in self.members[m]})
        (folder / "compile_commands.json").write_text(json.dumps(entries, indent=1))
        self.units += len(entries) - len(merged)
        return folder
