// The CLI's exit codes: one per StatusCode, documented in README.md.
#pragma once

#include "extrace/status.h"

namespace extrace::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitUsage = 2;
// `extrace regressions` found a node that got slower (not an error: CI gates on it).
inline constexpr int kExitRegression = 12;
// `extrace tail`: the followed run ended in error (a script waiting on a run
// tells failure from success without a second command).
inline constexpr int kExitRunFailed = 13;

inline int ExitCodeFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return kExitOk;
    case StatusCode::kInvalidInput:
      return 3;
    case StatusCode::kConflict:
      return 4;
    case StatusCode::kNotFound:
      return 5;
    case StatusCode::kBusy:
      return 6;
    case StatusCode::kReadOnly:
      return 7;
    case StatusCode::kDiskFull:
      return 8;
    case StatusCode::kCorrupt:
      return 9;
    case StatusCode::kSchemaTooNew:
      return 10;
    case StatusCode::kIoError:
      return 11;
    case StatusCode::kUnavailable:
      return 14;
    case StatusCode::kAccessDenied:
      return 15;
    case StatusCode::kTimedOut:
      return 16;
    case StatusCode::kOutOfMemory:
      return 17;
    case StatusCode::kInternal:
      return kExitInternal;
  }
  return kExitInternal;
}

}  // namespace extrace::cli
