#!/usr/bin/env bash
# placeholder until issue 5 lands
echo "1..0 # SKIP not written yet"
exit 77
