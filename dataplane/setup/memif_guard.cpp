// The memif guard: DPDK 22.11's memif driver calls munmap through its import slot; the guard points that slot at
// a wrapper that first waits until every worker has been between two polls (an RCU QSBR grace period).
//
// Why (issue 14: wansteer died with SIGSEGV in 3 of 61 pktgen disconnects, dpdk-testpmd in 1 of 63). When a memif
// peer disconnects, the driver handles it in EAL's interrupt thread: memif_disconnect() clears the port's
// CONNECTED flag, then memif_free_regions() munmaps the shared regions (rings and packet buffers) and frees their
// descriptors, with nothing that waits for the lcores polling the port. eth_memif_rx/tx test the flag once on
// entry and then read the ring and copy packet buffers from those regions; a worker that tested the flag just
// before it was cleared (or was descheduled inside the burst, common on shared cores) touches unmapped memory.
// Both roles do this (a server unmaps the client's regions it mapped, a client its own), so choosing the role does
// not help, and the driver raises no link-state event (it never calls rte_eth_dev_callback_process) that could
// pause the workers first. What the driver does call, between clearing the flag and the first unmap, is munmap:
// holding that call until a grace period has passed guarantees that any burst that could have seen the port
// connected has returned, and every later burst sees the flag cleared and returns 0 without touching the rings.
// The wait happens on the interrupt (or control) thread, never on a worker; workers report quiescence every loop
// (dataplane/worker.cpp), so it lasts one loop iteration, microseconds. Bounded at 2 s so a stuck worker cannot
// freeze the interrupt thread forever (the stall watch reports such a worker anyway).
#include "dataplane/setup/memif_guard.hpp"

#include <elf.h>
#include <link.h>
#include <rte_cycles.h>
#include <rte_log.h>
#include <rte_rcu_qsbr.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstring>

namespace wansteer {
namespace {

std::atomic<rte_rcu_qsbr*> memif_guard_qsbr{nullptr};  // cp: rw (install/release), interrupt thread: ro
std::atomic<unsigned long> memif_guard_wait_count{0};
constexpr unsigned kMemifGuardLimitUs = 2'000'000;
constexpr unsigned kMemifGuardPollUs = 20;

#if defined(__x86_64__)
constexpr uint32_t kJumpSlot = R_X86_64_JUMP_SLOT, kGlobDat = R_X86_64_GLOB_DAT;
#elif defined(__aarch64__)
constexpr uint32_t kJumpSlot = R_AARCH64_JUMP_SLOT, kGlobDat = R_AARCH64_GLOB_DAT;
#endif

int memif_guarded_munmap(void* addr, size_t len) {
  rte_rcu_qsbr* qs = memif_guard_qsbr.load(std::memory_order_acquire);
  if (qs != nullptr) {
    // rte_rcu_qsbr_start's release store of the new token orders the driver's earlier flag clear before it: a
    // worker that reports a newer state has passed its quiescent point, and its next burst sees the flag cleared.
    const uint64_t token = rte_rcu_qsbr_start(qs);
    unsigned waited = 0;
    while (rte_rcu_qsbr_check(qs, token, false) == 0 && waited < kMemifGuardLimitUs) {
      rte_delay_us_sleep(kMemifGuardPollUs);
      waited += kMemifGuardPollUs;
    }
    if (waited >= kMemifGuardLimitUs)
      RTE_LOG(WARNING, USER1, "wansteer: memif unmap went ahead after %u us without a worker grace period\n", waited);
    memif_guard_wait_count.fetch_add(1, std::memory_order_relaxed);
  }
  return munmap(addr, len);
}

// ELF addresses are integers until the loader's mapping makes them pointers: the one place that converts.
template <class T>
T* elf_pointer(uintptr_t address) {
  return reinterpret_cast<T*>(address);  // NOLINT(performance-no-int-to-ptr)
}

struct LoadedObject {
  uintptr_t base = 0;
  const ElfW(Phdr) * phdr = nullptr;
  uint16_t phnum = 0;
};

int find_memif_object(dl_phdr_info* info, size_t /*size*/, void* arg) {
  if (info->dlpi_name == nullptr || strstr(info->dlpi_name, "librte_net_memif") == nullptr) return 0;
  auto* out = static_cast<LoadedObject*>(arg);
  out->base = info->dlpi_addr;
  out->phdr = info->dlpi_phdr;
  out->phnum = info->dlpi_phnum;
  return 1;
}

// glibc relocates these dynamic entries in place on load; other loaders leave them as offsets.
uintptr_t dynamic_address(uintptr_t base, ElfW(Addr) value) { return value < base ? base + value : value; }

struct RelocationTables {
  const ElfW(Sym) * symtab = nullptr;
  const char* strtab = nullptr;
  const ElfW(Rela) * tables[2] = {nullptr, nullptr};  // DT_JMPREL (PLT) and DT_RELA (GOT data references)
  size_t sizes[2] = {0, 0};
};

RelocationTables read_dynamic(const LoadedObject& obj, uintptr_t* relro_lo, uintptr_t* relro_hi) {
  RelocationTables t;
  const ElfW(Dyn)* dyn = nullptr;
  for (uint16_t i = 0; i < obj.phnum; i++) {
    if (obj.phdr[i].p_type == PT_DYNAMIC) dyn = elf_pointer<const ElfW(Dyn)>(obj.base + obj.phdr[i].p_vaddr);
    if (obj.phdr[i].p_type == PT_GNU_RELRO) {
      *relro_lo = obj.base + obj.phdr[i].p_vaddr;
      *relro_hi = *relro_lo + obj.phdr[i].p_memsz;
    }
  }
  for (; dyn != nullptr && dyn->d_tag != DT_NULL; dyn++) {
    const uintptr_t ptr = dynamic_address(obj.base, dyn->d_un.d_ptr);
    switch (dyn->d_tag) {
      case DT_SYMTAB:
        t.symtab = elf_pointer<const ElfW(Sym)>(ptr);
        break;
      case DT_STRTAB:
        t.strtab = elf_pointer<const char>(ptr);
        break;
      case DT_JMPREL:
        t.tables[0] = elf_pointer<const ElfW(Rela)>(ptr);
        break;
      case DT_PLTRELSZ:
        t.sizes[0] = dyn->d_un.d_val;
        break;
      case DT_RELA:
        t.tables[1] = elf_pointer<const ElfW(Rela)>(ptr);
        break;
      case DT_RELASZ:
        t.sizes[1] = dyn->d_un.d_val;
        break;
      default:
        break;
    }
  }
  return t;
}

bool write_slot(void** slot, void* value, uintptr_t relro_lo, uintptr_t relro_hi) {
  const auto at = reinterpret_cast<uintptr_t>(slot);
  const bool read_only = at >= relro_lo && at < relro_hi;  // RELRO: read-only once the loader is done
  const auto page_size = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  void* page = elf_pointer<void>(at & ~(page_size - 1));
  if (read_only && mprotect(page, page_size, PROT_READ | PROT_WRITE) != 0) return false;
  __atomic_store_n(slot, value, __ATOMIC_RELEASE);
  if (read_only) mprotect(page, page_size, PROT_READ);
  return true;
}

}  // namespace

bool is_memif_device(const std::string& device) { return device.rfind("net_memif", 0) == 0; }

bool memif_guard_install(rte_rcu_qsbr* qsbr, std::string* why) {
#if defined(__x86_64__) || defined(__aarch64__)
  LoadedObject obj;
  if (dl_iterate_phdr(find_memif_object, &obj) == 0) {
    *why = "the memif driver is not a loaded shared object (librte_net_memif)";
    return false;
  }
  uintptr_t relro_lo = 0, relro_hi = 0;
  const RelocationTables t = read_dynamic(obj, &relro_lo, &relro_hi);
  unsigned patched = 0;
  for (int k = 0; k < 2 && t.symtab != nullptr && t.strtab != nullptr; k++) {
    for (size_t i = 0; t.tables[k] != nullptr && i < t.sizes[k] / sizeof(ElfW(Rela)); i++) {
      const ElfW(Rela)& r = t.tables[k][i];
      const uint32_t type = ELF64_R_TYPE(r.r_info);
      if ((type != kJumpSlot && type != kGlobDat) ||
          strcmp(t.strtab + t.symtab[ELF64_R_SYM(r.r_info)].st_name, "munmap") != 0)
        continue;
      auto** slot = elf_pointer<void*>(obj.base + r.r_offset);
      if (!write_slot(slot, reinterpret_cast<void*>(&memif_guarded_munmap), relro_lo, relro_hi)) {
        *why = "cannot make the memif driver's import table writable";
        return false;
      }
      patched++;
    }
  }
  if (patched == 0) {
    *why = "the memif driver imports no munmap";
    return false;
  }
  memif_guard_qsbr.store(qsbr, std::memory_order_release);
  return true;
#else
  (void)qsbr;
  *why = "no memif guard for this architecture";
  return false;
#endif
}

void memif_guard_release() { memif_guard_qsbr.store(nullptr, std::memory_order_release); }

unsigned long memif_guard_waits() { return memif_guard_wait_count.load(std::memory_order_relaxed); }

}  // namespace wansteer
