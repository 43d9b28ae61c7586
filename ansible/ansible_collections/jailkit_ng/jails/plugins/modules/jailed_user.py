#!/usr/bin/python
# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: jailed_user
short_description: An existing user moved into a jail with jailkit-ng's jk_jailuser
description:
  - Adds the user (and its groups) to the jail's /etc/passwd and /etc/group, sets its home on the host to
    JAIL/./HOME and its login shell to jk_chrootsh, and with I(move_home) moves the home directory into the jail,
    with C(jk_jailuser -n --json); C(changed) is what the tool reports. Check mode runs C(jk_jailuser --dry-run).
  - A user that does not exist, an unsafe jail or a refused user fail the task with the tool's message.
options:
  user:
    description: The host user (it must exist).
    type: str
    required: true
  jail:
    description: The jail (absolute), which must hold /etc/passwd and the shell.
    type: path
    required: true
  shell:
    description: The shell inside the jail (jk_jailuser -s); the tool's default (jk_lsh) when not set.
    type: str
  chrootsh:
    description: The login shell set on the host (jk_jailuser --chrootsh); the tool's default when not set.
    type: path
  move_home:
    description: Move the home directory into the jail (jk_jailuser -m).
    type: bool
    default: false
extends_documentation_fragment:
  - jailkit_ng.jails.tools
notes:
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: alice may only use sftp, in /home/sftproot
  jailkit_ng.jails.jailed_user:
    user: alice
    jail: /home/sftproot
    shell: /usr/sbin/jk_lsh
    move_home: true
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


def main():
    args = dict(
        user=dict(type="str", required=True),
        jail=dict(type="path", required=True),
        shell=dict(type="str"),
        chrootsh=dict(type="path"),
        move_home=dict(type="bool", default=False),
    )
    args.update(COMMON_ARGS)
    module = AnsibleModule(argument_spec=args, supports_check_mode=True)
    p = module.params
    argv = [tool_path(module, "jk_jailuser"), "-n", "--json"]
    if module.check_mode:
        argv.append("--dry-run")
    if p["move_home"]:
        argv.append("-m")
    if p["shell"]:
        argv += ["-s", p["shell"]]
    if p["chrootsh"]:
        argv.append("--chrootsh=" + p["chrootsh"])
    argv += ["-j", p["jail"], "--", p["user"]]
    exit_with_report(module, run_report(module, argv))


if __name__ == "__main__":
    main()
