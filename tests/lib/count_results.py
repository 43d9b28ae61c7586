#!/usr/bin/env python3
"""Prints one summary line of a meson test run from its testlog.json:
    [PREFIX: ]N passed, N failed, N skipped
An expected failure counts as passed; every other result that is neither OK
nor SKIP (FAIL, TIMEOUT, UNEXPECTEDPASS, ERROR) counts as failed.
    usage: count_results.py TESTLOG_JSON [PREFIX]"""
import json
import sys

counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
with open(sys.argv[1]) as log:
    for line in log:
        result = json.loads(line)["result"]
        counts[{"OK": "OK", "EXPECTEDFAIL": "OK", "SKIP": "SKIP"}.get(result, "FAIL")] += 1
prefix = f"{sys.argv[2]}: " if len(sys.argv) > 2 else ""
print(f"{prefix}{counts['OK']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")
