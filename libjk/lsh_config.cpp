#include "jk/lsh_config.hpp"

#include <algorithm>

#include "jk/config.hpp"
#include "jk/error.hpp"
#include "jk/lsh_rules.hpp"
#include "jk/text.hpp"

namespace jk::lsh {

namespace {

bool starts_with(std::string_view s, std::string_view p) {
    return s.substr(0, p.size()) == p;
}

std::vector<std::string_view> components(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = path.find('/', start);
        out.push_back(path.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out;
}

bool valid_env_name(std::string_view n) {
    if (n.empty() || (n[0] >= '0' && n[0] <= '9')) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    });
}

// Variables copied from jk_lsh's own environment (what sshd set up).
bool inherited_name(std::string_view n) {
    static constexpr std::string_view names[] = {
        "TERM", "LANG", "TZ", "SSH_CLIENT", "SSH_CONNECTION", "SSH_TTY", "SSH_ORIGINAL_COMMAND"};
    if (starts_with(n, "LC_")) return true;
    return std::find(std::begin(names), std::end(names), n) != std::end(names);
}

void set_var(std::vector<std::string>& env, std::string_view name, std::string_view value) {
    std::string item = std::string(name) + "=" + std::string(value);
    for (auto& e : env)
        if (starts_with(e, std::string(name) + "=")) {
            e = std::move(item);
            return;
        }
    env.push_back(std::move(item));
}

std::string who(const User& u) {
    return "user " + u.name + " (" + std::to_string(u.uid) + ")";
}

std::string join(const std::vector<std::string>& v, char sep) {
    std::string out;
    for (const auto& s : v) {
        if (!out.empty()) out += sep;
        out += s;
    }
    return out;
}

}  // namespace

Settings read_settings(const config::Section& s) {
    Settings st;
    st.executables = s.get_list("executables");
    st.paths = s.get_list("paths").value_or(std::vector<std::string>{});
    st.allow_word_expansion = s.get_bool("allow_word_expansion").value_or(false);
    if (auto m = s.get_octal("umask", 0777)) st.umask = static_cast<mode_t>(*m);
    st.environment = s.get_list("environment").value_or(std::vector<std::string>{});
    return st;
}

bool is_clean_absolute(std::string_view path) {
    if (path.size() < 2 || path[0] != '/') return false;
    const auto parts = components(path.substr(1));
    return std::none_of(parts.begin(), parts.end(),
                        [](std::string_view c) { return c.empty() || c == "." || c == ".."; });
}

bool has_dotdot(std::string_view path) {
    const auto parts = components(path);
    return std::find(parts.begin(), parts.end(), std::string_view("..")) != parts.end();
}

Resolution resolve_executable(const std::string& argv0, const std::vector<std::string>& paths,
                              const FileTest& is_file) {
    if (argv0.empty()) return {std::nullopt, "empty program name"};
    if (argv0[0] == '/') {
        if (!is_clean_absolute(argv0))
            return {std::nullopt, "the path is not in canonical form (no '//', '.', '..' or trailing '/')"};
        if (!is_file(argv0)) return {std::nullopt, "no such program"};
        return {argv0, ""};
    }
    if (has_dotdot(argv0)) return {std::nullopt, "a relative program name may not contain '..'"};
    for (std::string dir : paths) {
        if (dir.empty() || dir[0] != '/') continue;  // relative to the user's writable cwd: never
        while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
        const std::string candidate = (dir == "/" ? std::string() : dir) + "/" + argv0;
        if (is_file(candidate)) return {candidate, ""};
    }
    return {std::nullopt, "not found in paths"};
}

bool is_unsafe_env_name(std::string_view n) {
    // The variables glibc itself drops for setuid programs (unsecvars.h) and
    // IFS: each changes how a program is loaded or parses input.
    static constexpr std::string_view names[] = {
        "GCONV_PATH", "GETCONF_DIR", "GLIBC_TUNABLES",   "HOSTALIASES", "LOCALDOMAIN", "LOCPATH", "MALLOC_TRACE",
        "NIS_PATH",   "NLSPATH",     "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR",      "TZDIR",   "IFS"};
    if (starts_with(n, "LD_")) return true;
    return std::find(std::begin(names), std::end(names), n) != std::end(names);
}

Environment build_environment(const User& user, const Settings& st, const std::vector<std::string>& inherited,
                              bool git_family) {
    Environment out;
    auto& env = out.env;
    set_var(env, "HOME", user.home);
    set_var(env, "USER", user.name);
    set_var(env, "LOGNAME", user.name);
    set_var(env, "SHELL", user.shell);
    std::vector<std::string> abs_paths;
    for (const auto& p : st.paths)
        if (!p.empty() && p[0] == '/') abs_paths.push_back(p);
    set_var(env, "PATH", abs_paths.empty() ? std::string(default_path) : join(abs_paths, ':'));
    for (const std::string& e : inherited) {
        const std::size_t eq = e.find('=');
        if (eq == std::string::npos) continue;
        const std::string_view name(e.data(), eq);
        if (!inherited_name(name)) continue;
        const bool seen = std::any_of(env.begin(), env.end(),
                                      [&](const std::string& x) { return starts_with(x, std::string(name) + "="); });
        if (!seen) env.push_back(e);  // the first of duplicate entries, as getenv(3) sees it
    }
    for (const std::string& item : st.environment) {
        const std::size_t eq = item.find('=');
        if (eq == std::string::npos) {
            out.warnings.push_back("environment item '" + item + "' has no '=', ignoring");
            continue;
        }
        if (item.find('=', eq + 1) != std::string::npos) {
            out.warnings.push_back("environment item '" + item + "' has a second '=', ignoring (as jailkit did)");
            continue;
        }
        const std::string_view name(item.data(), eq);
        if (!valid_env_name(name)) {
            out.warnings.push_back("environment item '" + item + "' has an invalid name, ignoring");
            continue;
        }
        if (is_unsafe_env_name(name)) {
            out.warnings.push_back("environment item '" + item + "' sets a loader/libc variable, ignoring");
            continue;
        }
        set_var(env, name, std::string_view(item).substr(eq + 1));
    }
    if (git_family) {
        // Defence in depth behind the Landlock exec confinement (jk_lsh's
        // main), which is what covers every key, fixed-name or not
        // (filter.<driver>.*, diff.<driver>.textconv, tar.<format>.command,
        // core.alternateRefsCommand...). Command-line config (this
        // variable) is read after the repository's, so for these
        // single-valued keys ours wins; an empty credential.helper resets
        // the list. core.alternateRefsCommand is left out: git runs even an
        // empty value and reports an error on every push to a repository
        // with alternates. A user-written ~/.gitconfig is never read.
        set_var(env, "GIT_CONFIG_PARAMETERS", git_config_overrides);
        set_var(env, "GIT_CONFIG_GLOBAL", "/dev/null");
    }
    return out;
}

Decision decide(const config::IniFile& ini, const User& user, const std::string& command,
                const std::vector<std::string>& inherited_env, const FileTest& is_file, const Expander& expand) {
    Decision d;
    const std::string& inifile = ini.filename();
    const std::string shown = text::printable(command);
    auto refuse = [&](int code, std::string msg) {
        d.exit_code = code;
        d.message = std::move(msg);
        return d;
    };

    d.warnings = ini.warnings();
    const config::Section* section = ini.select_for_user(user.name, user.group);
    if (!section)
        return refuse(exit_section, "no section [" + user.name + "], [group " + user.group + "] or [DEFAULT] in " +
                                        inifile + " for " + who(user));
    for (const auto& w :
         config::unknown_keys(*section, {"executables", "paths", "allow_word_expansion", "umask", "environment"}))
        d.warnings.push_back(w);
    for (const config::Section& s : ini.sections())
        if (starts_with(s.name(), rule_section_prefix))
            for (const auto& w : config::unknown_keys(s, rule_keys)) d.warnings.push_back(w);

    Settings st;
    try {
        st = read_settings(*section);
    } catch (const ConfigError& e) {
        return refuse(exit_config, e.what());
    }
    if (!st.executables)
        return refuse(exit_no_executables,
                      "no 'executables' in section [" + section->name() + "] of " + inifile + " for " + who(user));

    SplitResult split = st.allow_word_expansion ? expand(command) : split_command(command);
    if (split.status == SplitResult::Status::forbidden)
        return refuse(exit_not_allowed, "WARNING: " + who(user) + " tried to run '" + shown + "': " + split.reason +
                                            "; jk_lsh runs no shell, refused");
    if (split.status != SplitResult::Status::ok)
        return refuse(exit_expansion, who(user) + ": malformed command line '" + shown + "': " + split.reason);
    if (split.words.empty()) return refuse(exit_not_allowed, who(user) + " sent an empty command, refused");

    const Resolution res = resolve_executable(split.words[0], st.paths, is_file);
    const std::string prog = res.path.value_or(split.words[0]);
    const auto& ex = *st.executables;
    if (!res.path || std::find(ex.begin(), ex.end(), *res.path) == ex.end())
        return refuse(exit_not_allowed, "WARNING: " + who(user) + " tried to run '" + text::printable(prog) +
                                            "', which is not allowed according to " + inifile +
                                            (res.path ? std::string() : " (" + res.reason + ")"));

    std::string source;
    std::optional<ArgRules> rules;
    try {
        rules = rules_for(ini, *res.path, &source);
    } catch (const ConfigError& e) {
        return refuse(exit_config, e.what());
    }
    const std::vector<std::string> args(split.words.begin() + 1, split.words.end());
    if (rules) {
        const RuleVerdict v = check_arguments(*rules, args);
        if (!v.allowed)
            return refuse(exit_not_allowed,
                          "WARNING: " + who(user) + " tried to run '" + shown + "', refused by the argument rules (" +
                              source + ") for " + *res.path + ": " +
                              (v.argument.empty() ? std::string() : "'" + text::printable(v.argument) + "': ") +
                              v.reason);
    }

    Environment env = build_environment(user, st, inherited_env, is_git_family(*res.path));
    d.warnings.insert(d.warnings.end(), env.warnings.begin(), env.warnings.end());
    d.env = std::move(env.env);
    d.path = *res.path;
    d.argv = std::move(split.words);
    d.umask = st.umask.value_or(default_umask);
    d.exit_code = exit_ok;
    d.message = "executing command '" + shown + "' for " + who(user);
    return d;
}

}  // namespace jk::lsh
