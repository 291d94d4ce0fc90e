// Runs a rollback command: an argv without a shell, in its own process group, with a clean
// environment, output captured (bounded), killed with its whole group at the timeout.
#pragma once

#include <cstddef>
#include <cstdint>
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
ExecResult run_exec(const std::vector<std::string>& argv, const std::vector<std::pair<std::string, std::string>>& env,
                    int64_t timeout_ms, size_t max_output);

}  // namespace sloguard::hooks
