// What the server's event streams (Server-Sent Events) say, apart from how
// they reach the client (sse_session.cc): a run's events from a seq on, with
// its child runs announced, ending with the run; or the new runs of a flow.
// Each Poll reads only what is new since the last one.
#pragma once

#include <memory>
#include <string>

#include "extrace/status.h"
#include "storage/event_store.h"

namespace extrace::server {

// What one Poll added.
struct FeedPoll {
  int64_t events = 0;  // events (messages with an id) among the messages
  bool over = false;   // the feed said its last message: the stream ends
  bool more = false;   // more is waiting to be read: poll again once this is written
};

class StreamFeed {
 public:
  virtual ~StreamFeed() = default;
  // Appends the messages that are new since the last call to `out`.
  [[nodiscard]] virtual Result<FeedPoll> Poll(EventStore& store, std::string& out) = 0;
};

// GET /v1/runs/{id}/stream: every event with a seq above `after_seq`
// (`id:` its seq, or below it while a lower seq is still missing; `data:` the
// event as `extrace events` writes it), an
// `event: child-run` message (data {"executionId"}) when a child run starts,
// and `event: end` (data {"status"}) after the run's completed or error event.
// A run not in the store yet is waited for.
std::unique_ptr<StreamFeed> MakeRunFeed(std::string execution_id, int64_t after_seq);

// GET /v1/stream[?flow=F]: `event: run` (data: the run as an element of
// `extrace list --json`) for every run that appears after the stream began
// (of flow F when given). It does not end by itself.
std::unique_ptr<StreamFeed> MakeRunsFeed(std::string flow);

}  // namespace extrace::server
