#include "sloguard/hooks/exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>

namespace sloguard::hooks {

std::string ExecResult::describe() const {
  if (!started) return "not started: " + error;
  if (timed_out) return "timed out; process group killed";
  if (signal != 0) return "killed by signal " + std::to_string(signal);
  return "exit " + std::to_string(exit_code);
}

ExecResult run_exec(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                    int64_t timeout_ms, size_t max_output, const std::function<void(int pgid)>& started) {
  ExecResult r;
  if (argv.empty() || argv[0].empty()) {
    r.error = "empty argv";
    return r;
  }
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
  // Nothing else of the daemon's reaches the hook: sockets, the store's files, pipes that some
  // library opened without O_CLOEXEC.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so the timeout kills whatever it started too; default signal
  // handling and an empty mask whatever the daemon's threads have blocked.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    r.error = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return r;
  }
  r.started = true;
  if (started) started(static_cast<int>(pid));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  bool eof = false;
  while (!eof) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000 * 1000)));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;  // timeout re-checked at the top
    char buf[4096];
    ssize_t got = read(fds[0], buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      eof = true;
      break;
    }
    const size_t room = max_output > r.output.size() ? max_output - r.output.size() : 0;
    r.output.append(buf, std::min(room, static_cast<size_t>(got)));
    if (static_cast<size_t>(got) > room) r.output_truncated = true;
  }
  if (r.timed_out) {
    ::kill(-pid, SIGKILL);
  } else {
    // Output closed: the program (and anything holding its pipe) is done or has closed it;
    // wait for the exit within what is left of the timeout.
    for (;;) {
      int status = 0;
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
        close(fds[0]);
        ::kill(-pid, SIGKILL);  // stragglers of its group
        return r;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        r.timed_out = true;
        ::kill(-pid, SIGKILL);
        break;
      }
      pollfd p{-1, 0, 0};
      poll(&p, 0, 10);  // a closed-output child that has not exited yet: check again shortly
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return r;
}

namespace {

// The NUL-separated environment of a live process ("" when it is gone or not ours to read).
std::string environment_of(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  return f ? std::string(std::istreambuf_iterator<char>(f), {}) : std::string();
}

}  // namespace

bool stop_stale_exec(int pgid, const std::string& marker, int64_t wait_ms) {
  if (pgid <= 1 || marker.empty()) return false;
  const std::string nul(1, '\0');
  std::string env = nul + environment_of(pgid);
  if (env.back() != '\0') env += nul;
  if (env.find(nul + marker + nul) == std::string::npos) return false;
  ::kill(-pgid, SIGKILL);
  // Its parent (the crashed sloguard) is gone, so init reaps it; wait until /proc lets it go.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (std::chrono::steady_clock::now() < deadline && !environment_of(pgid).empty()) {
    pollfd p{-1, 0, 0};
    poll(&p, 0, 10);
  }
  return true;
}

}  // namespace sloguard::hooks
