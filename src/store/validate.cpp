// Read-set validation: a read's result is a function of the key's presence
// (or the reason it is absent) and of one of its effective versions, chosen
// by the read; the version contract (tree.hpp) makes "same version" mean
// "same result". The table (value | dictionary):
//   exists         created  | created      (replaced or removed: different)
//   get, size      modified | —            (a dictionary: value_expected, always;
//                                           get_partial reads as get)
//   last_modified  modified | modified     (a dictionary's own entries)
//   list           —        | modified     (a value: dictionary_expected, always)
//   digest, stat   modified | subtree      (anything below)
// Absent keys compare by the reason (not_found or dictionary_expected),
// except for exists, where both are "absent".
#include "store/validate.hpp"

namespace kvmem::detail {

namespace {

struct observation {
  enum status_t : std::uint8_t { missing, through_value, value, dictionary } status;
  version_t version = 0;
  friend bool operator==(const observation&, const observation&) = default;
};

observation observe(const tree& t, const read_op& r) {
  using op = read_op::code;
  auto s = t.stat(r.path);
  if (!s) {
    if (r.op == op::exists)
      return {observation::missing, 0};
    return {s.error().code == errc::not_found ? observation::missing : observation::through_value, 0};
  }
  if (s->what == kind::value) {
    if (r.op == op::list)
      return {observation::value, 0};
    return {observation::value, r.op == op::exists ? s->created : s->modified};
  }
  switch (r.op) {
    case op::exists: return {observation::dictionary, s->created};
    case op::get:
    case op::get_partial:
    case op::size: return {observation::dictionary, 0};
    case op::last_modified:
    case op::list: return {observation::dictionary, s->modified};
    case op::digest:
    case op::stat: return {observation::dictionary, s->subtree};
  }
  return {observation::dictionary, s->subtree};
}

} // namespace

bool reads_current(const tree& base, const tree& now, const std::vector<read_op>& reads) {
  for (auto& r : reads)
    if (observe(base, r) != observe(now, r))
      return false;
  return true;
}

} // namespace kvmem::detail
