// A separate project using the installed kvmem through find_package.
#include <fmt/core.h>
#include <kvmem/tree.hpp>

int main() {
  kvmem::tree t;
  if (!t.set(kvmem::key::v("/hello"), "world", {}))
    return 1;
  auto v = t.get(kvmem::key::v("/hello"));
  if (!v || *v != "world")
    return 2;
  fmt::print("consumer ok: {}\n", t.digest(kvmem::key{})->hex());
}
