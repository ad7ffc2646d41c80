// The journal's segments, appends and sync thread (see journal.hpp).
#include "persist/journal.hpp"

#include <fmt/core.h>

#include "persist/file_names.hpp"
#include "persist/le.hpp"
#include "persist/removal.hpp"

namespace kvmem::detail {

namespace {
constexpr std::string_view segment_magic = "KVMEMJ01";
constexpr std::uint32_t segment_format = 1;
constexpr std::string_view segment_prefix = "journal-";
constexpr std::string_view segment_suffix = ".kvj";

error refusal(const error& why) {
  return error::make(errc::read_only,
                     fmt::format("the journal failed ({}); writes are refused until the store is "
                                 "reopened (what reached the disk is unknown)",
                                 why.message()));
}
} // namespace

std::string segment_name(version_t first) {
  return numbered_name(segment_prefix, first, segment_suffix);
}

std::optional<version_t> parse_segment_name(std::string_view name) {
  return parse_numbered_name(name, segment_prefix, segment_suffix);
}

std::string segment_header(version_t first) {
  std::string h{segment_magic};
  put_u32(h, segment_format);
  put_u32(h, 0);
  put_u64(h, first);
  return h;
}

std::optional<version_t> check_segment_header(std::string_view h) {
  if (h.size() < segment_header_bytes || h.substr(0, 8) != segment_magic ||
      load_u32(h.data() + 8) != segment_format || load_u32(h.data() + 12) != 0)
    return std::nullopt;
  return load_u64(h.data() + 16);
}

journal::journal(std::shared_ptr<file_system> fs, std::string dir, const persistence_options& o)
  : fs_(std::move(fs)), dir_(std::move(dir)), opts_(o) {}

result<std::unique_ptr<journal>> journal::open(std::shared_ptr<file_system> fs, std::string dir,
                                               const persistence_options& o,
                                               std::vector<segment> segments, version_t version) {
  std::unique_ptr<journal> j{new journal(std::move(fs), std::move(dir), o)};
  j->written_ = j->synced_ = j->last_before_ = j->flushed_ = version;
  j->buffered_ = o.sync != sync_policy::always;
  for (auto& s : segments)
    j->total_bytes_ += s.bytes;
  j->segments_ = std::move(segments);
  if (!j->segments_.empty() && j->segments_.back().bytes < o.segment_bytes) {
    auto f = j->fs_->open(j->dir_ + "/" + j->segments_.back().name, file_system::mode::write);
    if (!f)
      return std::move(f).error();
    j->current_ = std::move(*f);
    j->end_ = j->segments_.back().bytes;
  } else if (auto r = j->roll(version + 1); !r) {
    return std::move(r).error();
  }
  j->thread_ = std::thread([p = j.get()] { p->run(); });
  return j;
}

journal::~journal() {
  {
    std::lock_guard lk{m_};
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

std::optional<error> journal::refused() const {
  std::lock_guard lk{m_};
  return refused_;
}

void journal::refuse(error e) {
  if (!refused_)
    refused_ = refusal(e);
  refusing_ = true;
}

result<void> journal::roll(version_t first) {
  // The records of the segment being closed are on disk before a newer one
  // exists: recovery reads a torn record only at the very end.
  if (current_)
    if (auto r = current_->sync(); !r) {
      std::lock_guard lk{m_};
      refuse(r.error());
      return *refused_;
    }
  auto name = segment_name(first);
  auto path = dir_ + "/" + name;
  auto f = fs_->open(path, file_system::mode::create_new);
  if (!f)
    return std::move(f).error();
  std::shared_ptr<file> nf = std::move(*f);
  auto h = segment_header(first);
  auto fail = [&](error e) -> result<void> {
    nf.reset();
    (void)fs_->remove(path);
    return e;
  };
  if (auto r = nf->write_at(0, h); !r)
    return fail(r.error());
  if (auto r = nf->sync(); !r)
    return fail(r.error());
  if (auto r = fs_->sync_dir(dir_); !r) {
    // What the directory holds on disk is unknown now: as a failed sync.
    std::lock_guard lk{m_};
    refuse(r.error());
    (void)fail(r.error());
    return *refused_;
  }
  std::lock_guard lk{m_};
  if (!segments_.empty())
    segments_.back().bytes = end_;
  segments_.push_back({name, first, h.size()});
  total_bytes_ += h.size();
  current_ = std::move(nf);
  end_ = h.size();
  return {};
}

result<void> journal::append(std::string_view framed, version_t v) {
  if (refusing_.load(std::memory_order_acquire))
    if (auto r = refused())
      return *r;
  if (buffered_) {
    if (failing_.load(std::memory_order_acquire)) {
      std::lock_guard lk{m_};
      if (write_failing_)
        return error::make(errc::io_error,
                           fmt::format("the journal cannot be written ({}); writes are refused "
                                       "until it can be (retried every 100 ms)",
                                       write_failing_->message()));
    }
    staged_.assign(framed);
    staged_version_ = v;
    has_staged_ = true;
    return {};
  }
  if (end_ > segment_header_bytes && end_ + framed.size() > opts_.segment_bytes)
    if (auto r = roll(v); !r)
      return r;
  {
    std::lock_guard lk{m_};
    syncs_at_append_ = syncs_started_;
    sync_ran_at_append_ = syncs_running_ > 0;
  }
  if (auto r = current_->write_at(end_, framed); !r) {
    if (auto t = current_->truncate(end_); !t) {
      std::lock_guard lk{m_};
      refuse(t.error());
    }
    return r;
  }
  end_ += framed.size();
  last_bytes_ = framed.size();
  bool wake = false;
  {
    std::lock_guard lk{m_};
    last_before_ = written_;
    written_ = v;
    ++generation_;
    total_bytes_ += framed.size();
    since_checkpoint_ += framed.size();
    since_checkpoint_hint_.store(since_checkpoint_, std::memory_order_relaxed);
    if (!unsynced_since_) {
      unsynced_since_ = std::chrono::steady_clock::now();
      wake = opts_.sync == sync_policy::interval;
    }
  }
  if (wake)
    cv_.notify_one();
  return {};
}

void journal::keep() noexcept {
  if (!buffered_ || !has_staged_)
    return;
  has_staged_ = false;
  bool wake = false;
  {
    std::lock_guard lk{m_};
    const bool first = pending_.empty();
    try {
      // Room first, so that nothing below throws after the append; growing
      // by half at least (reserve(size() + 1) allocates exactly that: a
      // copy of every pending end per commit, which made sync=interval and
      // none 1.7x slower).
      if (pending_ends_.size() == pending_ends_.capacity())
        pending_ends_.reserve(std::max<std::size_t>(64, pending_ends_.size() * 3 / 2));
      pending_.append(staged_);
      pending_ends_.emplace_back(pending_.size(), staged_version_);
    } catch (...) {
      // The commit is applied but its record cannot be kept: nothing after
      // it may be journaled (recovery would find a gap).
      refuse(error::make(errc::no_space, "no memory to keep a journal record"));
      return;
    }
    written_ = staged_version_;
    ++generation_;
    total_bytes_ += staged_.size();
    since_checkpoint_ += staged_.size();
    since_checkpoint_hint_.store(since_checkpoint_, std::memory_order_relaxed);
    if (first) { // the first of a batch: the thread starts counting its interval
      unsynced_since_ = std::chrono::steady_clock::now();
      wake = true;
    }
    wake = wake || pending_.size() >= (std::size_t{1} << 20);
  }
  if (staged_.capacity() > (std::size_t{1} << 20))
    std::string{}.swap(staged_);
  if (wake)
    cv_.notify_one();
}

void journal::retract() {
  if (buffered_) {
    has_staged_ = false;
    return;
  }
  if (last_bytes_ == 0)
    return;
  auto t = current_->truncate(end_ - last_bytes_);
  // A sync that began after the append may have made the record durable:
  // then the cut must be made durable too, or a power loss would bring
  // back a commit that failed.
  bool resync = false;
  {
    std::lock_guard lk{m_};
    resync = t && (sync_ran_at_append_ || syncs_started_ != syncs_at_append_);
  }
  if (resync)
    t = current_->sync();
  std::lock_guard lk{m_};
  if (!t) {
    refuse(t.error());
    return;
  }
  end_ -= last_bytes_;
  total_bytes_ -= last_bytes_;
  since_checkpoint_ -= std::min(since_checkpoint_, last_bytes_);
  since_checkpoint_hint_.store(since_checkpoint_, std::memory_order_relaxed);
  written_ = last_before_;
  last_bytes_ = 0;
}

void journal::when_synced(sync_waiter w) {
  std::unique_lock lk{m_};
  if (refused_) {
    auto e = *refused_;
    lk.unlock();
    w(&e);
    return;
  }
  if (waiters_.empty())
    group_start_ = std::chrono::steady_clock::now();
  waiters_.push_back(std::move(w));
  note_sync_busy();
  // Wake the thread when the group is complete (or the first one comes:
  // it then decides how long to hold).
  bool wake = waiters_.size() == 1 || waiters_.size() >= last_group_;
  lk.unlock();
  if (wake)
    cv_.notify_one();
}

result<void> journal::sync_now() {
  if (buffered_)
    if (auto r = flush(); !r)
      return r.error();
  std::unique_lock lk{m_};
  if (refused_)
    return *refused_;
  auto f = current_;
  auto gen = generation_;
  auto ver = buffered_ ? flushed_ : written_;
  ++syncs_started_;
  ++syncs_running_;
  note_sync_busy();
  lk.unlock();
  auto r = f->sync();
  lk.lock();
  --syncs_running_;
  note_sync_busy();
  result<void> out;
  if (!r) {
    refuse(r.error());
    out = *refused_;
  } else {
    synced_generation_ = std::max(synced_generation_, gen);
    synced_ = std::max(synced_, ver);
  }
  lk.unlock();
  note_sync_ended(); // without m_: it may wait for a pacer at nice 19
  return out;
}

result<version_t> journal::flush() {
  std::lock_guard io{io_m_};
  std::string batch;
  std::vector<std::pair<std::size_t, version_t>> ends;
  {
    std::lock_guard lk{m_};
    if (pending_.empty())
      return flushed_;
    batch.swap(pending_);
    ends.swap(pending_ends_);
  }
  std::size_t done = 0; // bytes of batch written
  std::size_t i = 0;    // the next record to write
  std::optional<error> failed;
  while (i < ends.size()) {
    const std::size_t start = done;
    if (end_ > segment_header_bytes && end_ + (ends[i].first - start) > opts_.segment_bytes)
      if (auto r = roll(ends[i].second); !r) {
        failed = r.error();
        break;
      }
    // The records that fit in this segment (at least one), in one write.
    std::size_t j = i + 1;
    while (j < ends.size() && end_ + (ends[j].first - start) <= opts_.segment_bytes)
      ++j;
    std::string_view chunk{batch.data() + start, ends[j - 1].first - start};
    if (auto r = current_->write_at(end_, chunk); !r) {
      (void)current_->truncate(end_); // if this fails too, the retry overwrites from end_
      failed = r.error();
      break;
    }
    end_ += chunk.size();
    done = ends[j - 1].first;
    i = j;
  }
  std::lock_guard lk{m_};
  if (i > 0)
    flushed_ = ends[i - 1].second;
  if (!failed) {
    write_failing_.reset();
    failing_ = false;
    return flushed_;
  }
  // Keep what was not written, before what was kept since.
  try {
    std::string rest = batch.substr(done);
    std::vector<std::pair<std::size_t, version_t>> rest_ends;
    for (std::size_t k = i; k < ends.size(); ++k)
      rest_ends.emplace_back(ends[k].first - done, ends[k].second);
    for (auto& [end, v] : pending_ends_)
      rest_ends.emplace_back(end + rest.size(), v);
    rest += pending_;
    pending_ = std::move(rest);
    pending_ends_ = std::move(rest_ends);
  } catch (...) {
    refuse(error::make(errc::no_space, "no memory to keep journal records"));
  }
  write_failing_ = failed;
  failing_ = true;
  retry_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  return *failed;
}

void journal::run() {
  std::unique_lock lk{m_};
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (buffered_) {
      // interval/none: write what was kept within `interval` (or 1 MiB)
      // of the first; sync it right after under `interval`.
      const bool has = !pending_.empty() && !refused_; // refused: nothing more is written
      const bool due =
          has && (stop_ || (write_failing_ ? now >= retry_at_
                                           : pending_.size() >= (std::size_t{1} << 20) ||
                                                 (unsynced_since_ &&
                                                  now >= *unsynced_since_ + opts_.interval)));
      if (!due) {
        if (stop_) { // a clean shutdown syncs, whatever the policy
          if (!refused_ && flushed_ > synced_) {
            auto f = current_;
            auto ver = flushed_;
            lk.unlock();
            auto r = f->sync();
            lk.lock();
            if (r)
              synced_ = ver;
          }
          return;
        }
        if (has)
          cv_.wait_until(lk, write_failing_ ? retry_at_ : *unsynced_since_ + opts_.interval);
        else
          cv_.wait(lk);
        continue;
      }
      unsynced_since_.reset();
      lk.unlock();
      auto r = flush();
      std::optional<error> sync_failed;
      if (r && opts_.sync == sync_policy::interval) {
        std::shared_ptr<file> f;
        {
          std::lock_guard g{m_};
          f = current_;
        }
        if (auto s = f->sync(); !s)
          sync_failed = s.error();
      }
      lk.lock();
      if (sync_failed)
        refuse(*sync_failed);
      else if (r && opts_.sync == sync_policy::interval)
        synced_ = std::max(synced_, *r);
      if (!r && stop_)
        return; // closing, and the disk takes nothing: what is kept is lost
      continue;
    }
    bool unsynced = generation_ > synced_generation_;
    bool due = !waiters_.empty() || (stop_ && unsynced) ||
               (opts_.sync == sync_policy::interval && unsynced_since_ &&
                now >= *unsynced_since_ + opts_.interval);
    if (due && !stop_ && !waiters_.empty() && waiters_.size() < last_group_) {
      // Hold for the rest of the group the last sync released.
      auto until = group_start_ + last_sync_ / 4;
      if (now < until) {
        cv_.wait_until(lk, until);
        continue;
      }
    }
    if (!due) {
      if (stop_)
        return;
      if (opts_.sync == sync_policy::interval && unsynced_since_)
        cv_.wait_until(lk, *unsynced_since_ + opts_.interval);
      else
        cv_.wait(lk);
      continue;
    }
    // Everything appended so far, one sync; appends go on meanwhile.
    auto f = current_;
    auto gen = generation_;
    auto ver = written_;
    auto ws = std::move(waiters_);
    waiters_.clear();
    unsynced_since_.reset();
    ++syncs_started_;
    ++syncs_running_;
    note_sync_busy();
    bool ok = true;
    if (!refused_) {
      lk.unlock();
      auto t0 = std::chrono::steady_clock::now();
      auto r = f->sync();
      auto took = std::chrono::steady_clock::now() - t0;
      lk.lock();
      --syncs_running_;
      last_group_ = ws.size();
      last_sync_ = std::min<std::chrono::steady_clock::duration>(took, std::chrono::milliseconds(8));
      if (r) {
        synced_generation_ = std::max(synced_generation_, gen);
        synced_ = std::max(synced_, ver);
      } else {
        refuse(r.error());
        ok = false;
      }
    } else {
      --syncs_running_;
      ok = false;
    }
    note_sync_busy();
    std::optional<error> err;
    if (!ok)
      err = refused_;
    if (!ok && stop_)
      synced_generation_ = generation_; // nothing more can be done
    lk.unlock();
    note_sync_ended(); // without m_: it may wait for a pacer at nice 19
    for (auto& w : ws)
      w(err ? &*err : nullptr);
    lk.lock();
  }
}

// The pacing state is sequentially consistent: a pacer counts itself in
// (pacers_) and then reads syncs_ended_; a sync's end counts (syncs_ended_)
// and then reads pacers_. At least one of the two sees the other, so a pacer
// never sleeps through the end it waits for.
void journal::note_sync_busy() { sync_busy_ = !waiters_.empty() || syncs_running_ > 0; }

void journal::note_sync_ended() {
  ++syncs_ended_;
  if (pacers_ > 0) {
    { std::lock_guard g{pace_m_}; } // a pacer between its check and its wait gets the notify
    sync_ended_.notify_all();
  }
}

void journal::yield_to_syncs(std::chrono::steady_clock::duration limit) {
  if (buffered_ || !sync_busy_)
    return;
  const std::uint64_t ended = syncs_ended_;
  std::unique_lock lk{pace_m_};
  ++pacers_;
  sync_ended_.wait_for(lk, limit, [&] { return syncs_ended_ != ended || !sync_busy_; });
  --pacers_;
}

void journal::drop_through(version_t v, const std::function<void()>& pace) {
  std::vector<std::string> gone;
  {
    std::lock_guard lk{m_};
    std::size_t n = 0;
    while (n + 1 < segments_.size() && segments_[n + 1].first <= v + 1)
      ++n;
    for (std::size_t i = 0; i < n; ++i) {
      gone.push_back(segments_[i].name);
      total_bytes_ -= segments_[i].bytes;
    }
    segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(n));
  }
  for (auto& name : gone)
    remove_gradually(*fs_, dir_, name, std::uint64_t{16} << 20, pace);
}

journal::stats journal::info() const {
  std::lock_guard lk{m_};
  return {total_bytes_, segments_.size(), written_, synced_, since_checkpoint_};
}

void journal::mark_checkpoint() {
  std::lock_guard lk{m_};
  since_checkpoint_ = 0;
  since_checkpoint_hint_.store(0, std::memory_order_relaxed);
}

} // namespace kvmem::detail
