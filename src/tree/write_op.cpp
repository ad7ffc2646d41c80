// Applying a write_op to a tree: the one place a write's description meets
// the tree's operations.
#include "kvmem/write_op.hpp"

#include <new>

#include "kvmem/tree.hpp"

namespace kvmem {

namespace {
// A write that cannot be a no-op: success means "changed".
result<bool> changed(result<void> r) {
  if (!r)
    return std::move(r).error();
  return true;
}

std::uint64_t key_bytes(const key& k) noexcept {
  std::uint64_t n = 0;
  for (auto& s : k.segments())
    n += s.size() + 1;
  return n;
}
} // namespace

std::uint64_t write_op::payload_bytes() const noexcept {
  std::uint64_t made = data.size(); // the value a set makes
  if (op == code::allocate)
    made = size;
  else if (op == code::set_partial) // it may extend the value up to its end
    made = offset > UINT64_MAX - data.size() ? UINT64_MAX : offset + data.size();
  auto keys = key_bytes(path) + key_bytes(destination);
  return made > UINT64_MAX - keys ? UINT64_MAX : keys + made;
}

result<bool> apply(tree& t, const write_op& w, const stamp& at, change_list* effects) try {
  if (w.precondition)
    if (auto r = t.check(w.path, *w.precondition); !r)
      return std::move(r).error();
  using c = write_op::code;
  switch (w.op) {
    case c::set: return changed(t.set(w.path, w.data, at, effects));
    case c::set_partial: return changed(t.set_partial(w.path, w.offset, w.data.view(), at, effects));
    case c::remove: return t.remove(w.path, at, effects);
    case c::rename: return t.rename(w.path, w.destination, at, effects);
    case c::allocate: return changed(t.allocate(w.path, w.size, w.time, at, effects));
  }
  return error::make(errc::invalid_argument, "unknown write operation");
} catch (const std::bad_alloc&) {
  return error::no_space(); // from the precondition's error: nothing was written
}

} // namespace kvmem
