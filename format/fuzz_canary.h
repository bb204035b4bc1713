// The fuzzing canary (docs/fuzzing.md): a planted crash in the event parser
// that only builds with EXTRACE_FUZZ_CANARY have (make fuzz-canary), so that
// a run of the fuzzer proves it finds a bug hidden behind one specific input:
// an event whose nodeId starts with "F!Zz". Never in a product build.
#pragma once

#ifdef EXTRACE_FUZZ_CANARY
#include <cstdio>
#include <cstdlib>

#include "extrace/event.h"

namespace extrace {

inline void TripFuzzCanary(const Event& event) {
  if (event.node_id.starts_with("F!Zz")) {
    std::fputs("extrace fuzz canary: tripped\n", stderr);
    std::abort();
  }
}

}  // namespace extrace
#endif
