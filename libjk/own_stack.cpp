#include "jk/own_stack.hpp"

#include <sys/mman.h>
#include <sys/resource.h>
#include <ucontext.h>
#include <unistd.h>

#include <exception>

namespace jk {

namespace {

// makecontext passes only ints to the entry function: the one call in
// flight is reached through this pointer.
struct Switch {
    const std::function<int()>* fn = nullptr;
    int result = 0;
    ucontext_t back{};
};
Switch* g_switch = nullptr;

void entry() noexcept {
    g_switch->result = (*g_switch->fn)();
    // Returning resumes g_switch->back (uc_link).
}

bool stack_is_small() {
    struct rlimit rl {};
    return ::getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur < own_stack_floor;
}

}  // namespace

int run_on_own_stack_if_small(const std::function<int()>& fn) {
    if (!stack_is_small() || g_switch != nullptr) return fn();
    const std::size_t guard = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t total = own_stack_floor + guard;
    void* mem = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (mem == MAP_FAILED) return fn();
    auto* base = static_cast<char*>(mem);
    if (::mprotect(base, guard, PROT_NONE) != 0) {
        ::munmap(mem, total);
        return fn();
    }
    Switch sw;
    sw.fn = &fn;
    ucontext_t ctx{};
    if (::getcontext(&ctx) != 0) {
        ::munmap(mem, total);
        return fn();
    }
    ctx.uc_stack.ss_sp = base + guard;
    ctx.uc_stack.ss_size = own_stack_floor;
    ctx.uc_link = &sw.back;
    ::makecontext(&ctx, entry, 0);
    g_switch = &sw;
    if (::swapcontext(&sw.back, &ctx) != 0) {
        g_switch = nullptr;
        ::munmap(mem, total);
        return fn();
    }
    g_switch = nullptr;
    ::munmap(mem, total);
    return sw.result;
}

}  // namespace jk
