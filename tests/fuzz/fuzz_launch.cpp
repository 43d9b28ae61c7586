// launch.hpp's pure helpers (jk_uchroot, jk_chrootlaunch). The input is
// "JAIL\0EXEC\0ALLOWED\0ALLOWED...": allowed_jails matching (a path is
// allowed exactly when its cleaned spelling is listed), -x's inner path,
// -u/-g id parsing and the program's environment built from the words as a
// caller environment.
#include <string>
#include <vector>

#include "jk/jail.hpp"
#include "jk/launch.hpp"
#include "jk/privilege.hpp"
#include "tests/fuzz/fuzz_common.hpp"

namespace {
namespace la = jk::launch;
using jk_fuzz::check;
using jk_fuzz::tolerate;

void one_input(std::string_view input) {
    const std::string jail(jk_fuzz::next_part(input));
    const std::string exec(jk_fuzz::next_part(input));
    std::vector<std::string> allowed;
    if (!input.empty()) allowed = jk_fuzz::split_nul(input);

    const bool ok = la::jail_allowed(jail, allowed);
    if (ok) check(!jail.empty() && jail[0] == '/');
    // A jail is allowed by its own spelling, relative paths never are.
    if (!jail.empty() && jail[0] == '/') check(la::jail_allowed(jail, {jail}));
    check(!la::jail_allowed(jail, {}));
    if (!jail.empty() && jail[0] != '/') check(!ok);

    tolerate([&] {
        if (jail.empty() || jail[0] != '/') return;
        const auto inner = la::chrootlaunch_inner_path(jail, exec);
        check(!inner.empty() && inner[0] == '/' && inner != "/");
        check(jk::normalize_absolute(inner) == inner);
    });
    for (const auto* spec : {&jail, &exec}) {
        tolerate([&] {
            if (const auto id = la::parse_numeric_id(*spec)) check(*id != static_cast<unsigned>(-1));
        });
    }
    const auto env = la::environment(jk::privilege::CallerEnvironment(allowed), exec, jail, "/bin/sh");
    for (const auto& e : env) {
        const auto eq = e.find('=');
        check(eq != std::string::npos && eq > 0);
        check(e.rfind("LD_", 0) != 0);
    }
}
}  // namespace

JK_FUZZ_TARGET({ one_input(input); })
