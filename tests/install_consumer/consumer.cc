// The README's recorder example in a main(), built against an installed extrace.
// Exit 0 when the run it recorded projects as completed.
#include <cstdio>

#include "extrace/extrace.h"

namespace {
void DoTheWork() {}
}  // namespace

int main() {
#include "readme_example.inc"
  return trace && trace->status == extrace::RunStatus::kCompleted ? 0 : 1;
}
