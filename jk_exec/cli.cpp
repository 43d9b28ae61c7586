#include "jk_exec/cli.hpp"

#include "jk/cli.hpp"
#include "jk/error.hpp"

namespace jk_exec {

const char* usage_text() {
    return "Usage: jk_exec [-u USER|UID | -U USER|UID] [--] JAIL COMMAND [ARGUMENT]...\n"
           "Run COMMAND inside the chroot jail JAIL, in the foreground, as root or as\n"
           "USER, with the jail's isolation policy (jk_jail.ini(5)) and a clean\n"
           "environment; the exit status is COMMAND's. Run by root. COMMAND is an\n"
           "absolute path inside the jail, or a name searched in the jail's\n"
           "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin. Options end at JAIL.\n"
           "\n"
           "  -u, --user=USER|UID       run as this user of the jail's /etc/passwd\n"
           "  -U, --host-user=USER|UID  run as this user of the host's user database\n"
           "  -h, --help                show this help and exit\n"
           "      --version             show the version and exit\n"
           "\n"
           "Without -u or -U the command runs as root (see jk_exec(8)).\n"
           "Every run and refusal is logged to syslog (facility authpriv).\n";
}

Options parse_args(const std::vector<std::string>& argv) {
    enum { opt_version = 256 };
    static const option long_options[] = {
        {"user", required_argument, nullptr, 'u'},
        {"host-user", required_argument, nullptr, 'U'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, opt_version},
        {nullptr, 0, nullptr, 0},
    };

    Options o;
    // '+': the first operand (JAIL) ends the options, so the command's own
    // options pass through untouched.
    std::vector<std::string> operands = jk::cli::parse(argv, "+u:U:h", long_options, [&](int c, const char* arg) {
        switch (c) {
            case 'u': jk::cli::assign_nonempty_once(o.user, arg, "-u/--user", "a user name or ID"); break;
            case 'U': jk::cli::assign_nonempty_once(o.host_user, arg, "-U/--host-user", "a user name or ID"); break;
            case 'h': o.help = true; break;
            case opt_version: o.version = true; break;
            default: throw jk::UsageError("unexpected option");
        }
    });
    if (o.help || o.version) return o;
    if (o.user && o.host_user)
        throw jk::UsageError(
            "options '-u/--user' and '-U/--host-user' exclude each other: the user is found in "
            "the jail's passwd or in the host's");
    if (operands.empty()) throw jk::UsageError("no jail given");
    if (operands[0].empty()) throw jk::UsageError("the jail is an empty path");
    if (operands.size() < 2) throw jk::UsageError("no command given");
    if (operands[1].empty()) throw jk::UsageError("the command is an empty word");
    o.jail = std::move(operands[0]);
    o.command.assign(std::make_move_iterator(operands.begin() + 1), std::make_move_iterator(operands.end()));
    return o;
}

}  // namespace jk_exec
