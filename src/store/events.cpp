#include "store/events.hpp"

namespace kvmem::detail {

write_preview preview(const tree& t, const write_op& w) {
  write_preview p;
  p.at_k = t.exists(w.path);
  if (w.op == write_op::code::rename) {
    // The rename rule (docs/semantics.md): into dst/basename(src) if dst is
    // a dictionary, else onto dst.
    p.target = t.exists(w.destination) == kind::dictionary ? w.destination / w.path.basename() : w.destination;
  }
  return p;
}

void describe(const tree& t, const write_op& w, const write_preview& p, version_t v,
              change_list& out) {
  using c = write_op::code;
  switch (w.op) {
    case c::set:
    case c::set_partial:
    case c::allocate:
      out.push_back({v, change_op::set, w.path, kind::value, {}, t.get(w.path).value_or(bytes{})});
      return;
    case c::remove:
      out.push_back({v, change_op::remove, w.path, p.at_k.value_or(kind::value), {}, {}});
      return;
    case c::rename: {
      auto moved = p.at_k.value_or(kind::value);
      out.push_back({v, change_op::rename_out, w.path, moved, p.target, {}});
      bytes value = moved == kind::value ? t.get(p.target).value_or(bytes{}) : bytes{};
      out.push_back({v, change_op::rename_in, p.target, moved, w.path, std::move(value)});
      return;
    }
  }
}

} // namespace kvmem::detail
