#include "jk/lsh_rules.hpp"

#include <algorithm>

#include "jk/config.hpp"

namespace jk::lsh {

namespace {

std::string_view basename_of(std::string_view path) {
    const std::size_t slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

// "-abc": a single-dash cluster of short options (not "-" alone, not "--...").
bool is_cluster(std::string_view arg) {
    return arg.size() >= 2 && arg[0] == '-' && arg[1] != '-';
}

// Whether the letters of a cluster (without its dash) contain `letter`.
// With rsync_capabilities, "e." ends the cluster: the rest is the argument
// of -e, which rsync --server reads as the client's capability string.
bool cluster_has(std::string_view letters, char letter, bool rsync_capabilities) {
    for (std::size_t i = 0; i < letters.size(); ++i) {
        if (rsync_capabilities && letters[i] == 'e' && i + 1 < letters.size() && letters[i + 1] == '.') return false;
        if (letters[i] == letter) return true;
    }
    return false;
}

// "HOST:FILE": a ':' before any '/', after a non-empty host part.
bool names_remote_file(std::string_view name) {
    const std::size_t colon = name.find(':');
    return colon != std::string_view::npos && colon > 0 && name.substr(0, colon).find('/') == std::string_view::npos;
}

// The file name an argument gives, in tar's syntax, when it gives one: the
// argument itself, a --file= value (or an abbreviation's), or what follows
// 'f' in a short-option cluster ("-fHOST:X", "cvfHOST:X" for old style).
std::optional<std::string_view> named_file(std::string_view arg, bool first_old_style) {
    if (starts_with(arg, "--")) {
        const std::size_t eq = arg.find('=');
        const std::string_view name = arg.substr(2, eq == std::string_view::npos ? eq : eq - 2);
        if (eq == std::string_view::npos || name.empty() || !starts_with("file", name)) return std::nullopt;
        return arg.substr(eq + 1);
    }
    const bool cluster = is_cluster(arg) || (first_old_style && !arg.empty() && arg[0] != '-');
    if (!cluster) return arg;
    const std::size_t f = arg.find('f', arg[0] == '-' ? 1 : 0);
    if (f == std::string_view::npos || f + 1 == arg.size()) return std::nullopt;
    return arg.substr(f + 1);
}

const std::vector<std::string> git_options = {"--stateless-rpc", "--advertise-refs", "--strict", "--timeout=*",
                                              "--http-backend-info-refs"};

}  // namespace

bool matches_deny(std::string_view pattern, std::string_view arg, bool rsync_capabilities) {
    if (pattern.empty()) return false;
    const bool glob = pattern.back() == '*';
    const std::string_view stem = glob ? pattern.substr(0, pattern.size() - 1) : pattern;

    if (starts_with(stem, "--") && stem.size() > 2) {
        if (!starts_with(arg, "--") || arg.size() == 2) return false;  // "--" alone ends options
        const std::string_view name = stem.substr(2);
        std::string_view given = arg.substr(2);
        given = given.substr(0, given.find('='));
        if (given.empty()) return false;
        // An abbreviation of the denied name (or the name itself).
        if (starts_with(name, given)) return true;
        return glob && starts_with(given, name);
    }
    if (stem.size() == 2 && stem[0] == '-' && stem[1] != '-') {
        if (!is_cluster(arg)) return false;
        return cluster_has(arg.substr(1), stem[1], rsync_capabilities);
    }
    return glob ? starts_with(arg, stem) : arg == stem;
}

bool matches_allow(std::string_view pattern, std::string_view arg) {
    if (!pattern.empty() && pattern.back() == '*') return starts_with(arg, pattern.substr(0, pattern.size() - 1));
    return arg == pattern;
}

RuleVerdict check_arguments(const ArgRules& rules, const std::vector<std::string>& args) {
    auto refuse = [](std::string arg, std::string reason) {
        return RuleVerdict{false, std::move(arg), std::move(reason)};
    };
    if (!rules.require_first.empty()) {
        if (args.empty()) return refuse("", "the first argument must be one of the allowed ones, none was given");
        if (std::find(rules.require_first.begin(), rules.require_first.end(), args[0]) == rules.require_first.end())
            return refuse(args[0], "the first argument is not one of the allowed ones");
    }
    if (!rules.require_any.empty()) {
        const bool found = std::any_of(args.begin(), args.end(), [&](const std::string& a) {
            return std::find(rules.require_any.begin(), rules.require_any.end(), a) != rules.require_any.end();
        });
        if (!found) return refuse("", "a required argument is missing");
    }
    const bool force_local =
        rules.local_files_only && std::find(args.begin(), args.end(), "--force-local") != args.end();
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (rules.local_files_only && !force_local) {
            const auto file = named_file(a, i == 0 && rules.old_style_options);
            if (file && names_remote_file(*file))
                return refuse(a,
                              "names a remote file HOST:FILE, which would run a remote shell (add --force-local "
                              "for a local name with ':')");
        }
        for (const std::string& d : rules.deny) {
            if (matches_deny(d, a, rules.rsync_capabilities))
                return refuse(a, "argument matches the denied option '" + d + "'");
            // tar's first argument may be a cluster without the dash.
            if (i == 0 && rules.old_style_options && !a.empty() && a[0] != '-' && matches_deny(d, "-" + a, false))
                return refuse(a, "argument matches the denied option '" + d + "'");
        }
        if (rules.allow_options && !a.empty() && a[0] == '-') {
            const auto& allow = *rules.allow_options;
            if (std::none_of(allow.begin(), allow.end(), [&](const std::string& p) { return matches_allow(p, a); }))
                return refuse(a, "option is not among the allowed ones");
        }
    }
    return {};
}

bool is_git_family(std::string_view path) {
    const std::string_view b = basename_of(path);
    return b == "git" || b == "git-upload-pack" || b == "git-receive-pack" || b == "git-upload-archive" ||
           b == "git-shell";
}

std::optional<ArgRules> builtin_rules(std::string_view path) {
    const std::string_view b = basename_of(path);
    ArgRules r;
    if (b == "rsync") {
        // Only the server side a remote rsync client starts. Client mode (and
        // the options below) can start programs: -e/--rsh, --rsync-path,
        // --daemon with a user-written rsyncd.conf ("pre-xfer exec"),
        // --config, --dparam, -M/--remote-option. -s/--secluded-args makes the
        // server read further options from the connection, where jk_lsh
        // cannot check them. --copy-as switches identity, --early-input
        // feeds a daemon's exec.
        r.require_first = {"--server"};
        r.deny = {"--rsh*",           "-e", "--rsync-path*",    "--daemon*",       "--config*",  "--dparam*",     "-M",
                  "--remote-option*", "-s", "--secluded-args*", "--protect-args*", "--copy-as*", "--early-input*"};
        r.rsync_capabilities = true;
        return r;
    }
    if (b == "scp") {
        // Only the legacy scp server side (scp [-v -r -p -d] -t|-f PATH). The
        // client side runs ssh, which reads the user's own ~/.ssh/config
        // (ProxyCommand, LocalCommand).
        r.require_any = {"-t", "-f"};
        r.allow_options = std::vector<std::string>{"-v", "-r", "-p", "-d", "-t", "-f", "--"};
        r.deny = {"-S", "-o", "-F", "-J"};
        return r;
    }
    if (b == "git") {
        r.require_first = {"upload-pack", "receive-pack", "upload-archive"};
        r.allow_options = git_options;
        r.deny = {"-c*", "-C", "--upload-pack*", "--receive-pack*", "--exec*", "--config-env*"};
        return r;
    }
    if (b == "git-upload-pack" || b == "git-receive-pack" || b == "git-upload-archive") {
        r.allow_options = git_options;
        return r;
    }
    if (b == "find") {
        r.deny = {"-exec*", "-ok*", "-fprint*", "-fls*"};
        return r;
    }
    if (b == "tar") {
        r.deny = {"--to-command*",        "--use-compress-program*", "-I",
                  "--checkpoint-action*", "--info-script*",          "-F",
                  "--new-volume-script*", "--rsh-command*",          "--rmt-command*"};
        r.old_style_options = true;
        r.local_files_only = true;
        return r;
    }
    return std::nullopt;
}

ArgRules rules_from_section(const config::Section& s) {
    ArgRules r;
    r.require_first = s.get_list("require_first").value_or(std::vector<std::string>{});
    r.require_any = s.get_list("require_any").value_or(std::vector<std::string>{});
    if (s.has("allow_options")) r.allow_options = s.get_list("allow_options").value_or(std::vector<std::string>{});
    r.deny = s.get_list("deny").value_or(std::vector<std::string>{});
    r.rsync_capabilities = s.get_bool("rsync_capabilities").value_or(false);
    r.old_style_options = s.get_bool("old_style_options").value_or(false);
    r.local_files_only = s.get_bool("local_files_only").value_or(false);
    return r;
}

std::optional<ArgRules> rules_for(const config::IniFile& ini, std::string_view path, std::string* source) {
    const std::string prefix(rule_section_prefix);
    const config::Section* s = nullptr;
    if (!path.empty() && path[0] == '/') s = ini.find(prefix + std::string(path));
    if (!s) s = ini.find(prefix + std::string(basename_of(path)));
    if (s) {
        if (source) *source = "[" + s->name() + "]";
        ArgRules r = rules_from_section(*s);
        if (r.empty()) return std::nullopt;
        return r;
    }
    auto b = builtin_rules(path);
    if (source) *source = b ? "built-in rules" : "none";
    return b;
}

}  // namespace jk::lsh
