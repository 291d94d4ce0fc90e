// Runs a rollback command: an argv without a shell, in its own process group, with a clean
// environment, output captured (bounded), killed with its whole group at the timeout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sloguard::hooks {

struct ExecResult {
  bool started = false;     // false when the program could not be run (error says why)
  bool timed_out = false;   // killed (SIGKILL to the process group) at the timeout
  int exit_code = -1;       // when it exited
  int signal = 0;           // when a signal ended it
  std::string output;       // stdout and stderr interleaved, at most max_output bytes
  bool output_truncated = false;
  std::string error;
  bool ok() const { return started && !timed_out && signal == 0 && exit_code == 0; }
  std::string describe() const;  // "exit 0", "exit 3", "killed by signal 9", "timed out after 1s", ...
};

// argv[0] without '/' is looked up in PATH. `env` is the child's whole environment. The
// timeout is real (steady clock) time: this waits on a real process. Thread-safe.
// `started`, when set, is called with the child's process group id (its pid) right after the
// spawn, before the wait (e.g. to record it, so a restart can stop a run left behind).
ExecResult run_exec(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                    int64_t timeout_ms, size_t max_output, const std::function<void(int pgid)>& started = {});

// Stops a run that a crashed sloguard left behind: SIGKILL to process group `pgid` when its
// leader is still there and its environment holds `marker` ("NAME=value", e.g. the job's
// SLOGUARD_WEBHOOK_ID), so a reused pid is never touched; then waits up to `wait_ms` for the
// leader to be gone. Returns true when such a run was found.
bool stop_stale_exec(int pgid, const std::string& marker, int64_t wait_ms);

}  // namespace sloguard::hooks
