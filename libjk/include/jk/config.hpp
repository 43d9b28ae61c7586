// INI configuration files: one parser for both dialects jailkit 2.23 used
// (its C tools' iniparser and its Python tools' configparser), built on
// inih, plus typed accessors and jailkit's section resolution.
//
// The dialect (a documented superset; COMPAT.md 2.0):
//  - Lines end in "\n"; a "\r" before it is dropped (CRLF files). A UTF-8 BOM
//    at the very start is skipped. The last line needs no newline. An empty
//    file is an empty configuration. A NUL byte anywhere is a ConfigError
//    naming its line (neither dialect can represent one).
//  - Blank lines are ignored. A line whose first non-blank character is '#'
//    or ';' is a comment, indented or not.
//  - "[name]" starts a section. Blanks around the name are trimmed and runs of
//    blanks inside it collapse to one space, so "[ group  web ]" is
//    "group web". Names are case-sensitive. Text after ']' is ignored: silently
//    when it is a comment, with a warning otherwise. "[]" and a missing ']'
//    are errors.
//  - "key = value" or "key: value": the first '=' or ':' on the line splits it
//    (as inih and configparser do). Keys are compared ASCII-case-insensitively
//    with all blanks removed, so "Umask", "UMASK" and "u mask" are one key
//    (the C tools ignored blanks in key names, the Python tools lowercased).
//    A key matches only in full: "exec" never satisfies "executables" (the C
//    tools' prefix matching is a quirk not reproduced). Values are trimmed
//    and otherwise kept raw: "v # x" and "v ; x" stay whole (no inline
//    comments, as in both jailkit dialects), '%' is literal.
//  - An indented line after a key in the same section continues that key's
//    value; continuation lines are joined with "\n" (configparser style), so a
//    list may span lines. An indented line that looks like "name = value" gets
//    a warning, because the C tools would have read it as a separate key.
//  - A key before the first section header is an error (configparser refuses
//    it; the C tools never saw it), as is a non-blank line without '=' or ':'.
//  - Duplicate key in a section: the first wins, later ones get a warning (the
//    C tools' lookup stopped at the first). Duplicate section: the first wins,
//    the later section's keys are ignored with a warning (the C tools found
//    only the first header). configparser refused both outright.
//  - Lines and values of any length are kept whole (DESIGN.md invariant 8).
//
// How inih is used: Debian's libinih reads into a 200-byte buffer, hands the
// handler a truncated value before reporting the long line, truncates section
// names to 49 bytes and strips " ;" inline comments. So the reader this module
// gives inih lexes every line first and keeps the full text aside; inih gets
// the line itself when it fits, or a short line of the same kind when it does
// not, and the handler takes section, key and value from the lexed copy.
// inih's verdict is a cross-check: a line it rejects, or a line the two
// disagree on, is a ConfigError.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jk::config {

// One "key = value" in a section.
struct Entry {
    std::string key;      // normalised (see normalize_key): what lookups compare
    std::string raw_key;  // as written, trimmed; for messages
    std::string value;    // trimmed; continuation lines joined with "\n"
    int line = 0;         // line of the key in the file
};

class Section {
public:
    // file names the source in error messages; line is the header's line.
    Section(std::string file, std::string name, int line);

    const std::string& name() const noexcept { return name_; }
    const std::string& file() const noexcept { return file_; }
    int line() const noexcept { return line_; }
    const std::vector<Entry>& entries() const noexcept { return entries_; }
    bool is_default() const noexcept { return name_ == "DEFAULT"; }

    // Appends an entry as is (no duplicate check; the parser does that).
    void append(Entry e);

    // The entry for `key` (normalised before comparing), or nullptr.
    const Entry* find(std::string_view key) const;
    bool has(std::string_view key) const { return find(key) != nullptr; }

    // The typed getters return nullopt when the key is absent (use
    // .value_or(default)), and throw ConfigError naming the file and the key's
    // line when the value is malformed.

    // The value as written.
    std::optional<std::string> get_string(std::string_view key) const;

    // A list: the value split on ',' and newlines, items trimmed, empty items
    // dropped. When `warnings` is given, an item containing a blank gets a
    // warning there ("paths = /a /b" is one item, not two).
    std::optional<std::vector<std::string>> get_list(std::string_view key,
                                                     std::vector<std::string>* warnings = nullptr) const;

    // 1/0, yes/no, true/false, on/off, any case. Anything else (also an empty
    // value) is a ConfigError.
    std::optional<bool> get_bool(std::string_view key) const;

    // A decimal integer, optionally signed, within [min, max].
    std::optional<long long> get_int(std::string_view key, long long min, long long max) const;

    // An octal number (digits 0-7 only, as for umask) not above max.
    std::optional<unsigned> get_octal(std::string_view key, unsigned max = 07777) const;

    // A finite decimal floating-point number within [min, max].
    std::optional<double> get_double(std::string_view key, double min, double max) const;

private:
    friend struct ParseState;  // the parser extends the last value with continuation lines
    std::string file_;
    std::string name_;
    int line_;
    std::vector<Entry> entries_;
};

struct LoadOptions {
    // For setuid tools (DESIGN.md invariant 1): the file is opened without
    // following a symlink in its last component and must, as seen on the
    // opened fd, be a regular file owned by root and not writable by group or
    // others. (Parent directories are the caller's business, e.g. jk_chrootsh
    // checks /etc/jailkit.)
    bool require_trusted = false;
    // Larger input is refused rather than read into memory.
    std::size_t max_size = std::size_t{16} << 20;
};

class IniFile {
public:
    // Parses `text`; `filename` is used in messages only. Throws ConfigError
    // (file:line) for malformed input or text larger than options.max_size.
    static IniFile parse(std::string_view text, const std::string& filename, const LoadOptions& options = {});

    // Reads `path` (see read_config_text) and parses it.
    static IniFile load(const std::string& path, const LoadOptions& options = {});

    const std::string& filename() const noexcept { return filename_; }
    // In file order, including DEFAULT; a duplicate header adds no section.
    const std::vector<Section>& sections() const noexcept { return sections_; }
    // Non-fatal findings, each "file:line: what, ignoring" for the caller to print.
    const std::vector<std::string>& warnings() const noexcept { return warnings_; }

    // The section with this name (compared after normalize_section_name), or nullptr.
    const Section* find(std::string_view name) const;

    // Python-tool semantics: a copy of section `name` in which every DEFAULT
    // key that the section lacks is added (keeping DEFAULT's line numbers for
    // messages). nullopt when there is no such section. C-tool semantics is
    // plain find(): no inheritance.
    std::optional<Section> with_defaults(std::string_view name) const;

    // C-tool section choice (jk_chrootsh, jk_lsh, jk_uchroot): the section
    // named exactly `user`, else "group <primary_group>", else "DEFAULT",
    // else nullptr. Only that one section applies; nothing is merged.
    const Section* select_for_user(const std::string& user, const std::string& primary_group) const;

private:
    friend struct ParseState;
    explicit IniFile(std::string filename) : filename_(std::move(filename)) {}
    std::string filename_;
    std::vector<Section> sections_;
    std::vector<std::string> warnings_;
};

// Reads a configuration file whole, honouring options (trusted checks, size
// limit). Throws SysError when it cannot be opened or read (ENOENT lets a tool
// tell "missing" apart), ConfigError(path, 0, reason) when it is untrusted,
// not a regular file where one is required, or too large.
std::string read_config_text(const std::string& path, const LoadOptions& options = {});

// The same checks and bounded read on an already opened fd (`what` names it
// in messages). Used for files opened through a jail fd.
std::string read_config_fd(int fd, const std::string& what, const LoadOptions& options = {});

// Warnings "file:line: unknown key 'k' in section [s], ignoring" for every key
// of `section` not in `known` (compared normalised), so tools can report typos.
std::vector<std::string> unknown_keys(const Section& section, std::span<const std::string_view> known);
inline std::vector<std::string> unknown_keys(const Section& section, std::initializer_list<std::string_view> known) {
    return unknown_keys(section, std::span<const std::string_view>(known.begin(), known.size()));
}

// List splitting as get_list does it (',' and newlines, trimmed, no empties).
std::vector<std::string> split_list(std::string_view value);

// Key normalisation: ASCII lowercase, every blank removed.
std::string normalize_key(std::string_view key);

// Section name normalisation: trimmed, inner runs of blanks made one space.
std::string normalize_section_name(std::string_view name);

}  // namespace jk::config
