// Waiting on outside processes (Prometheus, the sloguard binary) in integration tests: a free
// loopback port to start them on, and polling with a deadline for what they offer no way to
// wait on (readiness, a scrape shipped, counts arrived).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

namespace sloguard::testing {

// A port nobody listens on right now (the kernel's choice for port 0), for a process that
// must be started (or restarted) on a known port.
inline int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

// Calls `done` until it returns true or `timeout` passes; false at the deadline. The pause
// between calls is the one wait of the test suite that is not on an event: the outside
// process has none to offer. It bounds how often it is asked, never what the test asserts.
template <class F>
bool poll_until(F done, std::chrono::milliseconds timeout = std::chrono::seconds(60),
                std::chrono::milliseconds every = std::chrono::milliseconds(100)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (done()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

}  // namespace sloguard::testing
