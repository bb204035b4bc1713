// The one back-off loop of storage: retries an attempt while another writer
// holds what it needs (a lock, a file being created), with a time budget,
// pauses doubling from 1 ms up to a cap and, for writers that collide, jitter.
// Backend-neutral: a result type and a decision say what is worth retrying.
// Thread-safe: it keeps no state between calls.
#pragma once

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <utility>

namespace extrace {

struct RetryPolicy {
  // How long to keep retrying after a pause, counted from the first attempt.
  std::chrono::milliseconds budget{0};
  // The longest pause; pauses double from 1 ms up to it. Default: 50 ms.
  std::chrono::milliseconds max_pause{50};
  // Adds a random 0..pause to every pause, so writers that collided do not
  // collide again in step. Default: false.
  bool jitter = false;
};

enum class RetryDecision {
  kStop,              // return this attempt's result
  kRetryAfterPause,   // retry after the next pause, while the budget lasts
  kRetryImmediately,  // retry now, budget or not: the caller bounds it
};

// Calls `attempt()` until `decide(result, elapsed)` says kStop, or says
// kRetryAfterPause once the budget is spent; returns the last result.
// `elapsed` is the time since the first attempt, for decisions with a budget
// of their own.
template <typename Attempt, typename Decide>
auto RetryWithBackoff(const RetryPolicy& policy, Attempt&& attempt, Decide&& decide) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  std::minstd_rand random(static_cast<unsigned>(start.time_since_epoch().count()));
  auto pause = std::chrono::milliseconds(1);
  while (true) {
    auto result = attempt();
    const auto elapsed = Clock::now() - start;
    switch (decide(std::as_const(result), elapsed)) {
      case RetryDecision::kStop:
        return result;
      case RetryDecision::kRetryImmediately:
        continue;
      case RetryDecision::kRetryAfterPause:
        if (elapsed >= policy.budget) return result;
        break;
    }
    auto sleep = pause;
    if (policy.jitter) sleep += std::chrono::milliseconds(random() % (pause.count() + 1));
    std::this_thread::sleep_for(sleep);
    pause = std::min(pause * 2, policy.max_pause);
  }
}

}  // namespace extrace
