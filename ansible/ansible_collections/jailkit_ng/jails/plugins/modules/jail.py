#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: jail
short_description: A chroot jail made by jailkit-ng's jk_init
description:
  - Creates or completes a jail from sections of jk_init.ini with C(jk_init --json), so C(changed) is what
    jk_init reports; check mode runs C(jk_init --dry-run).
  - With I(kind=thin) the host's system is bound read-only at every entry instead of copied
    (C(jk_init --thin)); I(kind=copy) makes a thin jail a copy jail again.
  - I(state=absent) removes the jail, everything in it and its policy file (C(jk_init --remove)); it is
    refused while a process runs in the jail, a user's home is in it or something is mounted in it.
options:
  path:
    description: The jail directory (absolute). Its parents must be root-owned and not writable by group or others.
    type: path
    required: true
  sections:
    description: Sections of the configuration file. Every one must exist in it (C(jk_init -l)).
    type: list
    elements: str
    default: []
  files:
    description:
      - Host files copied in as well, each with its symlinks, parent directories and libraries
        (C(jk_cp --json), after jk_init), at the same path.
    type: list
    elements: path
    default: []
  kind:
    description: C(copy) copies what the sections name; C(thin) binds the host's system read-only.
    type: str
    choices: [copy, thin]
    default: copy
  policy:
    description:
      - The jail's isolation policy (jk_jail.ini(5)) as INI text, all sections but C([thin]), which I(kind=thin)
        manages (C(jk_init --policy)). Checked as the entry checks it before anything changes.
      - An empty string removes the policy (a thin jail keeps its C([thin])); not set, the policy is left alone.
    type: str
  state:
    description: Whether the jail should exist.
    type: str
    choices: [present, absent]
    default: present
  config:
    description: The sections file (jk_init -c); the tool's default when not set.
    type: path
  force:
    description: Replace files that exist in the jail (jk_init -f). Every run then reports changed.
    type: bool
    default: false
  hardlink:
    description: Hardlink instead of copying where safe (jk_init -k).
    type: bool
    default: false
  strict:
    description: A missing file, user or group fails the task before anything changes (jk_init --strict).
    type: bool
    default: false
extends_documentation_fragment:
  - jailkit_ng.jails.tools
notes:
  - Supports check mode and diff mode. The diff lists each entry created (+), updated (~) or removed (-).
  - The isolation policy of a jail (jk_jail.ini(5)) is a file under /etc/jailkit/jails.d; I(kind=thin) keeps
    its C([thin]) section; without I(policy) the other sections are never touched.
"""

EXAMPLES = r"""
- name: An sftp-only jail
  jailkit_ng.jails.jail:
    path: /home/sftproot
    sections: [sftp, scp, jk_lsh]

- name: A jail whose users see only their own processes, with no network
  jailkit_ng.jails.jail:
    path: /home/sftproot
    sections: [sftp]
    policy: |
      [isolation]
      namespaces = pid, ipc, uts, mount
      network = loopback
      [limits]
      nproc = 256

- name: A thin jail for shell users
  jailkit_ng.jails.jail:
    path: /srv/jails/shell
    sections: [basicshell, editors]
    kind: thin
"""

RETURN = r"""
report:
  description: The tool's jk_json(5) report (created, updated, removed, unchanged, warnings).
  returned: when jk_init ran
  type: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.jailkit_ng.jails.plugins.module_utils.jk_tools import (
    COMMON_ARGS, exit_with_report, run_report, run_tool, tool_path)


def sections_of(module, jk_init, config):
    argv = [jk_init, "-l"] + (["-c", config] if config else [])
    rc, out, err = run_tool(module, argv)
    if rc != 0:
        module.fail_json(msg=err.strip() or "jk_init -l failed with exit status %d" % rc, rc=rc, cmd=argv)
    names = set()
    for line in out.splitlines()[1:]:
        name = line.split(" - ", 1)[0].strip()
        if name:
            names.add(name)
    return names


def merged(first, second):
    """One report for two tool runs on the same jail."""
    out = dict(first)
    for key in ("created", "updated", "removed", "unchanged", "warnings"):
        out[key] = first.get(key, []) + second.get(key, [])
    out["changed"] = bool(first.get("changed") or second.get("changed"))
    out["tool"] = "%s+%s" % (first["tool"], second["tool"])
    return out


def copy_files(module, path, jail_made):
    """jk_cp's report for `files`; None when there are none."""
    p = module.params
    if not p["files"]:
        return None
    argv = [tool_path(module, "jk_cp"), "--json"]
    if module.check_mode:
        if not jail_made:
            # jk_cp cannot preview into a jail that a dry run did not make:
            # everything named would be new.
            entries = [dict(path=f, type="file") for f in p["files"]]
            return dict(tool="jk_cp", format=1, jail=path, dry_run=True, changed=True, created=entries,
                        updated=[], removed=[], unchanged=[], warnings=[], error=None)
        argv.append("--dry-run")
    if p["force"]:
        argv.append("-f")
    if p["hardlink"]:
        argv.append("-k")
    argv += ["-j", path, "--"] + p["files"]
    return run_report(module, argv)


def present(module, path):
    p = module.params
    jk_init = tool_path(module, "jk_init")
    if not p["sections"]:
        if not p["files"]:
            module.fail_json(msg="state=present needs sections or files")
        if not os.path.isdir(path):
            module.fail_json(msg="%s does not exist; name sections to create it" % path)
        exit_with_report(module, copy_files(module, path, True))
    known = sections_of(module, jk_init, p["config"])
    unknown = [s for s in p["sections"] if s not in known]
    if unknown:
        module.fail_json(msg="section %s does not exist in %s" % (", ".join(unknown),
                                                                 p["config"] or "jk_init's configuration file"))
    argv = [jk_init, "--json"]
    if module.check_mode:
        argv.append("--dry-run")
    if p["config"]:
        argv += ["-c", p["config"]]
    for flag, opt in (("force", "-f"), ("hardlink", "-k"), ("strict", "--strict")):
        if p[flag]:
            argv.append(opt)
    if p["kind"] == "thin":
        argv.append("--thin")
    if p["policy"] is not None:
        # A file of the module's own temporary directory (0700, root's).
        policy_file = os.path.join(module.tmpdir, "policy.ini")
        with open(policy_file, "w") as f:
            f.write(p["policy"])
        argv.append("--policy=" + policy_file)
    argv += ["-j", path, "--"] + p["sections"]
    report = run_report(module, argv)
    files = copy_files(module, path, os.path.isdir(path))
    exit_with_report(module, merged(report, files) if files else report)


def absent(module, path):
    """jk_init --remove owns the deletion: the jail's trust walk, the checks
    that nothing runs or lives in it and nothing is mounted in it, and its
    policy file (jk_init(8))."""
    argv = [tool_path(module, "jk_init"), "--remove", "--json", "-j", path]
    if module.check_mode:
        argv.insert(2, "--dry-run")
    exit_with_report(module, run_report(module, argv))


def main():
    args = dict(
        path=dict(type="path", required=True),
        sections=dict(type="list", elements="str", default=[]),
        files=dict(type="list", elements="path", default=[]),
        kind=dict(type="str", choices=["copy", "thin"], default="copy"),
        policy=dict(type="str"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        config=dict(type="path"),
        force=dict(type="bool", default=False),
        hardlink=dict(type="bool", default=False),
        strict=dict(type="bool", default=False),
    )
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True)
    path = module.params["path"]
    if not os.path.isabs(path) or os.path.normpath(path) == "/":
        module.fail_json(msg="path must be an absolute directory other than /: %r" % path)
    path = os.path.normpath(path)
    if module.params["state"] == "absent":
        absent(module, path)
    present(module, path)


if __name__ == "__main__":
    main()
