// Splitting a shell line into words.
#pragma once

#include <string>
#include <vector>

namespace kvmem::cli {

/// Splits a shell line into words: whitespace separates, '...' and "..."
/// quote, backslash escapes the next character. Returns false on an
/// unterminated quote.
bool split_words(const std::string& line, std::vector<std::string>* words);

} // namespace kvmem::cli
