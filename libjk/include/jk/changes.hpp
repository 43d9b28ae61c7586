// What a run of a tool that changes a jail did, or would do in a dry run:
// each entry created, updated, removed or left alone. It is the --json
// report of jk_cp, jk_init, jk_update and jk_jailuser (the one format,
// described in jk_json(5)), which configuration management (the Ansible
// collection) reads to say "changed" truthfully.
//
// MUST:
//  1. changed() is true exactly when something was (or, in a dry run,
//     would be) created, updated or removed.
//  2. The document is valid JSON whatever bytes the paths hold
//     (json::escape), and lists entries in the order they happened.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace jk::changes {

enum class Action { created, updated, removed, unchanged };

struct Change {
    Action action;
    std::string path;    // inside the jail ("/usr/bin/ls"), or a host path for host-side changes
    std::string type;    // "file", "directory", "symlink", "device", "user", "group", "config"...
    std::string detail;  // why or how ("hardlink", "library", "home moved"); may be empty
};

class Report {
public:
    // Records the step; the same step again (action, path, type and
    // detail) is recorded once (two steps of one run may both make /etc).
    void add(Action action, std::string path, std::string type, std::string detail = {});
    void warn(std::string message);
    // The run failed without an exception (a tool that goes on after one
    // refusal): the document's "error" unless an exception says otherwise.
    void fail(std::string message);
    const std::string& failure() const noexcept { return failure_; }
    void append(const Report& other);

    bool changed() const noexcept;
    const std::vector<Change>& items() const noexcept { return items_; }
    const std::vector<std::string>& warnings() const noexcept { return warnings_; }

private:
    std::vector<Change> items_;
    std::vector<std::string> warnings_;
    std::unordered_set<std::string> seen_;  // the fields joined by '\0'
    std::string failure_;
};

// The document, newline-terminated:
// {"tool":T,"format":1,"jail":J,"dry_run":B,"changed":B,
//  "created":[{"path":P,"type":T,"detail":D}...],"updated":[...],
//  "removed":[...],"unchanged":[...],"warnings":[...],"error":null|MSG}
// "detail" only where non-empty.
std::string to_json(const Report& report, std::string_view tool, std::string_view jail, bool dry_run,
                    std::string_view error = {});

std::string_view action_name(Action action);

// A tool's --json run: runs body, then prints to_json() on stdout, also when
// body throws (its message as "error", what was done until then listed),
// and rethrows so the tool's message and exit status stay what they are.
// Without json it runs body, and after a dry run prints what would be
// done, one line per change ("would create file /usr/bin/ls").
struct JsonRun {
    std::string_view tool;
    std::string jail;
    bool json = false;
    bool dry_run = false;
    bool plan_lines = true;  // false: the tool prints its own dry-run lines (jk_update)
};
int run_reported(const JsonRun& run, const Report& report, const std::function<int()>& body);

}  // namespace jk::changes
