// Fuzz target: the RESP request parser (src/resp/request_parser.hpp) and the
// data commands (src/resp/commands.hpp) run over a tree.
//
// The input is a client's byte stream, parsed as the server does: request
// after request until one is incomplete or an error. Properties: what a
// request consumed lies in the input; parsing the same bytes again gives the
// same request (the server re-parses a group's look-ahead); every strict
// prefix of a complete request is incomplete (a request is returned only
// once all of it has arrived); a multibulk's arguments are views into the
// input. Each complete data command then runs over a tree as the server runs
// a group, and the tree's invariants must hold after each (tree::verify).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "kvmem/tree.hpp"
#include "resp/commands.hpp"
#include "resp/request_parser.hpp"

#include "fuzz_check.hpp"

namespace {

using namespace kvmem::detail::resp;

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024)
    return 0;
  const char* p = reinterpret_cast<const char*>(data);
  parse_limits lim;
  lim.max_bulk = 4096;
  lim.max_args = 64;
  lim.max_inline = 1024;
  kvmem::tree t{kvmem::ptime{}, 1 << 20};
  group_run run{t, 0, kvmem::ptime{}};
  session_data session;
  std::string replies;
  reply_writer w{replies, (size % 2) ? 3 : 2};
  std::size_t at = 0;
  for (int n = 0; n < 200 && at < size; ++n) {
    std::vector<std::string_view> args, again;
    std::vector<std::string> words, words2;
    auto r = parse_request(p + at, size - at, lim, args, words);
    if (r.status == parse_status::incomplete || r.status == parse_status::error) {
      if (r.consumed != 0)
        kvmem_fuzz::fail("an incomplete or failed parse consumed bytes");
      break;
    }
    if (r.consumed == 0 || r.consumed > size - at)
      kvmem_fuzz::fail("a request consumed nothing, or more than the input");
    auto r2 = parse_request(p + at, size - at, lim, again, words2);
    if (r2.status != r.status || r2.consumed != r.consumed || again.size() != args.size())
      kvmem_fuzz::fail("parsing the same bytes twice gave different requests");
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (args[i] != again[i])
        kvmem_fuzz::fail("parsing the same bytes twice gave different arguments");
      if (p[at] == '*' && (args[i].data() < p + at || args[i].data() + args[i].size() > p + at + r.consumed))
        kvmem_fuzz::fail("a multibulk argument outside its request");
    }
    if (r.status == parse_status::complete && r.consumed < 4096)
      for (std::size_t cut = 0; cut < r.consumed; ++cut) {
        std::vector<std::string_view> a3;
        std::vector<std::string> w3;
        auto r3 = parse_request(p + at, cut, lim, a3, w3);
        if (r3.status == parse_status::complete && r3.consumed == r.consumed)
          kvmem_fuzz::fail("a request complete before all of it arrived");
        if (p[at] == '*' && r3.status == parse_status::complete)
          kvmem_fuzz::fail("a strict prefix of a multibulk request is complete");
      }
    at += r.consumed;
    if (r.status != parse_status::complete)
      continue;
    std::string name{args[0]};
    for (auto& c : name)
      if (c >= 'A' && c <= 'Z')
        c = static_cast<char>(c - 'A' + 'a');
    auto* spec = find_command(name);
    if (spec == nullptr || spec->run == nullptr || !arity_ok(*spec, args.size()))
      continue;
    spec->run(args, run, session, w);
    if (auto bad = run.view().verify(); !bad.empty())
      kvmem_fuzz::fail("the tree broke after " + name + ": " + bad);
    if (replies.size() > (1u << 20))
      replies.clear();
  }
  return 0;
}
