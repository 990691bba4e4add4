// Allocation counting for the overlay's no-allocation checks: the global operator new and OpenSSL's allocator.
#include "tests/overlay/alloc_counting.hpp"

#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<long> g_alloc_count{0};

void* counting_malloc(size_t n, const char* /*file*/, int /*line*/) {
  g_alloc_count++;
  return std::malloc(n);
}
void* counting_realloc(void* p, size_t n, const char* /*file*/, int /*line*/) {
  g_alloc_count++;
  return std::realloc(p, n);
}
void counting_free(void* p, const char* /*file*/, int /*line*/) { std::free(p); }

}  // namespace

namespace alloc_counting {

bool start_counting_openssl() {
  return CRYPTO_set_mem_functions(counting_malloc, counting_realloc, counting_free) == 1;
}
long allocations() { return g_alloc_count.load(); }

}  // namespace alloc_counting

void* operator new(size_t n) {
  g_alloc_count++;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t /*n*/) noexcept { std::free(p); }
