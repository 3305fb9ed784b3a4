// SHA-2 checksums through OpenSSL.
//   sha256: ZFS stores the 32-byte digest as four 64-bit words read big-endian, so
//           the words are the same whichever host wrote the block.
//   sha512: really SHA-512/256; ZFS stores its digest bytes as four words in the
//           writer's order, so a foreign-endian block needs its words swapped.
#include <openssl/evp.h>

#include <cstdlib>
#include <cstring>

#include "engine/checksum/checksum.h"
#include "engine/checksum/sha2.h"
#include "engine/util/byteorder.h"

namespace fzfs {
namespace {

// One-shot digest of `data` with `md`; fills 32 bytes. OpenSSL failures here can only
// mean memory exhaustion, which we treat as fatal like any allocation failure.
void digest32(const EVP_MD* md, std::span<const uint8_t> data, uint8_t out[32]) {
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr) != 1 || len != 32) abort();
  std::memcpy(out, buf, 32);
}

}  // namespace

Cksum sha256(std::span<const uint8_t> data) {
  uint8_t d[32];
  digest32(EVP_sha256(), data, d);
  Cksum c;
  for (int i = 0; i < 4; i++) c.w[i] = load_be<uint64_t>(d + 8 * i);
  return c;
}

Cksum sha512_256(std::span<const uint8_t> data, bool byteswap) {
  uint8_t d[32];
  digest32(EVP_sha512_256(), data, d);
  Cksum c;
  for (int i = 0; i < 4; i++) {
    c.w[i] = load<uint64_t>(d + 8 * i);
    if (byteswap) c.w[i] = bswap(c.w[i]);
  }
  return c;
}

}  // namespace fzfs
