// A separate project using only the installed CAF-free tree (kvmem::tree).
#include <fmt/core.h>
#include <kvmem/tree.hpp>
#include <kvmem/write_op.hpp>

int main() {
  kvmem::tree t;
  if (!kvmem::apply(t, kvmem::write_op::set(kvmem::key::v("/a/b"), "tree only"), {}))
    return 1;
  auto v = t.get(kvmem::key::v("/a/b"));
  if (!v || *v != "tree only")
    return 2;
  fmt::print("tree consumer ok: {} {}\n", *v, t.digest(kvmem::key{})->hex());
}
