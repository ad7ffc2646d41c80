// kvmem dump / kvmem load (see dump.hpp).
#include "dump.hpp"

#include <vector>

#include <fmt/format.h>

#include "text.hpp"

namespace kvmem::cli {

namespace {

constexpr std::string_view header = "kvmem-dump 1\n";

// The key of `k` relative to `prefix`, as "/a/b" ("/" for the prefix).
std::string relative(const key& prefix, const key& k) {
  std::string out;
  for (std::size_t i = prefix.depth(); i < k.depth(); ++i) {
    out += '/';
    out += k.segments()[i];
  }
  return out.empty() ? "/" : out;
}

// Reads exactly n bytes.
bool read_exact(std::FILE* in, std::string& out, std::size_t n) {
  out.resize(n);
  return n == 0 || std::fread(out.data(), 1, n, in) == n;
}

// Reads a line (without its '\n'), at most 64 bytes: a record's head.
bool read_head(std::FILE* in, std::string& out) {
  out.clear();
  for (int c; (c = std::fgetc(in)) != EOF;) {
    if (c == '\n')
      return true;
    if (out.size() >= 64)
      return false;
    out += static_cast<char>(c);
  }
  return false;
}

} // namespace

int dump(client& c, const key& prefix, const output& o) {
  std::uint64_t values = 0, dicts = 0;
  auto r = c.batch([&](batch_view& b) -> result<void> {
    values = dicts = 0;
    std::fwrite(header.data(), 1, header.size(), o.out);
    std::vector<key> todo{prefix};
    while (!todo.empty()) {
      auto k = std::move(todo.back());
      todo.pop_back();
      auto kind = b.exists(k);
      if (!kind)
        return std::move(kind).error();
      if (!*kind)
        return error::not_found(k);
      auto rel = relative(prefix, k);
      if (**kind == kvmem::kind::value) {
        auto v = b.get(k);
        if (!v)
          return std::move(v).error();
        fmt::print(o.out, "V {} {}\n", rel.size(), v->size());
        std::fwrite(rel.data(), 1, rel.size(), o.out);
        std::fwrite(v->data(), 1, v->size(), o.out);
        std::fputc('\n', o.out);
        ++values;
        continue;
      }
      auto l = b.list(k);
      if (!l)
        return std::move(l).error();
      if (l->empty() && !k.is_root()) {
        fmt::print(o.out, "D {}\n", rel.size());
        std::fwrite(rel.data(), 1, rel.size(), o.out);
        std::fputc('\n', o.out);
        ++dicts;
      }
      for (auto i = l->rbegin(); i != l->rend(); ++i) // in key order
        todo.push_back(i->first);
    }
    return {};
  });
  if (!r)
    return report(r.error(), o);
  if (!*r)
    return report(r->error(), o);
  fmt::print(o.out, "E {} {}\n", values, dicts);
  return ok;
}

int load(client& c, const key& prefix, std::FILE* in, const output& o) {
  std::string head, k, v;
  if (!read_exact(in, head, header.size()) || head != header) {
    fmt::print(o.err, "kvmem: load: not a kvmem dump (no \"kvmem-dump 1\" header)\n");
    return usage_error;
  }
  std::vector<write_op> pending;
  std::uint64_t pending_bytes = 0, values = 0, dicts = 0;
  auto flush = [&]() -> int {
    if (pending.empty())
      return ok;
    auto r = c.batch([&](batch_view& b) {
      for (auto& w : pending)
        if (auto e = b.write(w); !e)
          return;
    });
    pending.clear();
    pending_bytes = 0;
    if (!r)
      return report(r.error(), o, "load");
    return ok;
  };
  auto bad = [&](std::string_view why) {
    fmt::print(o.err, "kvmem: load: {} after {} values and {} dictionaries\n", why, values, dicts);
    return usage_error;
  };
  for (;;) {
    if (!read_head(in, head))
      return flush() == ok ? bad("the dump is cut short (no end record)") : store_error;
    unsigned long long kn = 0, vn = 0, a = 0, b = 0;
    char nl = 0;
    if (head[0] == 'E' && std::sscanf(head.c_str(), "E %llu %llu", &a, &b) == 2) {
      if (a != values || b != dicts)
        return bad(fmt::format("the end record counts {} values and {} dictionaries", a, b));
      if (int rc = flush(); rc != ok)
        return rc;
      fmt::print(o.out, "loaded {} values and {} empty dictionaries under {}\n", values, dicts,
                 escape(prefix.to_string()));
      return ok;
    }
    bool value = head[0] == 'V' && std::sscanf(head.c_str(), "V %llu %llu", &kn, &vn) == 2;
    bool dict = head[0] == 'D' && std::sscanf(head.c_str(), "D %llu", &kn) == 1;
    if ((!value && !dict) || kn > (1u << 20))
      return bad(fmt::format("a bad record head \"{}\"", escape(head)));
    if (!read_exact(in, k, kn) || (value && !read_exact(in, v, vn)) ||
        std::fread(&nl, 1, 1, in) != 1 || nl != '\n')
      return bad("a record is cut short");
    auto target = append(prefix, key::v(k));
    if (value) {
      pending.push_back(write_op::set(target, bytes{v}));
      pending_bytes += vn + kn;
      ++values;
    } else {
      // An empty dictionary: made by a value below it, removed in the same batch.
      auto probe = target / "\x01kvmem-load";
      pending.push_back(write_op::set(probe, bytes{}));
      pending.push_back(write_op::remove(probe));
      ++dicts;
    }
    if (pending.size() >= 1000 || pending_bytes >= (std::uint64_t{16} << 20))
      if (int rc = flush(); rc != ok)
        return rc;
  }
}

} // namespace kvmem::cli
