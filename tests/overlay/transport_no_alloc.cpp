// Checks that sealing and opening transport messages allocate nothing: OpenSSL's allocator is swapped for counting
// wrappers before its first use, and C++ operator new is counted too; after set-up and one warm-up packet, 10000
// seal/open pairs of 1400-byte packets must not allocate once. Exit 0 when none did (a meson test).
#include <cstdio>

#include "dataplane/overlay/transport.hpp"
#include "tests/overlay/alloc_counting.hpp"

using namespace wansteer::wg;

int main() {
  if (!alloc_counting::start_counting_openssl()) {
    std::fprintf(stderr, "transport_no_alloc: OpenSSL allocated before main; cannot count\n");
    return 1;
  }
  static Keypair ka, kb;  // static: each holds a 1 KiB replay window
  Keypair* a = &ka;
  Keypair* b = &kb;
  for (size_t i = 0; i < kKeySize; i++) a->send_key[i] = b->recv_key[i] = static_cast<uint8_t>(i + 1);
  a->remote_index = b->local_index = 7;
  ChaChaPoly tx, rx;
  static uint8_t inner[1400], wire[1500], back[1500];
  size_t wire_len = 0, back_len = 0;
  bool ok = tx.valid() && rx.valid() &&
            seal_transport(tx, *a, inner, sizeof inner, wire, sizeof wire, &wire_len) == SealResult::ok &&
            open_transport(rx, *b, wire, wire_len, back, sizeof back, &back_len) == OpenResult::ok;
  const long setup = alloc_counting::allocations();
  for (int i = 0; i < 10000 && ok; i++) {
    inner[i % sizeof inner] = static_cast<uint8_t>(i);
    ok = seal_transport(tx, *a, inner, sizeof inner, wire, sizeof wire, &wire_len) == SealResult::ok &&
         open_transport(rx, *b, wire, wire_len, back, sizeof back, &back_len) == OpenResult::ok &&
         back[i % sizeof inner] == static_cast<uint8_t>(i);
  }
  const long during = alloc_counting::allocations() - setup;
  std::printf(
      "transport_no_alloc: set-up allocations %ld (counted, so the hooks work), per-packet allocations %ld "
      "over 10000 seal/open pairs, all packets %s\n",
      setup, during, ok ? "ok" : "NOT ok");
  return ok && setup > 0 && during == 0 ? 0 : 1;
}
