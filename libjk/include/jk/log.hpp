// Two sinks, one format: stderr for the person at the terminal, syslog for
// the record. Security decisions go to LOG_AUTHPRIV.
#pragma once

#include <string>

namespace jk::log {

// Opens syslog with the tool's name as ident. facility is a LOG_* facility.
void open(const char* ident, int facility);

// Message to stderr only ("<tool>: msg").
void err(const std::string& msg);
// Warning to stderr only ("<tool>: warning: msg").
void warn(const std::string& msg);
// Message to syslog (priority e.g. LOG_NOTICE | LOG_AUTHPRIV) and stderr.
void both(int priority, const std::string& msg);
// Message to syslog only.
void syslog_only(int priority, const std::string& msg);

}  // namespace jk::log
