# -*- coding: utf-8 -*-
# What every module of the collection documents alike: where the tools are.
from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  bindir:
    description: The directory of the jailkit-ng tools; by default /usr/sbin, then /usr/local/sbin (never $PATH).
    type: path
author:
  - jailkit-ng developers
"""
