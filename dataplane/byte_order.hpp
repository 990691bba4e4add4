// Network <-> host byte order for the data plane. DPDK 22.11's rte_be_to_cpu_16/32 and rte_cpu_to_be_16/32 swap a
// non-constant value with `asm volatile` (xchgb, bswap): the compiler can neither fold such a swap into a load
// (movbe) or another swap, nor move it, and xchgb pins its operand to one of four registers. In the fast lanes that
// cost about 15 instructions a packet (callgrind, bench/instructions) and register spills around them. The
// builtins below are the same swaps, left to the compiler.
#pragma once
#include <bit>
#include <cstdint>

namespace wansteer {

// The data plane runs on little-endian CPUs (x86-64, as DPDK's build here): these swaps and the wire-order
// checksum updates (nat_translate.hpp) rely on it.
static_assert(std::endian::native == std::endian::little);

constexpr uint16_t be_to_host16(uint16_t v) { return __builtin_bswap16(v); }
constexpr uint16_t host_to_be16(uint16_t v) { return __builtin_bswap16(v); }
constexpr uint32_t be_to_host32(uint32_t v) { return __builtin_bswap32(v); }
constexpr uint32_t host_to_be32(uint32_t v) { return __builtin_bswap32(v); }
constexpr uint32_t byte_swap32(uint32_t v) { return __builtin_bswap32(v); }

}  // namespace wansteer
