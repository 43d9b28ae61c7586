// Copying file contents and metadata between two open fds: data, extended
// attributes, POSIX ACLs (libacl), timestamps. Everything works on fds, so
// nothing here can be redirected by a symlink.
#pragma once

#include <sys/stat.h>

#include <string>

namespace jk::metadata {

// Copies all bytes of src (size bytes, from offset 0) into dst, with
// copy_file_range where the kernel allows it and read/write otherwise.
void copy_data(int src, int dst, off_t size, const std::string& what);

struct XattrPolicy {
    // security.capability grants privileges the way setuid does, so it is
    // copied only when setuid bits are kept.
    bool keep_capabilities = false;
};

// Copies extended attributes and ACLs (access ACL; default ACL when both are
// directories). Attributes the destination filesystem does not support are
// skipped. Returns true when a file capability was dropped.
bool copy_xattrs(int src, int dst, bool directory, const XattrPolicy& policy, const std::string& what);

// Sets atime/mtime of dst to those in st.
void copy_times(int dst, const struct stat& st, const std::string& what);

}  // namespace jk::metadata
