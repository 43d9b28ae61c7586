// libjk/changes: the --json report of the tools that change a jail (jk_json(5)).
#include <string>

#include "catch.hpp"
#include "jk/changes.hpp"

using jk::changes::Action;

TEST_CASE("an empty report says nothing changed, every member present in order", "[changes]") {
    jk::changes::Report r;
    CHECK_FALSE(r.changed());
    CHECK(jk::changes::to_json(r, "jk_cp", "/srv/j", false) ==
          "{\"tool\":\"jk_cp\",\"format\":1,\"jail\":\"/srv/j\",\"dry_run\":false,\"changed\":false,"
          "\"created\":[],\"updated\":[],\"removed\":[],\"unchanged\":[],\"warnings\":[],\"error\":null}\n");
}

TEST_CASE("changed is true exactly when something was created, updated or removed", "[changes]") {
    jk::changes::Report r;
    r.add(Action::unchanged, "/usr", "directory");
    CHECK_FALSE(r.changed());
    for (Action a : {Action::created, Action::updated, Action::removed}) {
        jk::changes::Report s;
        s.add(a, "/x", "file");
        CHECK(s.changed());
    }
}

TEST_CASE("entries go to their action's array, detail only when given, bytes escaped", "[changes]") {
    jk::changes::Report r;
    r.add(Action::created, "/usr/lib/libx.so.1", "file", "library");
    r.add(Action::removed, "/old\n\"q\"", "file");
    r.add(Action::created, "/usr/lib/libx.so.1", "file", "library");  // recorded once
    r.add(Action::unchanged, "/caf\xe9", "file");
    r.warn("library liby.so.2 not found");
    const std::string doc = jk::changes::to_json(r, "jk_init", "/j", true, "ERROR: boom");
    CHECK(doc ==
          "{\"tool\":\"jk_init\",\"format\":1,\"jail\":\"/j\",\"dry_run\":true,\"changed\":true,"
          "\"created\":[{\"path\":\"/usr/lib/libx.so.1\",\"type\":\"file\",\"detail\":\"library\"}],"
          "\"updated\":[],\"removed\":[{\"path\":\"/old\\n\\\"q\\\"\",\"type\":\"file\"}],"
          "\"unchanged\":[{\"path\":\"/caf\\u00e9\",\"type\":\"file\"}],"
          "\"warnings\":[\"library liby.so.2 not found\"],\"error\":\"ERROR: boom\"}\n");
}
