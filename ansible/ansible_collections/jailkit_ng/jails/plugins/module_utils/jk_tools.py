# -*- coding: utf-8 -*-
# Runs jailkit-ng's tools for the modules and reads their --json reports
# (jk_json(5)). The modules never do what a tool does: they build its argv,
# run it without a shell, and report what it says.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os

# Where the Debian package (/usr/sbin) and a source install (/usr/local/sbin)
# put the tools.
SEARCH_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")

# Options every module takes.
COMMON_ARGS = dict(
    bindir=dict(type="path"),
)


def tool_path(module, name):
    """The absolute path of tool `name`: in `bindir` when given, else the
    first of SEARCH_DIRS that has it. Never $PATH."""
    bindir = module.params.get("bindir")
    dirs = [bindir] if bindir else SEARCH_DIRS
    for d in dirs:
        path = os.path.join(d, name)
        if os.path.isabs(path) and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    module.fail_json(msg="%s not found in %s (install jailkit-ng, or set bindir)" % (name, ", ".join(dirs)))


def run_tool(module, argv):
    """(rc, stdout, stderr) of argv, run without a shell, in the C locale."""
    return module.run_command(argv, check_rc=False, environ_update={"LC_ALL": "C", "LANG": "C"})


def _message(doc, err, argv, rc):
    if doc and doc.get("error"):
        return doc["error"]
    lines = [line for line in err.splitlines() if line.strip()]
    if lines:
        return "\n".join(lines[-5:])
    return "%s failed with exit status %d" % (os.path.basename(argv[0]), rc)


def run_report(module, argv, ok_codes=(0,)):
    """Runs a tool with --json and returns its report; fails the module with
    the tool's own message when the exit status is not in ok_codes, the
    report carries an error, or there is no report at all."""
    rc, out, err = run_tool(module, argv)
    doc = None
    try:
        doc = json.loads(out) if out.strip() else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != 1:
        if rc == 0:
            module.fail_json(msg="%s printed no jk_json(5) report (is it jailkit-ng's?)" % argv[0],
                             rc=rc, cmd=argv, stdout=out, stderr=err)
        module.fail_json(msg=_message(None, err, argv, rc), rc=rc, cmd=argv, stdout=out, stderr=err)
    if rc not in ok_codes or doc.get("error"):
        module.fail_json(msg=_message(doc, err, argv, rc), rc=rc, cmd=argv, report=doc, stderr=err)
    return doc


def diff_of(doc):
    """Ansible's diff for a report: one line per change."""
    marks = (("created", "+"), ("updated", "~"), ("removed", "-"))
    lines = []
    for action, mark in marks:
        for e in doc.get(action, []):
            detail = " (%s)" % e["detail"] if e.get("detail") else ""
            lines.append("%s %s %s%s" % (mark, e["type"], e["path"], detail))
    text = "\n".join(lines) + ("\n" if lines else "")
    return dict(prepared=text)


def exit_with_report(module, doc, **extra):
    """exit_json with changed as the tool said, the report, and the diff."""
    result = dict(changed=bool(doc["changed"]), report=doc)
    if module._diff:
        result["diff"] = diff_of(doc)
    result.update(extra)
    module.exit_json(**result)
