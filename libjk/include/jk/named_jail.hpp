// A jail as root names it on a tool's command line (jk_exec -j, jk_trace -j,
// jk_init --remove -j): the name checked to be canonical, then the jail
// opened and checked by Jail::open. One function for every tool, so that
// what a canonical jail name is cannot differ between them.
//
// MUST (DESIGN.md invariant 2; jail.hpp MUST 1):
//  1. The name is canonical (path::noncanonical) before anything is looked
//     up: the string shown, logged and matched against processes and homes
//     is the one the kernel resolves, never a lexical cleanup of "link/..".
//  2. The jail is opened and checked once, by Jail::open, and used through
//     that fd; no check is made on a path that is opened again later.
//  3. Every refusal says which step failed (JailNameError::problem), so
//     each tool keeps its own words and exit codes (jailkit's differ).
#pragma once

#include <optional>
#include <string>

#include "jk/error.hpp"
#include "jk/jail.hpp"
#include "jk/path.hpp"

namespace jk {

// Why a jail named on a command line cannot be used. what() is the wording
// jk_exec and jk_trace show; a tool with words of its own uses problem(),
// name() and detail().
class JailNameError : public Error {
public:
    enum class Problem {
        not_absolute,  // detail(): path::noncanonical's reason
        noncanonical,  // detail(): path::noncanonical's reason ("has a '..' component")
        host_root,     // "/", where JailNaming::host_root is false
        unsafe,        // the jail or a directory above it fails its trust rule: detail() is the UnsafePath's what()
        cannot_open,   // detail() is the SysError's what(), err() its errno
    };
    JailNameError(Problem problem, std::string name, std::string detail, int err = 0);
    Problem problem() const noexcept { return problem_; }
    // The name as given for not_absolute and noncanonical, canonical after.
    const std::string& name() const noexcept { return name_; }
    const std::string& detail() const noexcept { return detail_; }
    int err() const noexcept { return err_; }

private:
    Problem problem_;
    std::string name_;
    std::string detail_;
    int err_;
};

// What a tool accepts as a jail's name beyond MUST 1.
struct JailNaming {
    // One '/' may end the name (jailkit's jk_uchroot accepts "/srv/jail/");
    // the jail's path() is without it.
    path::TrailingSlash trailing = path::TrailingSlash::refused;
    // "/" may be the jail (jk_exec, as jailkit's tools let root do).
    bool host_root = false;
    // Nothing at the name is no jail, not an error (jk_init --remove of a
    // jail already gone). Whether anything is there is asked by lstat(2) of
    // the name, as jk_init always asked; what is there is opened by MUST 2.
    bool may_be_absent = false;
};

// The jail `given` names, opened and checked (MUST 1, 2); nullopt only
// with naming.may_be_absent when nothing is there. Throws JailNameError.
std::optional<Jail> open_named_jail(const std::string& given, const JailNaming& naming);

}  // namespace jk
