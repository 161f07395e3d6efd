"""Ports the freshly installed Autobahn|Testsuite to Python 3, in place, then checks it.

Run by scripts/venv.sh with the virtual environment's interpreter, right after
`pip install --force-reinstall autobahntestsuite==25.10.1 autobahn==0.10.9`:

  1. lib2to3 rewrites the Python 2 syntax of the autobahntestsuite package;
  2. py3.patch (beside this file) makes the semantic changes; a hunk that does not match the
     installed text exactly stops the port (a different upstream release must be looked at
     by a person, not patched half-way);
  3. the packages are byte-compiled, and a fresh interpreter loads wstest and counts the
     test cases (517), checking that their descriptions are plain text.

usage: python scripts/autobahn/port.py
"""
import compileall
import contextlib
import io
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import warnings

HERE = pathlib.Path(__file__).resolve().parent
PATCH = HERE / "py3.patch"
EXPECTED_CASES = 517


def fail(message):
    sys.exit("port.py: " + message)


def run_lib2to3(package, log_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lib2to3 is deprecated (removed in 3.13)
        from lib2to3.main import main as lib2to3_main
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        status = lib2to3_main("lib2to3.fixes", ["--write", "--nobackups", "--no-diffs", str(package)])
    log_path.write_text(output.getvalue())
    if status != 0:
        fail(f"lib2to3 exited {status}; see {log_path}")


def parse_patch(text):
    """[(path, [(old_start, old_lines, new_lines)])] from a unified diff (text before the first
    `--- ` line is commentary)."""
    files = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("--- "):
            i += 1
            continue
        if not lines[i + 1].startswith("+++ b/"):
            fail(f"py3.patch line {i + 2}: expected '+++ b/PATH'")
        path = lines[i + 1][len("+++ b/"):]
        hunks = []
        i += 2
        while i < len(lines) and lines[i].startswith("@@ "):
            ranges = lines[i].split(" ")
            old_start = int(ranges[1][1:].split(",")[0])
            old_count = int(ranges[1].split(",")[1]) if "," in ranges[1] else 1
            new_count = int(ranges[2].split(",")[1]) if "," in ranges[2] else 1
            old, new = [], []
            i += 1
            while len(old) < old_count or len(new) < new_count:
                body = lines[i]
                kind, content = (body[:1], body[1:]) if body else (" ", "")
                if kind in " -":
                    old.append(content)
                if kind in " +":
                    new.append(content)
                if kind not in " -+\\":
                    fail(f"py3.patch line {i + 1}: unexpected {body!r}")
                i += 1
            hunks.append((old_start, old, new))
        files.append((path, hunks))
    return files


def apply_patch(site, files):
    hunk_count = 0
    for path, hunks in files:
        target = site / path
        if not target.is_file():
            fail(f"{target} is missing")
        raw = target.read_bytes().decode("utf-8")
        newline = "\r\n" if "\r\n" in raw else "\n"
        had_final_newline = raw.endswith(("\n", "\r"))
        lines = raw.splitlines()
        offset = 0
        for old_start, old, new in hunks:
            start = old_start - 1 + offset if old else old_start + offset
            if lines[start:start + len(old)] != old:
                fail(f"{path}: a hunk at line {old_start} does not match the installed text; "
                     "was a different release installed?")
            lines[start:start + len(old)] = new
            offset += len(new) - len(old)
            hunk_count += 1
        text = newline.join(lines) + (newline if had_final_newline else "")
        target.write_bytes(text.encode("utf-8"))
    return hunk_count


SELF_CHECK = r"""
import sys, warnings
warnings.simplefilter("ignore")
import autobahn, autobahntestsuite
from autobahntestsuite import wstest, fuzzing
from autobahntestsuite.case import Cases
bad = [c.__name__ for c in Cases
       if not isinstance(c.DESCRIPTION, str) or not isinstance(c.EXPECTATION, str)
       or "b'" in c.DESCRIPTION or 'b"' in c.DESCRIPTION]
if len(Cases) != int(sys.argv[1]) or bad:
    sys.exit("found %d cases (want %s); descriptions not plain text: %s" % (len(Cases), sys.argv[1], bad[:5]))
print("autobahntestsuite %s with autobahn %s on Python %s: %d cases load"
      % (autobahntestsuite.version, autobahn.version, sys.version.split()[0], len(Cases)))
"""


def main():
    site = pathlib.Path(sysconfig.get_paths()["purelib"])
    suite, engine = site / "autobahntestsuite", site / "autobahn"
    for package in (suite, engine):
        if not package.is_dir():
            fail(f"{package} is not installed")
        for cache in list(package.rglob("__pycache__")):
            shutil.rmtree(cache)
    if "txaio" in (suite / "choosereactor.py").read_text(encoding="utf-8"):
        fail(f"{suite} looks ported already; reinstall it first (scripts/venv.sh does)")

    log_path = pathlib.Path(sys.prefix) / "lib2to3.log"
    run_lib2to3(suite, log_path)
    files = parse_patch(PATCH.read_text(encoding="utf-8"))
    hunks = apply_patch(site, files)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for directory in (suite, engine / "websocket", engine / "twisted"):
            if not compileall.compile_dir(str(directory), quiet=1):
                fail(f"byte-compiling {directory} failed")
    check = subprocess.run([sys.executable, "-c", SELF_CHECK, str(EXPECTED_CASES)],
                           capture_output=True, text=True)
    if check.returncode != 0:
        fail("self-check failed:\n" + check.stdout + check.stderr)
    print(f"port.py: lib2to3, then {hunks} hunks in {len(files)} files; {check.stdout.strip()}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
