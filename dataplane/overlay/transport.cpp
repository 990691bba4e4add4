// Transport data: header (type 4, receiver index, counter) then the zero-padded inner packet sealed under the
// counter nonce; the header is not authenticated data in WireGuard, the counter is bound through the nonce.
#include "dataplane/overlay/transport.hpp"

#include <cstring>

namespace wansteer::wg {

SealResult seal_transport(ChaChaPoly& aead, Keypair& kp, const uint8_t* inner, size_t len, uint8_t* out, size_t out_cap,
                          size_t* out_len) {
  if (sealed_size(len) > out_cap) return SealResult::no_room;
  if (kp.send_counter >= kRejectAfterMessages) return SealResult::counter_exhausted;
  return seal_transport_at(aead, kp.send_key, kp.remote_index, kp.send_counter++, inner, len, out, out_cap, out_len);
}

SealResult seal_transport_at(ChaChaPoly& aead, const Key& send_key, uint32_t remote_index, uint64_t counter,
                             const uint8_t* inner, size_t len, uint8_t* out, size_t out_cap, size_t* out_len) {
  const size_t total = sealed_size(len);
  if (total > out_cap) return SealResult::no_room;
  if (counter >= kRejectAfterMessages) return SealResult::counter_exhausted;
  uint8_t* payload = out + transport::kPayload;
  const size_t padded = total - kTransportHeaderSize - kTagSize;
  if (payload != inner && len > 0) std::memmove(payload, inner, len);
  std::memset(payload + len, 0, padded - len);
  put_header(out, MessageType::transport);
  put_le32(out + transport::kReceiver, remote_index);
  put_le64(out + transport::kCounter, counter);
  uint8_t nonce[12];
  counter_nonce(counter, nonce);
  if (!aead.seal(send_key.data(), nonce, nullptr, 0, payload, padded, payload, payload + padded))
    return SealResult::crypto_failed;
  *out_len = total;
  return SealResult::ok;
}

OpenResult open_transport(ChaChaPoly& aead, Keypair& kp, const uint8_t* msg, size_t len, uint8_t* out, size_t out_cap,
                          size_t* inner_len) {
  return open_transport_with(aead, kp.recv_key, kp.local_index, kp.replay, msg, len, out, out_cap, inner_len);
}

OpenResult open_transport_with(ChaChaPoly& aead, const Key& recv_key, uint32_t local_index, ReplayWindow& replay,
                               const uint8_t* msg, size_t len, uint8_t* out, size_t out_cap, size_t* inner_len) {
  if (!has_header(msg, len, MessageType::transport, kTransportHeaderSize + kTagSize)) return OpenResult::malformed;
  if (get_le32(msg + transport::kReceiver) != local_index) return OpenResult::wrong_index;
  const uint64_t counter = get_le64(msg + transport::kCounter);
  // Too old is refused before decrypting (it can never be taken). A counter already taken is decrypted all the same:
  // only an authentic copy counts as a duplicate (expected with duplicate:), a forged one is a bad tag (an alarm).
  if (replay.classify(counter) == ReplayVerdict::too_old) return OpenResult::replayed;
  const size_t clen = len - kTransportHeaderSize - kTagSize;
  if (clen > out_cap) return OpenResult::no_room;
  uint8_t nonce[12];
  counter_nonce(counter, nonce);
  if (!aead.open(recv_key.data(), nonce, nullptr, 0, msg + transport::kPayload, clen, msg + len - kTagSize, out))
    return OpenResult::bad_tag;
  // Taken only now, after the tag verified (WireGuard's order): a forged message cannot burn a counter.
  switch (replay.take(counter)) {
    case ReplayVerdict::fresh:
      break;
    case ReplayVerdict::duplicate:
      return OpenResult::duplicate;
    case ReplayVerdict::too_old:
      return OpenResult::replayed;
  }
  *inner_len = clen;
  return OpenResult::ok;
}

}  // namespace wansteer::wg
