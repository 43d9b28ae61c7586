#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <thread>

#include "catch.hpp"
#include "jk/error.hpp"
#include "jk/socketd_relay.hpp"
#include "tests/unit/tmpjail.hpp"

using namespace jk::socketd;

namespace {
constexpr std::int64_t sec = 1000000000;

std::pair<jk::UniqueFd, jk::UniqueFd> pair_of(int type) {
    int sp[2];
    REQUIRE(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sp) == 0);
    return {jk::UniqueFd(sp[0]), jk::UniqueFd(sp[1])};
}

// Reads one datagram within ms milliseconds; nullopt on timeout.
std::optional<std::string> recv_within(int fd, int ms) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, ms) <= 0) return std::nullopt;
    std::string buf(1 << 20, '\0');
    ssize_t n = ::recv(fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
}
}  // namespace

TEST_CASE("socketd rate limiter: jailkit's rounds", "[socketd]") {
    SECTION("within base: never paused") {
        RateLimiter r(1000, 2000, 1.0);
        for (int i = 0; i < 9; ++i) CHECK(r.on_datagram(100, i * sec / 100).pause_until_ns == 0);
    }
    SECTION("over peak: warn and pause until the round ends") {
        RateLimiter r(1000, 2000, 1.0);
        CHECK(r.on_datagram(1500, 10).pause_until_ns == 0);  // over base: a peak round, allowed
        auto v = r.on_datagram(600, 20);
        CHECK(v.over_peak);
        CHECK(v.pause_until_ns == 10 + sec);
    }
    SECTION("over base twice in a row: the second round is paused") {
        RateLimiter r(1000, 2000, 1.0);
        CHECK(r.on_datagram(1500, 0).pause_until_ns == 0);  // round 1: over base, allowed once
        auto v = r.on_datagram(1500, sec);                  // round 2 starts at 1 s
        CHECK_FALSE(v.over_peak);
        CHECK(v.pause_until_ns == 2 * sec);
        // round 3 follows a peak round too
        CHECK(r.on_datagram(1500, 2 * sec).pause_until_ns == 3 * sec);
        // a quiet round in between: the next round may peak again
        CHECK(r.on_datagram(100, 3 * sec).pause_until_ns == 0);
        CHECK(r.on_datagram(1500, 4 * sec).pause_until_ns == 0);
    }
    SECTION("a long idle gap forgets the last peak round") {
        RateLimiter r(1000, 2000, 1.0);
        CHECK(r.on_datagram(1500, 0).pause_until_ns == 0);
        CHECK(r.on_datagram(1500, 10 * sec).pause_until_ns == 0);
    }
    SECTION("a single datagram larger than peak passes, then the socket rests") {
        RateLimiter r(511, 2048, 5.0);
        auto v = r.on_datagram(65536, 0);
        CHECK(v.over_peak);
        CHECK(v.pause_until_ns == 5 * sec);
    }
    SECTION("sustained flood: about base per round after the first") {
        RateLimiter r(1000, 2000, 1.0);
        std::int64_t t = 0;
        std::uint64_t sent = 0;
        for (int i = 0; i < 1000 && t < 10 * sec; ++i) {
            auto v = r.on_datagram(100, t);
            sent += 100;
            if (v.pause_until_ns) t = v.pause_until_ns;
        }
        // 10 rounds: the first up to peak + 1 datagram, the others base + 1.
        CHECK(sent <= 2100 + 9 * 1100);
        CHECK(sent >= 9 * 1000);
    }
    SECTION("defensive limits") {
        RateLimiter r(-1, -1, -1.0);
        CHECK(r.base() >= 1);
        CHECK(r.peak() >= r.base());
        CHECK(r.interval_ns() > 0);
        RateLimiter r2(10, 100, std::nan(""));
        CHECK(r2.interval_ns() == 5 * sec);
    }
}

TEST_CASE("socketd: send errors", "[socketd]") {
    CHECK(classify_send_errno(EAGAIN) == SendOutcome::full);
    CHECK(classify_send_errno(ENOBUFS) == SendOutcome::full);
    CHECK(classify_send_errno(ECONNREFUSED) == SendOutcome::target_gone);
    CHECK(classify_send_errno(ENOENT) == SendOutcome::target_gone);
    CHECK(classify_send_errno(ENOTCONN) == SendOutcome::target_gone);
    CHECK(classify_send_errno(EMSGSIZE) == SendOutcome::dropped);
}

TEST_CASE("socketd: control messages", "[socketd]") {
    ControlMsg m{MsgType::add, 42, 512, 2048, 2.5, 3, "/j/dev/log"};
    auto d = decode(encode(m));
    REQUIRE(d);
    CHECK(d->type == MsgType::add);
    CHECK(d->id == 42);
    CHECK(d->base == 512);
    CHECK(d->peak == 2048);
    CHECK(d->interval == 2.5);
    CHECK(d->priority == 3);
    CHECK(d->text == "/j/dev/log");
    CHECK_FALSE(decode(""));
    CHECK_FALSE(decode(std::string(10, '\1')));
    std::string bad = encode(m);
    bad[0] = 99;
    CHECK_FALSE(decode(bad));
    // A long text is cut to fit a packet.
    m.text.assign(100000, 'x');
    CHECK(encode(m).size() == max_control_msg);

    auto [a, b] = pair_of(SOCK_SEQPACKET);
    auto [x, y] = pair_of(SOCK_DGRAM);
    REQUIRE(send_packet(a.get(), encode(ControlMsg{MsgType::target, 0, 0, 0, 0, 0, {}}), x.get(), 0));
    std::string packet;
    jk::UniqueFd got;
    REQUIRE(recv_packet(b.get(), packet, got) > 0);
    CHECK(got.valid());
    CHECK((::fcntl(got.get(), F_GETFD) & FD_CLOEXEC));
    CHECK(decode(packet)->type == MsgType::target);
}

TEST_CASE("socketd relay loop: whole datagrams, rate pause, removal", "[socketd]") {
    auto [parent, child] = pair_of(SOCK_SEQPACKET);
    auto [target_in, target_out] = pair_of(SOCK_DGRAM);  // relay sends on target_in
    auto [jail_w, jail_r] = pair_of(SOCK_DGRAM);         // a "jail socket": relay reads jail_r
    int big = 1 << 20;
    ::setsockopt(jail_w.get(), SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    ::setsockopt(target_in.get(), SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    ::fcntl(jail_r.get(), F_SETFL, O_NONBLOCK);
    ::fcntl(target_in.get(), F_SETFL, O_NONBLOCK);

    RelayStats stats;
    std::thread t([&, c = child.get()] { stats = run_relay(c); });
    auto cleanup = [&] {
        parent.reset();
        t.join();
    };
    std::string packet;
    jk::UniqueFd none;
    pollfd p{parent.get(), POLLIN, 0};
    REQUIRE(::poll(&p, 1, 2000) == 1);
    REQUIRE(recv_packet(parent.get(), packet, none) > 0);
    CHECK(decode(packet)->type == MsgType::ready);

    REQUIRE(send_packet(parent.get(), encode(ControlMsg{MsgType::target, 0, 0, 0, 0, 0, {}}), target_in.get(), 0));
    REQUIRE(send_packet(parent.get(), encode(ControlMsg{MsgType::add, 7, 1000, 300000, 0.5, 0, "/j/dev/log"}),
                        jail_r.get(), 0));
    jail_r.reset();  // the relay holds its own copies now
    target_in.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));

    SECTION("contents arrive whole: text, empty, binary, 200 KiB") {
        std::string binary("\0\1\2\xff\n\r", 6);
        std::string large(200 * 1024, 'L');
        large[12345] = '\0';
        for (const std::string& msg : {std::string("<13>hello"), std::string(), binary, large}) {
            REQUIRE(::send(jail_w.get(), msg.data(), msg.size(), 0) == static_cast<ssize_t>(msg.size()));
            auto got = recv_within(target_out.get(), 2000);
            REQUIRE(got);
            CHECK(got->size() == msg.size());
            CHECK(*got == msg);
        }
        cleanup();
        CHECK(stats.relayed == 4);
    }
    SECTION("over peak: the rest waits for the next round (back-pressure, nothing lost)") {
        std::string chunk(100000, 'p');
        for (int i = 0; i < 4; ++i) REQUIRE(::send(jail_w.get(), chunk.data(), chunk.size(), 0) > 0);
        int early = 0;
        while (recv_within(target_out.get(), 100)) ++early;
        CHECK(early == 4);  // 400000 > peak 300000: the 4th goes, then the pause
        REQUIRE(::send(jail_w.get(), "late", 4, 0) == 4);
        CHECK_FALSE(recv_within(target_out.get(), 150));  // paused
        auto late = recv_within(target_out.get(), 1500);  // the round ends
        REQUIRE(late);
        CHECK(*late == "late");
        cleanup();
        CHECK(stats.pauses >= 1);
    }
    SECTION("remove: the socket is closed and no longer read") {
        REQUIRE(send_packet(parent.get(), encode(ControlMsg{MsgType::remove, 7, 0, 0, 0, 0, {}}), -1, 0));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        // The relay closed its end: our peer end now has no reader.
        CHECK(::send(jail_w.get(), "x", 1, MSG_DONTWAIT) < 0);
        cleanup();
    }
    SECTION("target gone: messages are dropped and counted, a new target is asked for") {
        target_out.reset();
        REQUIRE(::send(jail_w.get(), "lost", 4, 0) == 4);
        bool asked = false;
        for (int i = 0; i < 20 && !asked; ++i) {
            if (::poll(&p, 1, 200) != 1) continue;
            jk::UniqueFd fd;
            if (recv_packet(parent.get(), packet, fd) > 0 && decode(packet)->type == MsgType::need_target) asked = true;
        }
        CHECK(asked);
        auto [t2_in, t2_out] = pair_of(SOCK_DGRAM);
        REQUIRE(send_packet(parent.get(), encode(ControlMsg{MsgType::target, 0, 0, 0, 0, 0, {}}), t2_in.get(), 0));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        REQUIRE(::send(jail_w.get(), "back", 4, 0) == 4);
        auto got = recv_within(t2_out.get(), 2000);
        REQUIRE(got);
        CHECK(*got == "back");
        cleanup();
        CHECK(stats.dropped_target_down == 1);
    }
}

TEST_CASE("socketd: sockets are created without following symlinks", "[socketd][root]") {
    jk::test::TempJail j;
    jk::test::sh("mkdir -p " + (j / "jail/dev") + " " + (j / "host") + " && echo canary > " + (j / "host/file"));
    SECTION("a fresh socket is root-owned 0666") {
        BoundSocket b = create_socket(j / "jail/dev/log");
        struct stat st {};
        REQUIRE(::lstat((j / "jail/dev/log").c_str(), &st) == 0);
        CHECK(S_ISSOCK(st.st_mode));
        CHECK((st.st_mode & 07777) == 0666);
        CHECK(st.st_uid == 0);
        CHECK(st.st_ino == b.ino);
        CHECK(remove_socket(j / "jail/dev/log", b.dev, b.ino));
        CHECK(::lstat((j / "jail/dev/log").c_str(), &st) != 0);
    }
    SECTION("a symlink at the leaf is replaced, its target untouched") {
        REQUIRE(::symlink((j / "host/file").c_str(), (j / "jail/dev/log").c_str()) == 0);
        BoundSocket b = create_socket(j / "jail/dev/log");
        struct stat st {};
        REQUIRE(::lstat((j / "host/file").c_str(), &st) == 0);
        CHECK(S_ISREG(st.st_mode));
        CHECK((st.st_mode & 0777) == 0644);
    }
    SECTION("a symlinked directory is refused") {
        jk::test::sh("rm -rf " + (j / "jail/dev") + " && ln -s " + (j / "host") + " " + (j / "jail/dev"));
        CHECK_THROWS_AS(create_socket(j / "jail/dev/log"), jk::SymlinkNotAllowed);
        CHECK_THROWS_AS(remove_socket(j / "jail/dev/file", 0, 0), jk::SymlinkNotAllowed);
        struct stat st {};
        CHECK(::lstat((j / "host/log").c_str(), &st) != 0);
        CHECK(::lstat((j / "host/file").c_str(), &st) == 0);
    }
    SECTION("a batch walks through a DirCache and still refuses symlinks") {
        jk::test::sh("ln -s " + (j / "host") + " " + (j / "jail/devlink"));
        DirCache dirs;
        BoundSocket a = create_socket(j / "jail/dev/a", &dirs);
        BoundSocket b = create_socket(j / "jail/dev/b", &dirs);
        CHECK(dirs.count(j / "jail/dev") == 1);
        CHECK_THROWS_AS(create_socket(j / "jail/devlink/c", &dirs), jk::SymlinkNotAllowed);
        CHECK(remove_socket(j / "jail/dev/a", a.dev, a.ino, &dirs));
        CHECK(remove_socket(j / "jail/dev/b", b.dev, b.ino, &dirs));
        struct stat st {};
        CHECK(::lstat((j / "host/c").c_str(), &st) != 0);
    }
    SECTION("a missing directory is an error, not created") {
        CHECK_THROWS_AS(create_socket(j / "nojail/dev/log"), jk::SysError);
    }
    SECTION("remove_socket leaves a file that is not our socket") {
        BoundSocket b = create_socket(j / "jail/dev/log");
        jk::test::sh("rm " + (j / "jail/dev/log") + " && touch " + (j / "jail/dev/log"));
        CHECK_FALSE(remove_socket(j / "jail/dev/log", b.dev, b.ino));
        struct stat st {};
        CHECK(::lstat((j / "jail/dev/log").c_str(), &st) == 0);
    }
    SECTION("connect_target: missing and refusing targets are told apart") {
        try {
            (void)connect_target(j / "none.sock");
            FAIL("connected to nothing");
        } catch (const jk::SysError& e) {
            CHECK(e.err() == ENOENT);
        }
        BoundSocket b = create_socket(j / "jail/dev/log");
        CHECK(connect_target(j / "jail/dev/log").valid());
        b.fd.reset();
        try {
            (void)connect_target(j / "jail/dev/log");
            FAIL("connected to a closed socket");
        } catch (const jk::SysError& e) {
            CHECK(e.err() == ECONNREFUSED);
        }
    }
}
