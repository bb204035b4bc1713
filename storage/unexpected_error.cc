// Unexpected exceptions -> kInternal (std::bad_alloc: kOutOfMemory): see unexpected_error.h.
#include "storage/unexpected_error.h"

#include <fmt/format.h>

#include <exception>
#include <new>

namespace extrace {

Error DescribeUnexpected(std::string_view path, std::string_view what) {
  try {
    throw;
  } catch (const std::bad_alloc&) {
    return Error{StatusCode::kOutOfMemory, fmt::format("{}: {}: out of memory", path, what)};
  } catch (const std::exception& e) {
    return Error{StatusCode::kInternal,
                 fmt::format("{}: {}: internal error: {}", path, what, e.what())};
  } catch (...) {
    return Error{StatusCode::kInternal, fmt::format("{}: {}: internal error", path, what)};
  }
}

}  // namespace extrace
