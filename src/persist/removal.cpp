// Deleting big files a piece at a time (see removal.hpp).
#include "persist/removal.hpp"

#include <algorithm>

namespace kvmem::detail {

void remove_gradually(file_system& fs, const std::string& dir, const std::string& name,
                      std::uint64_t step, const std::function<void()>& pace) {
  const auto path = dir + "/" + name;
  const auto doomed = path + std::string{removal_suffix};
  if (!fs.rename(path, doomed)) {
    (void)fs.remove(path);
    return;
  }
  // The old name must be gone on disk before any byte is: else a crash could
  // bring it back over a cut-short file, which recovery would call damage.
  // If that cannot be made sure, the file goes at once.
  if (!fs.sync_dir(dir)) {
    (void)fs.remove(doomed);
    return;
  }
  if (auto f = fs.open(doomed, file_system::mode::write)) {
    auto size = (*f)->size();
    for (std::uint64_t left = size ? *size : 0; left > 0;) {
      left -= std::min(left, std::max<std::uint64_t>(step, 4096));
      if (!(*f)->truncate(left) || !(*f)->sync())
        break;
      if (pace)
        pace();
    }
  }
  (void)fs.remove(doomed);
}

} // namespace kvmem::detail
