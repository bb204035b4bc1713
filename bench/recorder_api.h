// How the benchmarks call the recorder: through the handle API
// (Recorder::Node once per node, then SetNodeState/ReportProgress on the
// handle) when the recorder has it, else through the string API. Chosen at
// compile time, so the benchmarks build against either recorder.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "extrace/recorder.h"

namespace extrace::bench {

template <typename R>
concept HasHandleApi = requires(R& r, const std::string& s) {
  *r.Node(s, s);
};

// The nodes of one run as the recorder's calls take them.
template <typename R>
class RunNodes {
 public:
  static constexpr const char* kApi = "string";
  // Resolves `node_ids` of run `execution_id`; false when the recorder refuses.
  bool Resolve(R& /*recorder*/, const std::string& execution_id,
               const std::vector<std::string>& node_ids) {
    run_ = execution_id;
    nodes_ = &node_ids;
    return true;
  }
  void State(R& recorder, size_t node, NodeState state) {
    recorder.SetNodeState(run_, (*nodes_)[node], state);
  }
  void Progress(R& recorder, size_t node, double progress, std::string_view message = {}) {
    recorder.ReportProgress(run_, (*nodes_)[node], progress, message);
  }

 private:
  std::string run_;
  const std::vector<std::string>* nodes_ = nullptr;
};

template <typename R>
requires HasHandleApi<R>
class RunNodes<R> {
 public:
  static constexpr const char* kApi = "handle";
  bool Resolve(R& recorder, const std::string& execution_id,
               const std::vector<std::string>& node_ids) {
    handles_.clear();
    for (const auto& id : node_ids) {
      auto handle = recorder.Node(execution_id, id);
      if (!handle) return false;
      handles_.push_back(*handle);
    }
    return true;
  }
  void State(R& recorder, size_t node, NodeState state) {
    recorder.SetNodeState(handles_[node], state);
  }
  void Progress(R& recorder, size_t node, double progress, std::string_view message = {}) {
    if (message.empty())
      recorder.ReportProgress(handles_[node], progress);
    else
      recorder.ReportProgress(handles_[node], progress, message);
  }

 private:
  using Handle =
      std::remove_cvref_t<decltype(*std::declval<R&>().Node(std::string(), std::string()))>;
  std::vector<Handle> handles_;
};

}  // namespace extrace::bench
