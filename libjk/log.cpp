#include "jk/log.hpp"

#include <syslog.h>

#include <cstdio>

#include "jk/main.hpp"

namespace jk::log {

void open(const char* ident, int facility) {
    ::openlog(ident, LOG_PID | LOG_NDELAY, facility);
}

void err(const std::string& msg) {
    std::fprintf(stderr, "%s: %s\n", program_name(), msg.c_str());
}

void warn(const std::string& msg) {
    std::fprintf(stderr, "%s: warning: %s\n", program_name(), msg.c_str());
}

void syslog_only(int priority, const std::string& msg) {
    ::syslog(priority, "%s", msg.c_str());
}

void both(int priority, const std::string& msg) {
    syslog_only(priority, msg);
    err(msg);
}

}  // namespace jk::log
