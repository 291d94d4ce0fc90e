// RocksDB statuses as sloguard statuses, with what was being done in front of the message.
#pragma once

#include <string>
#include <string_view>

#include <rocksdb/status.h>

#include "sloguard/common/status.h"

namespace sloguard::store {

inline Status from_rocksdb(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return Status::OK();
  std::string msg(context);
  msg += ": ";
  msg += s.ToString();
  if (s.IsNotFound()) return Status::NotFound(std::move(msg));
  if (s.IsCorruption()) return Status::Corruption(std::move(msg));
  if (s.IsInvalidArgument()) return Status::InvalidArgument(std::move(msg));
  if (s.IsIOError()) return Status::IOError(std::move(msg));
  if (s.IsBusy() || s.IsTryAgain() || s.IsTimedOut() || s.IsIncomplete() || s.IsShutdownInProgress()) {
    return Status::Unavailable(std::move(msg));
  }
  return Status::Internal(std::move(msg));
}

}  // namespace sloguard::store
