#include "words.hpp"

namespace kvmem::cli {

bool split_words(const std::string& line, std::vector<std::string>* words) {
  words->clear();
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char ch = line[i];
    if (ch == '\\' && i + 1 < line.size() && quote != '\'') {
      cur += line[++i];
      in_word = true;
    } else if (quote) {
      if (ch == quote)
        quote = 0;
      else
        cur += ch;
    } else if (ch == '\'' || ch == '"') {
      quote = ch;
      in_word = true;
    } else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
      if (in_word)
        words->push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += ch;
      in_word = true;
    }
  }
  if (quote)
    return false;
  if (in_word)
    words->push_back(std::move(cur));
  return true;
}

} // namespace kvmem::cli
