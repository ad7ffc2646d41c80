#include "kvmem/digest.hpp"

#include <openssl/sha.h>

namespace kvmem {

digest digest::sha256(std::string_view data) {
  digest d;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d.bytes.data());
  return d;
}

std::string digest::hex() const {
  static constexpr char hexdigits[] = "0123456789abcdef";
  std::string out(64, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = hexdigits[bytes[i] >> 4];
    out[2 * i + 1] = hexdigits[bytes[i] & 0xf];
  }
  return out;
}

} // namespace kvmem
