#!/usr/bin/python3
"""The house's mechanical style checks, run by scripts/test.sh (each a pass/fail test):
  format  every tracked C++ file is exactly as .clang-format writes it
  size    no function in dataplane/ or control/ over 100 lines, no source file there over 700 lines
  tidy    clang-tidy (.clang-tidy's checks) finds nothing in the project's sources (merged into few units: tidy_units.py)
Usage: check_style.py format|size|tidy [--build DIR]. Prints each problem as FILE:LINE: reason; exit 1 if any.
"""
import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tidy_units import TidyDatabase

ROOT = Path(__file__).resolve().parents[2]
MAX_FUNCTION_LINES = 100
MAX_FILE_LINES = 700


def tracked(*patterns: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", *patterns],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return [f for f in out.split() if (ROOT / f).is_file()]


def check_format(_: argparse.Namespace) -> int:
    files = tracked("*.cpp", "*.hpp")
    r = subprocess.run(["clang-format", "--dry-run", "--Werror", *files], cwd=ROOT, capture_output=True, text=True)
    bad = sorted({line.split(":")[0] for line in r.stderr.splitlines() if ": error:" in line})
    for f in bad:
        print(f"{f}:1: not formatted as .clang-format says (run: clang-format -i {f})")
    if r.returncode != 0 and not bad:
        print(r.stderr.strip())
        return 1
    print(f"format: {len(files)} files checked, {len(bad)} differ")
    return 1 if bad else 0


def check_size(_: argparse.Namespace) -> int:
    files = tracked("dataplane/*.cpp", "dataplane/*.hpp", "control/*.cpp", "control/*.hpp")
    problems = []
    for f in files:
        n = sum(1 for _ in open(ROOT / f, encoding="utf-8"))
        if n > MAX_FILE_LINES:
            problems.append(f"{f}:1: {n} lines (at most {MAX_FILE_LINES})")
    tags = subprocess.run(["ctags", "--output-format=json", "--fields=+ne", "--kinds-C++=f", "-o", "-", *files],
                          cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for line in tags.splitlines():
        t = json.loads(line)
        if "end" in t and t["end"] - t["line"] + 1 > MAX_FUNCTION_LINES:
            problems.append(f"{t['path']}:{t['line']}: function {t['name']} is {t['end'] - t['line'] + 1} lines "
                            f"(at most {MAX_FUNCTION_LINES})")
    for p in problems:
        print(p)
    print(f"size: {len(files)} files checked, {len(problems)} too long")
    return 1 if problems else 0


def run_tidy(db: Path) -> list[str]:
    """clang-tidy over every unit of the database; its findings, in order, once each."""
    # run-clang-tidy runs the units in parallel; GCC-only warning flags in the database are not clang's. Our .cpp
    # files are included by the merged units, so the header filter names them too.
    r = subprocess.run(["run-clang-tidy", "-p", str(db), "-quiet", "-j", str(os.cpu_count() or 2),
                        "-header-filter", r"^.*/(control|dataplane|tests|bench)/.*\.(hpp|cpp)$",
                        "-extra-arg=-Wno-unknown-warning-option"], cwd=ROOT, capture_output=True, text=True)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", r.stdout)  # run-clang-tidy colours its output even into a pipe
    found = [l for l in plain.splitlines() if ": error: " in l or ": warning: " in l]
    if r.returncode != 0 and not found:
        found = [f"tidy: run-clang-tidy failed ({r.returncode}): {r.stderr.strip()[-300:]}"]
    return list(dict.fromkeys(found))


def db_findings(db: TidyDatabase, findings: list[str]) -> list[str]:
    """The findings less the merging's own #include lines of .cpp files."""
    return [f for f in findings if not ("[bugprone-suspicious-include" in f and db.merged_unit_of(f) == str(
        os.path.normpath(db.tree / f.split(":", 1)[0])))]


def check_tidy(args: argparse.Namespace) -> int:
    build = Path(args.build) if Path(args.build).is_absolute() else ROOT / args.build
    if not (build / "compile_commands.json").is_file():
        print(f"tidy: {build / 'compile_commands.json'} missing (set up the build first)")
        return 1
    db = TidyDatabase(ROOT, build)
    findings = db_findings(db, run_tidy(db.folder))
    # A merged unit that does not parse as one (names that clash only when merged): the files its errors name alone
    # and the rest merged again; what still does not parse, file by file. Nothing goes unchecked.
    for attempt in range(2):
        errors = [f for f in findings if "[clang-diagnostic-error]" in f]
        failed = sorted({db.merged_unit_of(f) for f in errors} - {None})
        if not failed:
            break
        print(f"tidy: {', '.join(Path(m).name for m in failed)} did not parse as one unit; checked again "
              f"{'without the files its errors name' if attempt == 0 else 'file by file'}")
        culprits = {os.path.normpath(db.tree / f.split(":", 1)[0]) for f in errors}
        folder = db.rebatch(failed, culprits) if attempt == 0 else db.split(failed)
        findings = [f for f in findings if db.merged_unit_of(f) not in failed] + db_findings(db, run_tidy(folder))
    for f in findings:
        print(f)
    print(f"tidy: {db.sources} source files in {db.units} translation units checked, {len(findings)} findings")
    return 1 if findings else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("check", choices=["format", "size", "tidy"])
    ap.add_argument("--build", default=os.environ.get("BUILD_DIR", "build"))
    args = ap.parse_args()
    return {"format": check_format, "size": check_size, "tidy": check_tidy}[args.check](args)


if __name__ == "__main__":
    sys.exit(main())
