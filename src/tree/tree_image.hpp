// The exact binary image of a kvmem::tree — the body of a store checkpoint
// (internal): write_image walks a tree and hands its image to a sink in
// pieces; read_image rebuilds the tree, node for node, from a source.
//
// Format. All integers are fixed-width little-endian (i64 two's complement).
// A time is two i64: its days and its picoseconds (ptime, stored as is).
//
//   image      := header dict
//   header     := root mtime (i64 days, i64 ps)
//                 root created (u64)     tree::root_created_
//                 root modified (u64)    tree::root_modified_
//                 root subtree (u64)     the root dict_node's subtree version
//   dict       := count (u64, its direct entries) entry{count}
//   entry      := name length (u32, >= 1) name (bytes: no '/', strictly
//                 increasing byte-wise within a dictionary)
//                 kind (u8: 0 value, 1 dictionary)
//                 mtime (i64 days, i64 ps) created (u64) modified (u64)
//                 then for a value:      size (u64) bytes{size}
//                      for a dictionary: subtree (u64) dict
//
// Dictionaries are written in pre-order (an entry's dictionary follows it,
// entries in name order), so an image takes 40 bytes of header, 8 per
// dictionary (its count, the root's included) and 45 + name + value bytes
// per entry. It holds nothing derived (byte totals, AVL shapes, digests):
// read_image recomputes those. Nothing marks the end: the image ends where
// its root dictionary does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "kvmem/result.hpp"
#include "kvmem/tree.hpp"

namespace kvmem::detail {

/// Receives the image in pieces, in order; returns false to stop (an I/O
/// error: write_image then returns false).
using image_sink = std::function<bool(std::string_view)>;

/// Writes the whole tree `t`: every dictionary and value, in key order,
/// with names, kinds, value bytes, last-modified times, created/modified
/// versions of every entry, every dictionary's subtree version, and the
/// root's own time and versions. Iterative (keys may be thousands deep).
/// Buffers internally and calls sink with pieces of about 1 MiB (a value
/// of 1 MiB or more is passed directly, without copying it). Returns false
/// if the sink did. Never changes t, nor its memoised digests, so it may run
/// on a background thread while other threads use copies of t; `t` itself
/// must stay alive and unassigned meanwhile (pass a snapshot copy). May
/// throw std::bad_alloc (its 1 MiB buffer, a deep key's stack), and
/// std::length_error for a segment name of 4 GiB or more (the format's u32).
bool write_image(const tree& t, const image_sink& sink);

/// Supplies the image: fills up to out.size() bytes, returns how many (0 at
/// the end), or nullopt on an I/O error.
using image_source = std::function<std::optional<std::size_t>(std::span<char> out)>;

/// Rebuilds the tree written by write_image, node for node: every stat,
/// last_modified, get, list and digest equal the original's, verify() is
/// "", used() and count_nodes() are equal; `capacity` becomes the new
/// tree's capacity (not checked against used()). Each dictionary's AVL tree
/// is built perfectly balanced in O(n) from its sorted entries. Iterative.
///
/// Reads ahead: src is asked for up to 256 KiB at a time, so it may be
/// asked for bytes past the image's end (give it a source bounded to the
/// image); read_image stops once the root dictionary is complete and sets
/// *consumed (if non-null) to the image's length in bytes. Trailing bytes
/// are not checked here: the caller compares *consumed with what it has.
///
/// Errors: errc::corrupt, with a detail saying what is wrong and at which
/// byte offset of the image (truncated image, an impossible length, names
/// out of order or duplicated, an empty name or one containing '/', an
/// unknown kind); errc::io_error if src returned nullopt (or claimed more
/// bytes than it was asked for). Lengths are never trusted: a value longer
/// than 64 MiB is grown as its bytes actually arrive, so a lying length
/// cannot allocate far more than the image holds; a size above
/// max_value_size (2^48) is impossible. std::bad_alloc may propagate;
/// nothing leaks either way (what was built so far is freed). Times and
/// versions are taken as they are, not checked (a damaged version reads as
/// a tree whose verify() reports it).
result<tree> read_image(const image_source& src, std::uint64_t capacity,
                        std::uint64_t* consumed = nullptr);

} // namespace kvmem::detail
