// The topological executor: see graph_executor.h.
#include "examples/demo/graph_executor.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <unordered_map>

namespace extrace::demo {

GraphOutcome RunGraph(Recorder& recorder, const std::string& execution_id,
                      const std::vector<Task>& tasks, int threads, const TaskDoneFn& on_done) {
  const size_t n = tasks.size();
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < n; ++i)
    if (!index.emplace(tasks[i].node_id, i).second)
      throw std::invalid_argument("graph: task \"" + tasks[i].node_id + "\" declared twice");
  std::vector<std::vector<size_t>> dependents(n);
  std::vector<size_t> waiting(n, 0);
  for (size_t i = 0; i < n; ++i) {
    for (const std::string& dep : tasks[i].after) {
      auto it = index.find(dep);
      if (it == index.end())
        throw std::invalid_argument("graph: task \"" + tasks[i].node_id +
                                    "\" waits for unknown task \"" + dep + "\"");
      dependents[it->second].push_back(i);
      ++waiting[i];
    }
  }
  {  // Kahn's algorithm on a copy: every task must become ready at some point.
    std::vector<size_t> left = waiting, stack;
    for (size_t i = 0; i < n; ++i)
      if (left[i] == 0) stack.push_back(i);
    size_t reached = 0;
    while (!stack.empty()) {
      size_t i = stack.back();
      stack.pop_back();
      ++reached;
      for (size_t d : dependents[i])
        if (--left[d] == 0) stack.push_back(d);
    }
    if (reached != n) throw std::invalid_argument("graph: the dependencies form a cycle");
  }

  std::mutex mu;
  std::condition_variable cv;
  std::set<size_t> ready;  // by declaration order
  for (size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) ready.insert(i);
  std::vector<bool> started(n, false);
  size_t running = 0;
  GraphOutcome outcome;

  auto worker = [&] {
    std::unique_lock lock(mu);
    while (true) {
      auto finished = [&] { return (!outcome.ok || ready.empty()) && running == 0; };
      cv.wait(lock, [&] { return (outcome.ok && !ready.empty()) || finished(); });
      if (finished()) return;
      size_t i = *ready.begin();
      ready.erase(ready.begin());
      started[i] = true;
      ++running;
      lock.unlock();

      std::string error;
      bool failed = false;
      try {
        NodeScope::Run(recorder, execution_id, tasks[i].node_id, tasks[i].work);
      } catch (const std::exception& e) {
        failed = true;
        error = e.what();
      } catch (...) {
        failed = true;
        error = "unknown exception";
      }

      lock.lock();
      --running;
      if (failed) {
        if (outcome.ok) {
          outcome.ok = false;
          outcome.failed_node = tasks[i].node_id;
          outcome.message = error;
        }
      } else {
        ++outcome.completed;
        for (size_t d : dependents[i])
          if (--waiting[d] == 0) ready.insert(d);
        if (on_done) on_done(outcome.completed, n);
      }
      cv.notify_all();
    }
  };

  std::vector<std::thread> pool;
  int count = std::clamp(threads, 1, static_cast<int>(std::max<size_t>(1, n)));
  pool.reserve(static_cast<size_t>(count));
  for (int t = 0; t < count; ++t) pool.emplace_back(worker);
  for (auto& thread : pool) thread.join();

  for (size_t i = 0; i < n; ++i) {
    if (started[i]) continue;
    recorder.SetNodeState(execution_id, tasks[i].node_id, NodeState::kSkipped);
    ++outcome.skipped;
  }
  return outcome;
}

}  // namespace extrace::demo
