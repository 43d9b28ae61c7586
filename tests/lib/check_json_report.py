#!/usr/bin/env python3
"""Checks a jk_json(5) report read from stdin against the format, and
prints facts about it for the shell test to compare.

usage: check_json_report.py TOOL [QUERY...]
  QUERY: changed | error | dry_run | paths:ACTION | count:ACTION |
         detail:ACTION:PATH
Exit 0 with one line per query when the document is valid; exit 1 with the
reason on stderr otherwise.
"""
import json
import sys

KEYS = ["tool", "format", "jail", "dry_run", "changed", "created", "updated",
        "removed", "unchanged", "warnings", "error"]
ACTIONS = ["created", "updated", "removed", "unchanged"]
TYPES = {"file", "directory", "symlink", "device", "fifo", "socket", "config"}


def fail(msg):
    print("invalid report: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    tool = sys.argv[1]
    raw = sys.stdin.buffer.read()
    if not raw.endswith(b"\n") or raw.count(b"\n") != 1:
        fail("not one line ending in a newline")
    try:
        doc = json.loads(raw.decode("utf-8"), object_pairs_hook=lambda p: p)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail("not JSON: %s" % e)
    if [k for k, _ in doc] != KEYS:
        fail("members %s, want %s" % ([k for k, _ in doc], KEYS))
    d = dict(doc)
    if d["tool"] != tool:
        fail("tool %r" % d["tool"])
    if d["format"] != 1:
        fail("format %r" % d["format"])
    if not isinstance(d["jail"], str):
        fail("jail is not a string")
    for b in ("dry_run", "changed"):
        if not isinstance(d[b], bool):
            fail(b + " is not a boolean")
    for a in ACTIONS:
        if not isinstance(d[a], list):
            fail(a + " is not an array")
        for e in d[a]:
            keys = [k for k, _ in e]
            if keys not in (["path", "type"], ["path", "type", "detail"]):
                fail("%s entry members %s" % (a, keys))
            e = dict(e)
            if not isinstance(e["path"], str) or not e["path"].startswith("/"):
                fail("%s entry path %r" % (a, e["path"]))
            if e["type"] not in TYPES:
                fail("%s entry type %r" % (a, e["type"]))
            if "detail" in e and (not isinstance(e["detail"], str) or not e["detail"]):
                fail("%s entry detail %r" % (a, e["detail"]))
    if d["changed"] != any(d[a] for a in ("created", "updated", "removed")):
        fail("changed is %s but the lists say otherwise" % d["changed"])
    if not isinstance(d["warnings"], list) or not all(isinstance(w, str) for w in d["warnings"]):
        fail("warnings")
    if d["error"] is not None and (not isinstance(d["error"], str) or not d["error"]):
        fail("error %r" % d["error"])

    for q in sys.argv[2:]:
        if q in ("changed", "dry_run"):
            print("true" if d[q] else "false")
        elif q == "error":
            print("null" if d["error"] is None else d["error"])
        elif q.startswith("paths:"):
            print(" ".join(sorted(dict(e)["path"] for e in d[q[6:]])))
        elif q.startswith("count:"):
            print(len(d[q[6:]]))
        elif q.startswith("detail:"):
            _, action, path = q.split(":", 2)
            print(" ".join(dict(e).get("detail", "") for e in d[action] if dict(e)["path"] == path))
        else:
            fail("unknown query " + q)


main()
