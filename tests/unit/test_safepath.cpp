#include <catch2/catch.hpp>

#include "jk/safepath.hpp"

namespace sp = jk::safepath;

namespace {
struct stat dir(mode_t mode, uid_t uid = 0, gid_t gid = 0) {
    struct stat st {};
    st.st_mode = S_IFDIR | mode;
    st.st_uid = uid;
    st.st_gid = gid;
    return st;
}
}  // namespace

TEST_CASE("a root-owned 0755 directory is safe", "[safepath]") {
    CHECK(sp::problems(dir(0755), {}) == sp::none);
    CHECK(sp::describe(sp::none).empty());
}

TEST_CASE("each jailkit problem is reported", "[safepath]") {
    CHECK(sp::problems(dir(0775), {}) == sp::group_writable);
    CHECK(sp::problems(dir(0757), {}) == sp::other_writable);
    CHECK(sp::problems(dir(01777), {}) == (sp::group_writable | sp::other_writable));
    CHECK(sp::problems(dir(0755, 1000), {}) == sp::wrong_owner);
    sp::Rule with_group;
    with_group.group = 0;
    CHECK(sp::problems(dir(0755, 0, 100), with_group) == sp::wrong_group);
    CHECK(sp::problems(dir(0755, 0, 100), {}) == sp::none);

    struct stat link {};
    link.st_mode = S_IFLNK | 0777;
    CHECK(sp::problems(link, {}) == sp::symlink);
    CHECK(sp::describe(sp::symlink) == "is a symbolic link");

    struct stat file {};
    file.st_mode = S_IFREG | 04755;
    CHECK((sp::problems(file, {}) & sp::not_a_directory));
    CHECK((sp::problems(file, {}) & sp::setuid));
}

TEST_CASE("relaxations allow what they name and nothing else", "[safepath]") {
    sp::Rule relaxed;
    relaxed.owner = 1000;
    relaxed.allow_group_write = true;
    CHECK(sp::problems(dir(0775, 1000), relaxed) == sp::none);
    CHECK(sp::problems(dir(0777, 1000), relaxed) == sp::other_writable);
    CHECK(sp::describe(sp::other_writable) == "is writable by others");
}
