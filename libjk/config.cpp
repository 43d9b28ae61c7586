// INI loading on inih. The dialect is described in jk/config.hpp.
//
// MUST:
//  1. No value, key or section name is ever truncated: every line is lexed
//     here in full, and inih only ever sees a line that fits its buffer
//     (the line itself, or a short stand-in of the same kind).
//  2. No exception crosses inih's C frames: the reader and the handler catch
//     everything, store it, and make inih stop; parse() rethrows.
//  3. Malformed input is a ConfigError naming file and line; findings that
//     keep the file usable are warnings, never silent.
//  4. Trusted files are checked on the opened fd (fstat), never by path.
#include "jk/config.hpp"

#include <fcntl.h>
#include <ini.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <set>
#include <system_error>

#include "jk/error.hpp"
#include "jk/fd.hpp"
#include "jk/sys.hpp"
#include "jk/text.hpp"
#include "jk/trust.hpp"

namespace jk::config {

namespace {

// The blanks of the C locale's isspace(), which inih trims with; using the
// same set keeps our lexer and inih agreeing on where a line's text starts.
bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    return true;
}

std::string too_large(std::size_t limit) {
    return "is larger than " + std::to_string(limit) + " bytes, refusing to read it";
}

constexpr std::string_view kBom = "\xEF\xBB\xBF";

}  // namespace

// ---------------------------------------------------------------- names

std::string normalize_key(std::string_view key) {
    std::string out;
    for (char c : key)
        if (!is_blank(c)) out += ascii_lower(c);
    return out;
}

std::string normalize_section_name(std::string_view name) {
    std::string out;
    bool gap = false;
    for (char c : text::trim(name)) {
        if (is_blank(c)) {
            gap = true;
            continue;
        }
        if (gap) out += ' ';
        gap = false;
        out += c;
    }
    return out;
}

std::vector<std::string> split_list(std::string_view value) {
    std::vector<std::string> items;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= value.size(); ++i) {
        if (i < value.size() && value[i] != ',' && value[i] != '\n') continue;
        std::string_view item = text::trim(value.substr(start, i - start));
        if (!item.empty()) items.emplace_back(item);
        start = i + 1;
    }
    return items;
}

// ---------------------------------------------------------------- Section

Section::Section(std::string file, std::string name, int line)
    : file_(std::move(file)), name_(std::move(name)), line_(line) {}

void Section::append(Entry e) {
    entries_.push_back(std::move(e));
}

const Entry* Section::find(std::string_view key) const {
    const std::string k = normalize_key(key);
    for (const Entry& e : entries_)
        if (e.key == k) return &e;
    return nullptr;
}

std::optional<std::string> Section::get_string(std::string_view key) const {
    const Entry* e = find(key);
    if (!e) return std::nullopt;
    return e->value;
}

std::optional<std::vector<std::string>> Section::get_list(std::string_view key,
                                                          std::vector<std::string>* warnings) const {
    const Entry* e = find(key);
    if (!e) return std::nullopt;
    std::vector<std::string> items = split_list(e->value);
    if (warnings) {
        for (const std::string& item : items) {
            // Blanks around the '|' of jk_init's "A | B" alternatives are
            // part of that syntax; only a blank inside one path is a finding.
            bool blank = false;
            for (std::string_view rest = item; !blank;) {
                const std::size_t bar = rest.find('|');
                blank = text::trim(rest.substr(0, bar)).find_first_of(" \t") != std::string_view::npos;
                if (bar == std::string_view::npos) break;
                rest.remove_prefix(bar + 1);
            }
            if (!blank) continue;
            warnings->push_back(file_ + ":" + std::to_string(e->line) + ": item " + quoted(item) + " of " +
                                quoted(e->raw_key) +
                                " contains a blank; list items are separated by ',', not by spaces");
        }
    }
    return items;
}

std::optional<bool> Section::get_bool(std::string_view key) const {
    const Entry* e = find(key);
    if (!e) return std::nullopt;
    for (std::string_view t : {"1", "yes", "true", "on"})
        if (iequals(e->value, t)) return true;
    for (std::string_view f : {"0", "no", "false", "off"})
        if (iequals(e->value, f)) return false;
    throw ConfigError(file_, e->line,
                      "invalid boolean " + quoted(e->value) + " for " + quoted(e->raw_key) +
                          " (use yes/no, true/false, on/off or 1/0)");
}

std::optional<long long> Section::get_int(std::string_view key, long long min, long long max) const {
    const Entry* e = find(key);
    if (!e) return std::nullopt;
    std::string_view v = e->value;
    // from_chars takes '-' but not '+'; accept both, but only one sign.
    std::string_view digits = v;
    if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) digits.remove_prefix(1);
    if (!v.empty() && v.front() == '+') v.remove_prefix(1);
    const bool all_digits = !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
    long long out = 0;
    std::from_chars_result r{};
    if (all_digits) r = std::from_chars(v.data(), v.data() + v.size(), out);
    if (!all_digits || r.ec == std::errc::invalid_argument || r.ptr != v.data() + v.size())
        throw ConfigError(file_, e->line, "invalid integer " + quoted(e->value) + " for " + quoted(e->raw_key));
    if (r.ec == std::errc::result_out_of_range || out < min || out > max)
        throw ConfigError(file_, e->line,
                          quoted(e->value) + " for " + quoted(e->raw_key) + " is out of range (" + std::to_string(min) +
                              " to " + std::to_string(max) + ")");
    return out;
}

std::optional<unsigned> Section::get_octal(std::string_view key, unsigned max) const {
    const Entry* e = find(key);
    if (!e) return std::nullopt;
    if (e->value.empty() || e->value.find_first_not_of("01234567") != std::string::npos)
        throw ConfigError(
            file_, e->line,
            "invalid octal number " + quoted(e->value) + " for " + quoted(e->raw_key) + " (digits 0-7 only)");
    unsigned long long out = 0;
    for (char c : e->value) {
        out = out * 8 + static_cast<unsigned>(c - '0');
        // Checked per digit so a thousand-digit value cannot wrap around.
        if (out > max) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "0%o", max);
            throw ConfigError(file_, e->line,
                              quoted(e->value) + " for " + quoted(e->raw_key) + " is larger than " + buf);
        }
    }
    return static_cast<unsigned>(out);
}

std::optional<double> Section::get_double(std::string_view key, double min, double max) const {
    const Entry* e = find(key);
    if (!e) return std::nullopt;
    std::string_view v = e->value;
    const bool had_plus = !v.empty() && v.front() == '+';
    if (had_plus) v.remove_prefix(1);
    double out = 0;
    std::from_chars_result r{};
    // Only decimal notation: no "inf", "nan", hex, or a second sign.
    const bool plausible = !v.empty() && !(had_plus && (v.front() == '+' || v.front() == '-')) &&
                           v.find_first_not_of("0123456789.eE+-") == std::string_view::npos;
    if (plausible) r = std::from_chars(v.data(), v.data() + v.size(), out, std::chars_format::general);
    if (!plausible || r.ec != std::errc() || r.ptr != v.data() + v.size() || !std::isfinite(out))
        throw ConfigError(file_, e->line, "invalid number " + quoted(e->value) + " for " + quoted(e->raw_key));
    if (out < min || out > max)
        throw ConfigError(file_, e->line,
                          quoted(e->value) + " for " + quoted(e->raw_key) + " is out of range (" + std::to_string(min) +
                              " to " + std::to_string(max) + ")");
    return out;
}

// ---------------------------------------------------------------- parser

enum class LineKind { blank, comment, header, entry, continuation };

// The state shared by the inih reader and handler for one parse. The reader
// lexes each line and applies what inih never reports (section headers);
// the handler records entries and continuations once inih has recognised
// the line as one.
struct ParseState {
    ParseState(std::string_view t, IniFile& out) : text(t), ini(out), file(out.filename_) {}

    std::string_view text;
    std::size_t pos = 0;
    IniFile& ini;
    const std::string& file;

    // The line being processed.
    int lineno = 0;
    LineKind kind = LineKind::blank;
    std::string name;   // section name (normalised) or raw key
    std::string value;  // value, or a continuation's trimmed text
    bool handled = false;

    // Where we are in the file.
    std::optional<std::size_t> section;     // index into ini.sections_; nullopt before the first header
    bool section_ignored = false;           // inside a duplicate section
    bool have_key = false;                  // a key since the last header (inih's prev_name)
    std::optional<std::size_t> last_entry;  // entry a continuation extends; nullopt if that key was ignored

    std::optional<ConfigError> error;
    std::exception_ptr other_failure;

    [[noreturn]] void fail(const std::string& message) const { throw ConfigError(file, lineno, message); }
    void warn(int line, const std::string& message) {
        ini.warnings_.push_back(file + ":" + std::to_string(line) + ": " + message);
    }

    char* next_line(char* buf, int num);
    void lex(std::string_view line);
    void lex_header(std::string_view trimmed);
    void lex_entry(std::string_view trimmed);
    void open_section();
    void on_handler();
    void add_entry();
    void add_continuation();
    void check_line_done() const;
    void fill(char* buf, int num, std::string_view line) const;
};

void ParseState::check_line_done() const {
    const bool wants_handler = kind == LineKind::entry || kind == LineKind::continuation;
    if (wants_handler && !handled) fail("line not recognised by the INI parser");
}

char* ParseState::next_line(char* buf, int num) {
    if (lineno > 0) check_line_done();
    if (pos >= text.size()) return nullptr;

    const std::size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    handled = false;

    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF
    if (lineno == 1 && line.substr(0, kBom.size()) == kBom) line.remove_prefix(kBom.size());
    // inih works on C strings: a NUL would end the line early, silently.
    if (line.find('\0') != std::string_view::npos) fail("contains a NUL byte");

    lex(line);
    fill(buf, num, line);
    return buf;
}

// Gives inih the line itself if it fits its buffer (line, '\n', NUL), else a
// stand-in of the same kind: inih then sees the same structure and we keep
// the full text, so nothing is truncated whatever inih's buffer size.
void ParseState::fill(char* buf, int num, std::string_view line) const {
    const auto room = static_cast<std::size_t>(num > 0 ? num : 0);
    std::string_view out;
    std::string verbatim;
    if (line.size() + 2 <= room) {
        verbatim.assign(line);
        verbatim += '\n';
        out = verbatim;
    } else {
        switch (kind) {
            case LineKind::blank: out = "\n"; break;
            case LineKind::comment: out = "#\n"; break;
            case LineKind::header: out = "[s]\n"; break;
            case LineKind::entry: out = "k=v\n"; break;
            case LineKind::continuation: out = " c\n"; break;
        }
    }
    // One bound for both paths, checked right before the copy: an error in
    // the arithmetic above becomes a ConfigError, never an overflow of inih's
    // stack buffer.
    if (out.size() + 1 > room) fail("the INI parser's line buffer is too small");
    std::memcpy(buf, out.data(), out.size());
    buf[out.size()] = '\0';
}

// Classifies a line with inih's precedence: comment, continuation, header,
// key. Continuation is checked before header as inih (and configparser) do.
void ParseState::lex(std::string_view line) {
    const std::string_view trimmed = text::trim(line);
    name.clear();
    value.clear();
    if (trimmed.empty()) {
        kind = LineKind::blank;
    } else if (trimmed.front() == '#' || trimmed.front() == ';') {
        kind = LineKind::comment;
    } else if (is_blank(line.front()) && have_key) {
        kind = LineKind::continuation;
        value.assign(trimmed);
    } else if (trimmed.front() == '[') {
        lex_header(trimmed);
    } else {
        lex_entry(trimmed);
    }
}

void ParseState::lex_header(std::string_view trimmed) {
    kind = LineKind::header;
    const std::size_t close = trimmed.find(']');
    if (close == std::string_view::npos) fail("missing ']' in section header");
    name = normalize_section_name(trimmed.substr(1, close - 1));
    if (name.empty()) fail("empty section name");
    const std::string_view rest = text::trim(trimmed.substr(close + 1));
    if (!rest.empty() && rest.front() != '#' && rest.front() != ';')
        warn(lineno, "text " + quoted(std::string(rest)) + " after section header [" + name + "], ignoring");
    // inih never tells the handler about a header, so the section is opened
    // here; an empty section still exists (a [user] with no keys is chosen).
    open_section();
}

void ParseState::open_section() {
    have_key = false;
    last_entry.reset();
    for (std::size_t i = 0; i < ini.sections_.size(); ++i) {
        if (ini.sections_[i].name() != name) continue;
        warn(lineno, "duplicate section [" + name + "] (first at line " + std::to_string(ini.sections_[i].line()) +
                         "), ignoring its keys");
        section = i;
        section_ignored = true;
        return;
    }
    ini.sections_.emplace_back(file, name, lineno);
    section = ini.sections_.size() - 1;
    section_ignored = false;
}

void ParseState::lex_entry(std::string_view trimmed) {
    kind = LineKind::entry;
    const std::size_t delim = trimmed.find_first_of("=:");
    if (delim == std::string_view::npos) fail("expected 'key = value', '[section]' or a comment");
    name.assign(text::trim(trimmed.substr(0, delim)));
    value.assign(text::trim(trimmed.substr(delim + 1)));
    if (normalize_key(name).empty()) fail("missing key name before " + quoted(std::string(1, trimmed[delim])));
    if (!section) fail("key " + quoted(name) + " is outside any [section]");
    have_key = true;
}

void ParseState::on_handler() {
    if (handled) fail("line reported twice by the INI parser");
    handled = true;
    if (kind == LineKind::entry)
        add_entry();
    else if (kind == LineKind::continuation)
        add_continuation();
    else
        fail("line read differently by the INI parser");
}

void ParseState::add_entry() {
    last_entry.reset();
    if (section_ignored) return;
    Section& sec = ini.sections_[*section];
    const std::string key = normalize_key(name);
    if (const Entry* first = sec.find(key)) {
        warn(lineno, "duplicate key " + quoted(name) + " in section [" + sec.name() + "] (first at line " +
                         std::to_string(first->line) + "), ignoring");
        return;
    }
    sec.append(Entry{key, name, value, lineno});
    last_entry = sec.entries_.size() - 1;
}

namespace {

// An indented "word = value" line (or an indented "[header]") after a key
// is a continuation in this dialect and configparser's, but jailkit's C
// tools read it as a key of its own: worth a warning.
bool looks_like_separate_line(std::string_view t) {
    if (t.size() >= 2 && t.front() == '[' && t.back() == ']') return true;
    std::size_t i = 0;
    while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '_')) ++i;
    if (i == 0) return false;
    const std::size_t word_end = i;
    while (i < t.size() && is_blank(t[i])) ++i;
    if (i >= t.size() || (t[i] != '=' && t[i] != ':')) return false;
    const bool blank_before = i > word_end;
    const bool blank_after = i + 1 < t.size() && is_blank(t[i + 1]);
    return blank_before || blank_after;
}

}  // namespace

void ParseState::add_continuation() {
    if (looks_like_separate_line(value))
        warn(lineno, "indented line " + quoted(value) +
                         " continues the previous value; remove the indentation if it is meant as its own line");
    if (!last_entry || section_ignored) return;
    Entry& e = ini.sections_[*section].entries_[*last_entry];
    e.value = e.value.empty() ? value : e.value + "\n" + value;
}

namespace {

char* ini_reader_cb(char* buf, int num, void* stream) {
    auto& st = *static_cast<ParseState*>(stream);
    if (st.error || st.other_failure) return nullptr;
    try {
        return st.next_line(buf, num);
    } catch (const ConfigError& e) {
        st.error = e;
    } catch (...) {
        st.other_failure = std::current_exception();
    }
    return nullptr;
}

int ini_handler_cb(void* user, const char* /*section*/, const char* /*name*/, const char* /*value*/) {
    auto& st = *static_cast<ParseState*>(user);
    if (st.error || st.other_failure) return 0;
    try {
        st.on_handler();
        return 1;
    } catch (const ConfigError& e) {
        st.error = e;
    } catch (...) {
        st.other_failure = std::current_exception();
    }
    return 0;
}

}  // namespace

IniFile IniFile::parse(std::string_view text, const std::string& filename, const LoadOptions& options) {
    if (text.size() > options.max_size) throw ConfigError(filename, 0, too_large(options.max_size));
    IniFile ini(filename);
    ParseState st(text, ini);
    const int rc = ini_parse_stream(ini_reader_cb, &st, ini_handler_cb, &st);
    if (!st.error && !st.other_failure) {
        try {
            st.check_line_done();
        } catch (const ConfigError& e) {
            st.error = e;
        }
    }
    if (st.other_failure) std::rethrow_exception(st.other_failure);
    // Report the earliest line at fault, whichever side found it.
    if (rc > 0 && (!st.error || rc < st.error->line()))
        throw ConfigError(filename, rc, "malformed line (rejected by the INI parser)");
    if (st.error) throw ConfigError(*st.error);
    if (rc < 0) throw ConfigError(filename, 0, "the INI parser failed (out of memory)");
    return ini;
}

IniFile IniFile::load(const std::string& path, const LoadOptions& options) {
    return parse(read_config_text(path, options), path, options);
}

const Section* IniFile::find(std::string_view name) const {
    const std::string n = normalize_section_name(name);
    for (const Section& s : sections_)
        if (s.name() == n) return &s;
    return nullptr;
}

std::optional<Section> IniFile::with_defaults(std::string_view name) const {
    const Section* s = find(name);
    if (!s) return std::nullopt;
    Section merged = *s;
    const Section* defaults = find("DEFAULT");
    if (defaults && defaults != s) {
        for (const Entry& e : defaults->entries())
            if (!merged.find(e.key)) merged.append(e);
    }
    return merged;
}

const Section* IniFile::select_for_user(const std::string& user, const std::string& primary_group) const {
    // Exact comparison: the names come from the user database, not from a
    // file, so they are not normalised (a user "a  b" must not match [a b]).
    auto exact = [this](const std::string& n) -> const Section* {
        for (const Section& s : sections_)
            if (s.name() == n) return &s;
        return nullptr;
    };
    if (!user.empty())
        if (const Section* s = exact(user)) return s;
    if (!primary_group.empty())
        if (const Section* s = exact("group " + primary_group)) return s;
    return exact("DEFAULT");
}

std::vector<std::string> unknown_keys(const Section& section, std::span<const std::string_view> known) {
    std::set<std::string> allowed;
    for (std::string_view k : known) allowed.insert(normalize_key(k));
    std::vector<std::string> out;
    for (const Entry& e : section.entries()) {
        if (allowed.count(e.key)) continue;
        out.push_back(section.file() + ":" + std::to_string(e.line) + ": unknown key " + quoted(e.raw_key) +
                      " in section [" + section.name() + "], ignoring");
    }
    return out;
}

// ---------------------------------------------------------------- files

std::string read_config_fd(int fd, const std::string& what, const LoadOptions& options) {
    const struct stat st = sys::fstat_fd(fd, what);
    if (options.require_trusted) {
        // Checked on the fd that is read next, so nothing can be swapped in
        // between (DESIGN.md invariant 2).
        if (std::optional<std::string> why = trust::problem(st, trust::trusted_file))
            throw ConfigError(what, 0, *why + ", refusing it");
    }
    if (S_ISDIR(st.st_mode)) throw ConfigError(what, 0, "is a directory");
    if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > options.max_size)
        throw ConfigError(what, 0, too_large(options.max_size));

    // Bounded even for regular files: the size can grow after fstat, and a
    // pipe or device has no size at all.
    std::string out;
    // On the heap: the setuid tools read their ini and the jail's passwd
    // here under the caller's RLIMIT_STACK, and a 64 KiB frame overflowed a
    // small one (SIGSEGV as root).
    // Sized to the file (one byte more shows a file that grew): a
    // 64 KiB buffer zeroed for a 100-byte file cost 16 page faults per
    // login, a fifth of a millisecond on a virtual machine.
    const std::size_t want = S_ISREG(st.st_mode) && st.st_size > 0 ? static_cast<std::size_t>(st.st_size) + 1 : 4096;
    std::vector<char> buf(std::min<std::size_t>(want, 65536));
    for (;;) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw SysError("cannot read", what, errno);
        }
        if (n == 0) return out;
        out.append(buf.data(), static_cast<std::size_t>(n));
        if (out.size() > options.max_size) throw ConfigError(what, 0, too_large(options.max_size));
    }
}

std::string read_config_text(const std::string& path, const LoadOptions& options) {
    // O_NONBLOCK keeps the open itself from hanging on a FIFO without a
    // writer; O_NOFOLLOW refuses a symlink planted in place of a trusted file.
    int flags = O_RDONLY | O_NOCTTY | O_NONBLOCK;
    if (options.require_trusted) flags |= O_NOFOLLOW;
    UniqueFd fd;
    try {
        fd = sys::open_at(AT_FDCWD, path, flags, 0, path);
    } catch (const SysError& e) {
        if (options.require_trusted && e.err() == ELOOP) throw ConfigError(path, 0, "is a symbolic link, refusing it");
        throw;
    }
    const int fl = ::fcntl(fd.get(), F_GETFL);
    if (fl < 0 || ::fcntl(fd.get(), F_SETFL, fl & ~O_NONBLOCK) < 0) throw SysError("cannot set flags on", path, errno);
    return read_config_fd(fd.get(), path, options);
}

}  // namespace jk::config
