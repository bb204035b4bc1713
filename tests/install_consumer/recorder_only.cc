// Records one run through extrace::recorder alone (no projector linked).
#include <cstdio>

#include "extrace/recorder.h"

int main() {
  auto recorder = extrace::Recorder::Open("recorder-only.db");
  if (!recorder) {
    std::fprintf(stderr, "%s\n", recorder.error().message.c_str());
    return 1;
  }
  auto run = (*recorder)->StartRun({"solo", {{"solo", "Solo", "task"}}});
  if (!run) return 1;
  (*recorder)->SetNodeState(*run, "solo", extrace::NodeState::kCompleted);
  (*recorder)->CompleteRun(*run);
  return (*recorder)->Flush() ? 0 : 1;
}
