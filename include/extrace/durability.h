// How far an acknowledged event is durable: the store's one durability knob.
#pragma once

namespace extrace {

enum class Durability {
  kFull,    // synchronous=FULL (the default): an acknowledged event survives a power cut
  kNormal,  // synchronous=NORMAL: survives a crash of the process, not of the machine
};

}  // namespace extrace
