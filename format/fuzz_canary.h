// The fuzzing canary (docs/fuzzing.md): a planted crash in the event parser
// that only builds with EXTRACE_FUZZ_CANARY have (make fuzz-canary), so that
// a run of the fuzzer proves it finds a bug hidden behind one specific input:
// an event whose nodeId starts with "F!Zz". Never in a product build.
#pragma once

#ifdef EXTRACE_FUZZ_CANARY
#include <cstdio>
#include <cstdlib>
#include <string>

#include "extrace/event.h"

namespace extrace {

// One branch per character, each with a store the compiler must keep (so the
// branches are not merged into one 4-byte compare): a bug behind a few
// specific bytes as real ones are, each byte a step the fuzzer's coverage sees.
inline void TripFuzzCanary(const Event& event) {
  [[maybe_unused]] static volatile int matched = 0;
  const std::string& id = event.node_id;
  if (id.size() < 4 || id[0] != 'F') return;
  matched = 1;
  if (id[1] != '!') return;
  matched = 2;
  if (id[2] != 'Z') return;
  matched = 3;
  if (id[3] != 'z') return;
  std::fputs("extrace fuzz canary: tripped\n", stderr);
  std::abort();
}

}  // namespace extrace
#endif
