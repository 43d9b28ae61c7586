// What AddressSanitizer must be told when a process starts on a stack of
// its own while sharing its starter's memory (supervisor.cpp: CLONE_VM).
// The processes share the runtime's thread state, which records the bounds
// of "the" stack; without these calls it takes the new stack for a foreign
// one and reports false stack overflows after an exception. Outside an
// ASan build every call is empty.
//
// The sequence, for a starter S and a child C on [bottom, bottom + size):
//   S: StackSwitch sw = leave_for(bottom, size); clone(...)
//   C: const StackBounds s = arrive(); ...          (s: S's stack)
//   S, once C has ended or executed: come_back(sw, s)
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define JK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JK_ASAN 1
#endif
#endif

#ifdef JK_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace jk::asan {

struct StackBounds {
    const void* bottom = nullptr;
    std::size_t size = 0;
};

// The starter's saved state while a child runs on another stack.
struct StackSwitch {
    void* fake_stack = nullptr;
};

inline StackSwitch leave_for([[maybe_unused]] const void* bottom, [[maybe_unused]] std::size_t size) noexcept {
    StackSwitch sw;
#ifdef JK_ASAN
    __sanitizer_start_switch_fiber(&sw.fake_stack, bottom, size);
#endif
    return sw;
}

// In the child, first thing: its stack is the current one; returns the
// starter's.
inline StackBounds arrive() noexcept {
    StackBounds was;
#ifdef JK_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &was.bottom, &was.size);
#endif
    return was;
}

// In the starter, once the child no longer runs on its stack: the
// starter's own stack is the current one again.
inline void come_back([[maybe_unused]] const StackSwitch& sw, [[maybe_unused]] const StackBounds& starter) noexcept {
#ifdef JK_ASAN
    __sanitizer_start_switch_fiber(nullptr, starter.bottom, starter.size);
    __sanitizer_finish_switch_fiber(sw.fake_stack, nullptr, nullptr);
#endif
}

}  // namespace jk::asan
