#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: jail_facts
short_description: Facts about jails from jailkit-ng's jk_check and jk_list
description:
  - Sets C(ansible_facts.jailkit_ng) with, per jail, the findings of C(jk_check --json) and the processes,
    kind and isolation policy of C(jk_list --json). Changes nothing.
options:
  paths:
    description: The jails to check; without it, every jail jk_check knows (its configuration and the homes
      holding C(/./)).
    type: list
    elements: path
    default: []
extends_documentation_fragment:
  - jailkit_ng.jails.tools
notes:
  - Supports check mode.
"""

EXAMPLES = r"""
- jailkit_ng.jails.jail_facts:
    paths: [/home/sftproot]
- ansible.builtin.assert:
    that: ansible_facts.jailkit_ng.jails['/home/sftproot'].findings | selectattr('severity', 'eq', 'error') | list | length == 0
"""

RETURN = r"""
ansible_facts:
  description: C(jailkit_ng.jails), a dict by jail path of findings (list), processes (list), kind and policy.
  returned: always
  type: dict
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.jailkit_ng.jails.plugins.module_utils.jk_tools import COMMON_ARGS, run_tool, tool_path

CHECK_FOUND = 2  # jk_check: problems were found (facts, not a failure)


def json_of(module, argv, ok_codes):
    rc, out, err = run_tool(module, argv)
    if rc not in ok_codes:
        module.fail_json(msg=err.strip() or "%s failed with exit status %d" % (argv[0], rc), rc=rc, cmd=argv)
    try:
        return json.loads(out)
    except ValueError:
        module.fail_json(msg="%s printed no JSON" % argv[0], rc=rc, cmd=argv, stdout=out, stderr=err)


def main():
    args = dict(paths=dict(type="list", elements="path", default=[]))
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True)
    paths = [p.rstrip("/") or "/" for p in module.params["paths"]]
    checked = json_of(module, [tool_path(module, "jk_check"), "--json", "--"] + paths, (0, CHECK_FOUND))
    listed = json_of(module, [tool_path(module, "jk_list"), "--json"], (0,))
    jails = {}
    for r in checked.get("jails", []):
        jails[r["jail"]] = dict(findings=r.get("findings", []), processes=[], kind=None, policy=None)
    for j in listed.get("jails", []):
        entry = jails.setdefault(j["jail"], dict(findings=[], processes=[], kind=None, policy=None))
        entry["kind"] = j.get("kind")
        entry["policy"] = j.get("policy")
    for proc in listed.get("processes", []):
        if proc.get("jail") in jails:
            jails[proc["jail"]]["processes"].append(proc)
    if paths:
        jails = dict((k, v) for k, v in jails.items() if k in paths)
    module.exit_json(changed=False, ansible_facts=dict(jailkit_ng=dict(jails=jails)))


if __name__ == "__main__":
    main()
