// Catch2 main for the unit tests: initialises the DPDK EAL once (no hugepages, no PCI) before any test runs.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <rte_eal.h>

int main(int argc, char* argv[]) {
  char arg0[] = "unit_tests";
  char a1[] = "--no-huge";
  char a2[] = "--no-pci";
  char a3[] = "--no-shconf";  // with --no-huge: no files in /var/run, several test binaries may run at once
  char a4[] = "-m";
  char a5[] = "256";
  char a6[] = "--log-level=error";
  char a7[] = "-l";
  char a8[] = "0";
  char* eal_argv[] = {arg0, a1, a2, a3, a4, a5, a6, a7, a8, nullptr};
  if (rte_eal_init(9, eal_argv) < 0) {
    fprintf(stderr, "unit_tests: EAL init failed\n");
    return 2;
  }
  int rc = Catch::Session().run(argc, argv);
  rte_eal_cleanup();
  return rc;
}
