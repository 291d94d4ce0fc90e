// Loopback peers for tests of outbound HTTP and TCP: a cpp-httplib server on 127.0.0.1 and an
// ephemeral port whose handlers can be held until the test ends, a listener that closes every
// connection at once, and a port where connections are refused. Nothing here sleeps.
#pragma once

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace sloguard::testing {

inline constexpr std::chrono::seconds kReadyDeadline{10};

// Register handlers on server(), then start(). The destructor releases held handlers, stops
// the server and joins its thread.
class LoopbackHttpServer {
 public:
  LoopbackHttpServer() {
    server_.set_socket_options([this](socket_t sock) {
      httplib::default_socket_options(sock);
      listen_fd_ = sock;
    });
  }
  ~LoopbackHttpServer() {
    release();
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  httplib::Server& server() { return server_; }

  void start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    // cpp-httplib listens with a backlog of 5: a burst of connects overflows it, the kernel
    // drops the SYNs, and clients retry after a second. Calling listen() again raises it.
    REQUIRE(::listen(listen_fd_, SOMAXCONN) == 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // The socket already listens (connections queue in the kernel); this only makes sure
    // stop() finds the accept loop running, so the destructor's join cannot hang.
    const auto deadline = std::chrono::steady_clock::now() + kReadyDeadline;
    while (!server_.is_running() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    REQUIRE(server_.is_running());
  }

  int port() const { return port_; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

  // Called from a handler: blocks it until release(). Counts the handlers that got here.
  void hold() {
    std::unique_lock<std::mutex> lock(mu_);
    ++held_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return released_; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  // Waits until `n` handlers have entered hold(); false at the deadline.
  bool wait_held(int n, std::chrono::milliseconds deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, deadline, [&] { return held_ >= n; });
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  int listen_fd_ = -1;
  std::mutex mu_;
  std::condition_variable cv_;
  int held_ = 0;
  bool released_ = false;
};

// A socket bound to 127.0.0.1 and an ephemeral port. listen = true accepts connections and
// closes each at once, before reading anything; listen = false never listens, so connecting
// is refused (and, being bound, the port cannot be taken by anyone else meanwhile).
class LoopbackTcpPort {
 public:
  explicit LoopbackTcpPort(bool listen) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    if (!listen) return;
    REQUIRE(::listen(fd_, 64) == 0);
    REQUIRE(::pipe(stop_pipe_) == 0);
    thread_ = std::thread([this] { accept_and_close(); });
  }
  ~LoopbackTcpPort() {
    if (thread_.joinable()) {
      (void)!::write(stop_pipe_[1], "x", 1);
      thread_.join();
      ::close(stop_pipe_[0]);
      ::close(stop_pipe_[1]);
    }
    ::close(fd_);
  }
  LoopbackTcpPort(const LoopbackTcpPort&) = delete;
  LoopbackTcpPort& operator=(const LoopbackTcpPort&) = delete;

  int port() const { return port_; }

 private:
  void accept_and_close() {
    for (;;) {
      pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents) return;
      if (fds[0].revents & POLLIN) {
        int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) ::close(c);
      }
    }
  }

  int fd_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

}  // namespace sloguard::testing
