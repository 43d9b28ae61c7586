#!/usr/bin/env bash
# Placeholder while the test is being written (issue 6, point 5).
source "$(dirname "$0")/../lib/common.sh"
skip_unless_root
setup_root
ok "placeholder"
finish
