"""Reads the index.json an Autobahn|Testsuite run wrote and says how it went.

usage: report.py OUTDIR [--agent NAME] [--title TEXT] [--strict]

Prints the title (default: the agent), a line of counts by the suite's verdict (OK,
NON-STRICT, INFORMATIONAL, UNIMPLEMENTED, FAILED; any other verdict counts as FAILED), the
closing-handshake verdicts, and every case whose verdict is not OK with its description's
first line. The last line reads

  autobahn: <title>: N of N cases, a OK, b NON-STRICT, c INFORMATIONAL, d UNIMPLEMENTED, e FAILED

--strict exits 1 when a case FAILED or when fewer cases have a result than the run selected
(OUTDIR/selected.txt, written by run.py). Exits 2 when the report cannot be read. Standard
library only: any Python 3 runs it.
"""
import argparse
import collections
import html
import json
import pathlib
import re
import sys

VERDICTS = ("OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED")


def sort_key(case_id):
    return tuple(int(part) if part.isdigit() else 0 for part in case_id.split("."))


def first_line(outdir, entry):
    try:
        description = json.loads((outdir / entry["reportfile"]).read_text(encoding="utf-8"))["description"]
    except (KeyError, OSError, ValueError):
        return ""
    text = re.split(r"<br\s*/?>|\n", description or "", maxsplit=1)[0]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def main():
    parser = argparse.ArgumentParser(usage=__doc__.split("\n\n")[1].strip())
    parser.add_argument("outdir", type=pathlib.Path)
    parser.add_argument("--agent")
    parser.add_argument("--title")
    parser.add_argument("--strict", action="store_true")
    arguments = parser.parse_args()
    outdir = arguments.outdir
    try:
        index = json.loads((outdir / "index.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"report.py: no readable report in {outdir}: {error}", file=sys.stderr)
        return 2
    agents = [arguments.agent] if arguments.agent else sorted(index)
    if any(agent not in index for agent in agents) or not agents:
        print(f"report.py: {outdir}: agent {arguments.agent or '(any)'} not found "
              f"(agents: {', '.join(sorted(index)) or 'none'})", file=sys.stderr)
        return 2
    cases = {case_id: entry for agent in agents for case_id, entry in index[agent].items()}
    title = arguments.title or ", ".join(agents)
    try:
        selected = int((outdir / "selected.txt").read_text())
    except (OSError, ValueError):
        selected = len(cases)

    verdicts = collections.Counter(
        entry["behavior"] if entry["behavior"] in VERDICTS else "FAILED" for entry in cases.values())
    closing = collections.Counter(entry.get("behaviorClose", "?") for entry in cases.values())
    print(title)
    print("  verdicts: " + ", ".join(f"{verdicts[v]} {v}" for v in VERDICTS if verdicts[v]))
    print("  closing handshake: " + ", ".join(f"{n} {k}" for k, n in sorted(closing.items())))
    odd = [case_id for case_id in sorted(cases, key=sort_key) if cases[case_id]["behavior"] != "OK"
           or cases[case_id].get("behaviorClose") not in ("OK", "INFORMATIONAL")]
    for case_id in odd:
        entry = cases[case_id]
        print(f"  {case_id:<9} {entry['behavior']:<13} close {entry.get('behaviorClose', '?'):<13} "
              f"{first_line(outdir, entry)}")
    print(f"autobahn: {title}: {len(cases)} of {selected} cases, "
          + ", ".join(f"{verdicts[v]} {v}" for v in VERDICTS))
    if arguments.strict and (verdicts["FAILED"] or len(cases) < selected):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
