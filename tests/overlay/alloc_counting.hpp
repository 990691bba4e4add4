// Counts heap allocations for the overlay's no-allocation checks: C++ operator new (alloc_counting.cpp replaces
// it in each program it is linked into), and OpenSSL's allocator once start_counting_openssl() swapped it.
#pragma once

namespace alloc_counting {

// Call before OpenSSL's first use; false when OpenSSL allocated already (its allocations could not be counted).
bool start_counting_openssl();
// Allocations so far, C++ and OpenSSL together.
long allocations();

}  // namespace alloc_counting
