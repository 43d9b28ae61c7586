#!/usr/bin/env python3
"""Each tool's --help option list against its man page's OPTIONS section.

Usage: help_vs_man.py PAGE TOOL [PAGE TOOL]...
       help_vs_man.py --help-options TOOL   (print TOOL's options)

Every short (-c) and long (--configfile) option named at the start of a
--help line must be a tag (.TP head line) of the page's OPTIONS section, and
every option tagged there must be in --help. The tools are run by the
absolute paths meson passes. TAP output; exit 1 on any difference.
"""
import re
import subprocess
import sys

OPT = re.compile(r"(?<![\w-])(--[A-Za-z0-9][A-Za-z0-9-]*|-[A-Za-z0-9?])(?![\w])")


# Options a tool accepts and its page documents but its --help does not
# list. Each is a finding reported to the tool's owner (the --help text is
# theirs); remove the entry once --help lists the option.
ALIASES: dict[str, set[str]] = {}


def unescape(roff: str) -> str:
    # \- is a minus, \fB/\fI/\fR/\fP/\f(xx fonts; drop the macro and quotes.
    s = roff.replace("\\-", "-").replace("\\(en", "-")
    s = re.sub(r"\\f(\(..|\[[^]]*\]|.)", "", s)
    s = re.sub(r"\\&|\\\||\\\^|\\ ", "", s)
    s = re.sub(r"^\.[A-Za-z]+\s*", "", s)
    return s.replace('"', " ")


def page_options(path: str) -> set:
    lines = open(path, encoding="utf-8").read().split("\n")
    opts, in_options, take_next = set(), False, False
    for line in lines:
        if line.startswith(".SH"):
            in_options = line.split(None, 1)[1:] == ["OPTIONS"]
            take_next = False
            continue
        if not in_options:
            continue
        if line.startswith(".TP") or line.startswith(".TQ"):
            take_next = True
            continue
        if take_next:
            if line.startswith(".\\\""):
                continue
            take_next = False
            opts |= set(OPT.findall(unescape(line)))
    return opts


def name_of(tool: str) -> str:
    return tool.rsplit("/", 1)[-1]


def help_options(tool: str) -> set:
    r = subprocess.run([tool, "--help"], capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"{tool} --help exited {r.returncode}: {r.stderr.strip()}")
    opts = set()
    usage = False
    for line in r.stdout.split("\n"):
        s = line.strip()
        # The usage lines ("Usage: jk_lsh [IGNORED]... -c COMMAND" and the
        # indented alternatives after it) name options too.
        if s.startswith("Usage:") or (usage and line.startswith(" ") and s.split(" ", 1)[0] == name_of(tool)):
            usage = True
            opts |= set(OPT.findall(s))
            continue
        usage = False
        if not s.startswith("-"):
            continue
        head = re.split(r"\s{2,}", s, maxsplit=1)[0]  # the option part, before the description
        opts |= set(OPT.findall(head))
    return opts


def main(argv):
    if len(argv) == 2 and argv[0] == "--help-options":
        # For tests/docs/completion.sh: the options of one tool, one a line.
        print("\n".join(sorted(help_options(argv[1]))))
        return 0
    if len(argv) < 2 or len(argv) % 2:
        print("usage: help_vs_man.py PAGE TOOL [PAGE TOOL]...", file=sys.stderr)
        return 1
    failed, n = False, 0
    for page, tool in zip(argv[0::2], argv[1::2]):
        n += 1
        name = tool.rsplit("/", 1)[-1]
        try:
            h = help_options(tool)
        except Exception as e:  # noqa: BLE001 - any failure to run is a test failure
            print(f"not ok {n} - {name}: {e}")
            failed = True
            continue
        p = page_options(page) - ALIASES.get(name, set())
        problems = []
        if not h:
            problems.append("--help lists no options")
        if not p:
            problems.append(f"{page} has no options in OPTIONS")
        if h - p:
            problems.append("in --help but not in the page's OPTIONS: " + " ".join(sorted(h - p)))
        if p - h:
            problems.append("in the page's OPTIONS but not in --help: " + " ".join(sorted(p - h)))
        if problems:
            failed = True
            print(f"not ok {n} - {name}")
            for pr in problems:
                print(f"#   {pr}")
        else:
            print(f"ok {n} - {name}: {' '.join(sorted(h))}")
    print(f"1..{n}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
