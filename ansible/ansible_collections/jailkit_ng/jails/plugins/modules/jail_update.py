#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: jail_update
short_description: A jail's copied files brought up to date with jailkit-ng's jk_update
description:
  - Replaces the files the suite copied into the jail whose host original changed, and removes those whose
    original is gone, with C(jk_update --json); files the admin put in the jail are never removed. C(changed) is
    what the tool reports; check mode runs C(jk_update -d).
  - More removals than I(max_remove) fail the task and change nothing.
options:
  path:
    description: The jail (absolute).
    type: path
    required: true
  directories:
    description: Limit the scan to these directories of the jail (default /bin/ /lib/ /usr/ /opt/).
    type: list
    elements: str
    default: []
  skip:
    description: Paths left alone (jk_update -s), in jail or host spelling.
    type: list
    elements: str
    default: []
  hardlink:
    description: Hardlink instead of copying where safe (jk_update -k).
    type: bool
    default: false
  max_remove:
    description: Refuse (and change nothing) when more files would be removed.
    type: int
    default: 100
extends_documentation_fragment:
  - jailkit_ng.jails.tools
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: After a host upgrade, every jail follows
  jailkit_ng.jails.jail_update:
    path: "{{ item }}"
    max_remove: 20
  loop: "{{ jails }}"
"""

RETURN = r"""
report:
  description: The tool's jk_json(5) report.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.jailkit_ng.jails.plugins.module_utils.jk_tools import (
    COMMON_ARGS, exit_with_report, run_report, tool_path)

DRY_RUN_PENDING = 3  # jk_update -d: changes are pending (not a failure here)


def main():
    args = dict(
        path=dict(type="path", required=True),
        directories=dict(type="list", elements="str", default=[]),
        skip=dict(type="list", elements="str", default=[]),
        hardlink=dict(type="bool", default=False),
        max_remove=dict(type="int", default=100),
    )
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True)
    p = module.params
    if p["max_remove"] < 0:
        module.fail_json(msg="max_remove must not be negative")
    argv = [tool_path(module, "jk_update"), "--json", "-j", p["path"], "--max-remove=%d" % p["max_remove"]]
    ok_codes = (0,)
    if module.check_mode:
        argv.append("-d")
        ok_codes = (0, DRY_RUN_PENDING)
    if p["hardlink"]:
        argv.append("-k")
    for s in p["skip"]:
        argv += ["-s", s]
    argv += ["--"] + p["directories"]
    exit_with_report(module, run_report(module, argv, ok_codes))


if __name__ == "__main__":
    main()
