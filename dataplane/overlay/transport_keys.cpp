// Transport keys are wiped when the last snapshot that held them is freed.
#include "dataplane/overlay/transport_keys.hpp"

#include <openssl/crypto.h>

namespace wansteer::wg {

TransportKeys::~TransportKeys() {
  OPENSSL_cleanse(send_key.data(), send_key.size());
  OPENSSL_cleanse(recv_key.data(), recv_key.size());
}

}  // namespace wansteer::wg
