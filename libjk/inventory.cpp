// What a jail holds: ownership from the manifest and the one currency
// decision of jk_check and jk_update (see inventory.hpp for its MUST list).
#include "jk/inventory.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "jk/manifest.hpp"

namespace jk::inventory {

namespace {

long long ns(const struct timespec& t) {
    return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

bool is(const Observed& o, mode_t t) {
    return (o.type & S_IFMT) == t;
}

// A path equal to `item` or below it, by whole components.
bool at_or_below(std::string_view path, std::string_view item) {
    return path.starts_with(item) && (path.size() == item.size() || path[item.size()] == '/');
}

}  // namespace

Observed observe(const struct stat& st) {
    Observed o;
    o.type = st.st_mode & S_IFMT;
    o.size = static_cast<long long>(st.st_size);
    o.mtime_ns = ns(st.st_mtim);
    o.ctime_ns = ns(st.st_ctim);
    o.dev = st.st_dev;
    o.ino = st.st_ino;
    return o;
}

bool jail_specific(std::string_view inner) {
    // JK_SYSCONFDIR: where jk_lsh reads its jk_lsh.ini inside the jail when
    // the suite was built with another confdir than jailkit's /etc/jailkit.
    static constexpr std::string_view own[] = {"/etc/passwd",      "/etc/group",   "/etc/shadow", "/etc/gshadow",
                                               "/etc/ld.so.cache", "/etc/jailkit", JK_SYSCONFDIR};
    return std::any_of(std::begin(own), std::end(own), [&](std::string_view o) { return at_or_below(inner, o); });
}

bool proves_installed(const manifest::Entry& recorded, const Observed& jail) {
    if (manifest::stat_type(recorded.type) != (jail.type & S_IFMT)) return false;
    if (recorded.ino == manifest::replacing) return true;  // MUST 3
    if (recorded.ino != jail.ino) return false;
    switch (recorded.type) {
        case 'd': return true;
        case 'h': return recorded.size == jail.size && recorded.mtime_ns == jail.mtime_ns;
        default: return recorded.ctime_ns == jail.ctime_ns;
    }
}

Sameness compare(const Observed& jail, const Observed& host, const manifest::Entry* recorded) {
    if (is(host, S_IFDIR) || is(jail, S_IFDIR) || (jail.type & S_IFMT) != (host.type & S_IFMT))
        return Sameness::other_type;
    if (is(jail, S_IFLNK)) return jail.link_target == host.link_target ? Sameness::same : Sameness::other_target;
    if (!is(jail, S_IFREG)) return Sameness::same;  // devices, fifos: created once, never refreshed
    // A hardlink to the host file is the host file.
    if (jail.dev == host.dev && jail.ino == host.ino) return Sameness::same;
    // The manifest proves the jail file is the copy it recorded, made from a
    // host file of the recorded size and mtime: while the host file keeps
    // them, the two are equal without reading a byte. (Not an entry that was
    // being replaced: it may hold the old or the new version.)
    if (recorded && (recorded->type == 'f' || recorded->type == 'h') && recorded->ino != manifest::replacing &&
        proves_installed(*recorded, jail) && recorded->size == host.size && recorded->mtime_ns == host.mtime_ns)
        return Sameness::same;
    if (jail.size != host.size) return Sameness::other_size;
    return Sameness::compare_bytes;
}

const manifest::Entry* Owned::recorded(const std::string& inner) const {
    auto it = manifest_.entries.find(inner);
    return it == manifest_.entries.end() ? nullptr : &it->second;
}

namespace {

ssize_t read_full(int fd, char* buf, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = ::read(fd, buf + got, n - got);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    return static_cast<ssize_t>(got);
}

}  // namespace

ContentResult compare_content(int jail_fd, int host_fd) {
    // On the heap: the tools may run with a small stack (several walker
    // threads in jk_check).
    constexpr std::size_t block = std::size_t{64} * 1024;
    std::vector<char> x(block), y(block);
    for (;;) {
        ssize_t nx = read_full(jail_fd, x.data(), block);
        if (nx < 0) return {ContentResult::read_error, errno, true};
        ssize_t ny = read_full(host_fd, y.data(), block);
        if (ny < 0) return {ContentResult::read_error, errno, false};
        if (nx != ny || std::memcmp(x.data(), y.data(), static_cast<std::size_t>(nx)) != 0)
            return {ContentResult::differ, 0, false};
        if (nx == 0) return {ContentResult::same, 0, false};
    }
}

}  // namespace jk::inventory
