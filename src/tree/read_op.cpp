// Applying a read_op to a tree: the one place a read's description meets
// the tree's reads.
#include "kvmem/read_op.hpp"

#include <new>

namespace kvmem {

std::string_view to_string(read_op::code c) noexcept {
  using k = read_op::code;
  switch (c) {
    case k::exists: return "exists";
    case k::get: return "get";
    case k::size: return "size";
    case k::list: return "list";
    case k::last_modified: return "last_modified";
    case k::digest: return "digest";
    case k::stat: return "stat";
    case k::get_partial: return "get_partial";
  }
  return "unknown";
}

namespace {
template <class T>
result<read_result> wrap(result<T> r) {
  if (!r)
    return std::move(r).error();
  return read_result{std::move(*r)};
}
} // namespace

result<read_result> apply(const tree& t, const read_op& r) try {
  using k = read_op::code;
  switch (r.op) {
    case k::exists: return read_result{t.exists(r.path)};
    case k::get: return wrap(t.get(r.path));
    case k::get_partial: return wrap(t.get_partial(r.path, r.offset, r.length));
    case k::size: return wrap(t.size(r.path));
    case k::list: return wrap(t.list(r.path));
    case k::last_modified: return wrap(t.last_modified(r.path));
    case k::digest: return wrap(t.digest(r.path));
    case k::stat: return wrap(t.stat(r.path));
  }
  return error::make(errc::invalid_argument, "unknown read operation");
} catch (const std::bad_alloc&) {
  return error::no_space();
}

} // namespace kvmem
