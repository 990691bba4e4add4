// libFuzzer target for parse_packet: each input is one frame, placed in an exactly-sized heap buffer attached
// to an mbuf so AddressSanitizer catches any read past the frame. Accepted frames must describe in-bounds headers.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "dataplane/packet_meta.hpp"
#include "dataplane/parse.hpp"

namespace {

rte_mempool* g_pool = nullptr;
rte_mbuf_ext_shared_info g_shinfo;

void no_free(void*, void*) {}  // the fuzzer owns the buffer and frees it itself

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  // --no-huge implies legacy memory in DPDK 22.11, which --in-memory refuses: --no-shconf keeps it file-free.
  char arg0[] = "fuzz_parse";
  char a1[] = "--no-huge";
  char a2[] = "--no-pci";
  char a3[] = "--no-shconf";
  char a4[] = "-m";
  char a5[] = "64";
  char a6[] = "--log-level=error";
  char a7[] = "-l";
  char a8[] = "0";
  char* eal_argv[] = {arg0, a1, a2, a3, a4, a5, a6, a7, a8, nullptr};
  if (rte_eal_init(9, eal_argv) < 0) abort();
  g_pool = rte_pktmbuf_pool_create("fuzz_pool", 63, 0, wansteer::kMbufPrivSize, 0, SOCKET_ID_ANY);
  if (!g_pool) abort();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > UINT16_MAX) return 0;
  rte_mbuf* m = rte_pktmbuf_alloc(g_pool);
  if (!m) abort();
  // malloc(0) may return nullptr; keep at least one byte so the attach has an address.
  uint8_t* buf = static_cast<uint8_t*>(malloc(size ? size : 1));
  if (size) memcpy(buf, data, size);
  g_shinfo.free_cb = no_free;
  g_shinfo.fcb_opaque = nullptr;
  rte_mbuf_ext_refcnt_set(&g_shinfo, 1);
  rte_pktmbuf_attach_extbuf(m, buf, 0, static_cast<uint16_t>(size ? size : 1), &g_shinfo);
  m->data_off = 0;
  m->data_len = static_cast<uint16_t>(size);
  m->pkt_len = static_cast<uint32_t>(size);

  wansteer::DropReason reason;
  if (wansteer::parse_packet(m, 0, &reason)) {
    const wansteer::PacketMeta* pm = wansteer::meta_of(m);
    if (pm->l3_offset >= size || pm->l4_offset > size || pm->l3_offset + pm->l3_len > size || pm->vlan_count > 2 ||
        (pm->l4_offset != 0 && pm->l4_offset <= pm->l3_offset))
      __builtin_trap();
  } else if (static_cast<uint32_t>(reason) >= wansteer::kDropReasonCount) {
    __builtin_trap();
  }
  rte_pktmbuf_free(m);
  free(buf);
  return 0;
}
