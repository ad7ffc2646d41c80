// Recovery: lock, newest checkpoint, journal replay, torn tail (see
// recovery.hpp).
#include "persist/recovery.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/core.h>

#include "persist/checkpoint.hpp"
#include "persist/file_names.hpp"
#include "persist/journal_record.hpp"
#include "persist/le.hpp"
#include "persist/removal.hpp"

namespace kvmem::detail {

namespace {

result<std::string> read_all(file_system& fs, const std::string& path) {
  auto f = fs.open(path, file_system::mode::read);
  if (!f)
    return std::move(f).error();
  auto size = (*f)->size();
  if (!size)
    return std::move(size).error();
  std::string data(static_cast<std::size_t>(*size), '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    auto n = (*f)->read_at(got, {data.data() + got, data.size() - got});
    if (!n)
      return std::move(n).error();
    if (*n == 0)
      break;
    got += *n;
  }
  data.resize(got);
  return data;
}

// Whether a whole record (its checksum holds) of a version above `after`
// starts anywhere in data[from, end). Candidates are filtered by a plausible
// length and version before the checksum, so the scan is linear in practice.
bool later_record(std::string_view d, std::uint64_t from, version_t after) {
  for (std::uint64_t p = from; p + record_header_bytes + 8 <= d.size(); ++p) {
    std::uint32_t len = load_u32(d.data() + p);
    if (len < 8 + 16 + 4 + 4 || len > d.size() - p - record_header_bytes)
      continue;
    version_t v = load_u64(d.data() + p + record_header_bytes);
    if (v <= after || v - after > (std::uint64_t{1} << 40))
      continue;
    if (check_frame(d.substr(p)).status == frame_check::ok)
      return true;
  }
  return false;
}

} // namespace

void replay_owners(std::set<key>& owned, const change_list& effects, const std::vector<key>& made,
                   const tree& t) {
  if (!owned.empty())
    for (auto& e : effects) {
      bool below = e.op != change_op::set;
      for (auto i = owned.lower_bound(e.path); i != owned.end();) {
        if (below ? !e.path.is_prefix_of(*i) : *i != e.path)
          break;
        i = owned.erase(i);
      }
    }
  for (auto& k : made)
    if (t.exists(k))
      owned.insert(k);
}

result<recovered> recover(const persistence_options& o, ptime now) {
  auto started = std::chrono::steady_clock::now();
  auto& fs = *o.fs;
  const auto& dir = o.dir;
  if (auto r = fs.make_dir(dir); !r)
    return std::move(r).error();
  recovered out;
  auto lock = fs.lock(dir + "/LOCK");
  if (!lock)
    return std::move(lock).error();
  out.lock = std::move(*lock);
  auto names = fs.list(dir);
  if (!names)
    return std::move(names).error();
  std::vector<std::pair<version_t, std::string>> checkpoints, segments;
  for (auto& n : *names) {
    if (n.ends_with(".kvc.tmp") || n.ends_with(removal_suffix))
      (void)fs.remove(dir + "/" + n); // a checkpoint a crash interrupted, a removal it cut short
    else if (auto v = parse_checkpoint_name(n))
      checkpoints.emplace_back(*v, n);
    else if (auto s = parse_segment_name(n))
      segments.emplace_back(*s, n);
  }
  std::sort(checkpoints.rbegin(), checkpoints.rend());
  std::sort(segments.begin(), segments.end());
  auto& rep = out.report;

  // --- the newest valid checkpoint
  bool loaded = false;
  for (auto& [v, name] : checkpoints) {
    auto c = read_checkpoint(fs, dir, name, unlimited);
    if (!c) {
      if (!o.recover_to_damage || c.error().code != errc::corrupt)
        return std::move(c).error();
      if (!rep.damage)
        rep.damage = c.error();
      // Set aside (not deleted: the operator may want it), so that the next
      // normal start does not stop at it again.
      (void)fs.rename(dir + "/" + name, dir + "/" + name + ".damaged");
      (void)fs.sync_dir(dir);
      continue; // an older one, if the journal still covers it
    }
    out.root = std::move(c->root);
    out.version = out.checkpoint_version = c->version;
    out.checkpoint_taken = c->taken;
    out.owned.insert(c->owned.begin(), c->owned.end());
    auto f = fs.open(dir + "/" + name, file_system::mode::read);
    if (f)
      if (auto s = (*f)->size())
        out.checkpoint_bytes = *s;
    rep.checkpoint_version = c->version;
    rep.checkpoint_file = name;
    loaded = true;
    break;
  }
  if (!loaded) {
    if (!segments.empty() && !o.recover_to_damage)
      return error::make(errc::corrupt,
                         fmt::format("{}: journal segments but no checkpoint to start from", dir));
    // A new store: its empty root, made durable as the checkpoint of 0.
    out.root = tree{now, unlimited};
    checkpoint_data c{0, now, out.root, {}};
    auto size = write_checkpoint(fs, dir, c);
    if (!size)
      return std::move(size).error();
    out.checkpoint_taken = now;
    out.checkpoint_bytes = *size;
    rep.created = checkpoints.empty() && segments.empty();
    rep.checkpoint_file = checkpoint_name(0);
  }

  // --- the journal after it
  bool stop = false; // damage met (recover_to_damage): what follows is dropped
  for (std::size_t i = 0; i < segments.size(); ++i) {
    auto& [first, name] = segments[i];
    const bool last = i + 1 == segments.size();
    const auto path = dir + "/" + name;
    if (stop || (!last && segments[i + 1].first <= out.version + 1 && !stop)) {
      // Wholly before the checkpoint (a crash came between the checkpoint
      // and this deletion), or after damage: gone.
      (void)fs.remove(path);
      (void)fs.sync_dir(dir);
      continue;
    }
    auto data = read_all(fs, path);
    if (!data)
      return std::move(data).error();
    std::string_view d = *data;
    auto header = check_segment_header(d);
    if (!header || *header != first) {
      if (last && std::all_of(d.begin(), d.end(), [](char c) { return c == 0; }) &&
          d.size() <= segment_header_bytes) {
        // Created, never made durable with its header: a crash mid-roll.
        rep.torn_tail = true;
        rep.torn_file = name;
        rep.torn_bytes = d.size();
        (void)fs.remove(path);
        (void)fs.sync_dir(dir);
        continue;
      }
      auto e = corrupt_at(name, 0, "not a journal segment of format 1 for its name");
      if (!o.recover_to_damage)
        return e;
      rep.damage = e;
      stop = true;
      (void)fs.remove(path);
      continue;
    }
    std::uint64_t off = segment_header_bytes;
    std::optional<error> damage;
    while (off < d.size()) {
      auto fc = check_frame(d.substr(off));
      if (fc.status == frame_check::ok) {
        auto body = d.substr(off + record_header_bytes, fc.length);
        auto rec = decode_record(body);
        if (!rec) {
          damage = corrupt_at(name, off, rec.error().detail);
          break;
        }
        if (rec->at.version > out.version) {
          if (rec->at.version != out.version + 1) {
            damage = corrupt_at(name, off,
                                fmt::format("version {} follows version {}: records are missing",
                                            rec->at.version, out.version));
            break;
          }
          change_list effects;
          change_list* fx = out.owned.empty() ? nullptr : &effects;
          bool changed = false;
          std::optional<error> failed;
          // All or nothing, as the store applied it: several writes go to a
          // copy (one write that fails changes nothing by itself).
          const bool several = rec->writes.size() > 1;
          tree next;
          if (several)
            next = out.root;
          tree& target = several ? next : out.root;
          for (auto& w : rec->writes) {
            auto r = apply(target, w, rec->at, fx);
            if (!r) {
              failed = r.error();
              break;
            }
            changed = changed || *r;
          }
          if (several && !failed && changed)
            out.root = std::move(next);
          if (failed || !changed) {
            damage = corrupt_at(name, off,
                                fmt::format("the record of version {} does not apply: {}",
                                            rec->at.version,
                                            failed ? failed->message() : "it changes nothing"));
            break;
          }
          replay_owners(out.owned, effects, rec->owned, out.root);
          out.version = rec->at.version;
          ++rep.records_replayed;
        }
        off += record_header_bytes + fc.length;
        continue;
      }
      // A record that is not whole: the torn tail of a crash if nothing
      // follows it, else damage. A damaged length can make a record in the
      // middle look cut short or end exactly at the end of the file: so a
      // tail also needs no whole record of a later version anywhere after it.
      bool tail = last && !later_record(d, off + 1, out.version) &&
                  (fc.status == frame_check::truncated ||
                           (fc.status == frame_check::zeros &&
                            std::all_of(d.begin() + static_cast<std::ptrdiff_t>(off), d.end(),
                                        [](char c) { return c == 0; })) ||
                           (fc.status == frame_check::bad_sum &&
                            off + record_header_bytes + fc.length == d.size()));
      if (tail) {
        rep.torn_tail = true;
        rep.torn_file = name;
        rep.torn_offset = off;
        rep.torn_bytes = d.size() - off;
      } else {
        damage = corrupt_at(name, off,
                            fc.status == frame_check::bad_sum ? "a record's checksum fails"
                            : fc.status == frame_check::zeros ? "zeros where a record should be"
                                                              : "a record is cut short");
      }
      break;
    }
    if (damage) {
      if (!o.recover_to_damage)
        return *damage;
      rep.damage = damage;
      stop = true;
    }
    if (off < d.size()) { // cut the torn tail (or, recovering to damage, what follows it)
      auto f = fs.open(path, file_system::mode::write);
      if (!f)
        return std::move(f).error();
      if (auto r = (*f)->truncate(off); !r)
        return std::move(r).error();
      if (auto r = (*f)->sync(); !r)
        return std::move(r).error();
    }
    out.segments.push_back({name, first, off});
  }
  rep.version = out.version;
  rep.owned_keys_removed = out.owned.size();
  rep.took = std::chrono::steady_clock::now() - started;
  return out;
}

} // namespace kvmem::detail
