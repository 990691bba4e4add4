// IdleWake (wake on arrival): which policy devices can have a doorbell, and real doorbells on loopback (as root):
// a frame arriving after arm() ends the wait, one that arrived before (the worker was awake) does not, and control's
// kick ends it too.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "dataplane/idle_wake.hpp"

using namespace wansteer;

namespace {

// A UDP datagram from 127.0.0.1 to a socket of ours on 127.0.0.1: two frames on lo (out, then in).
void idle_wake_send_loopback() {
  const int rx = socket(AF_INET, SOCK_DGRAM, 0);
  const int tx = socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(rx >= 0);
  REQUIRE(tx >= 0);
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(at);
  REQUIRE(bind(rx, reinterpret_cast<const sockaddr*>(&at), sizeof(at)) == 0);
  REQUIRE(getsockname(rx, reinterpret_cast<sockaddr*>(&at), &len) == 0);
  const char msg[] = "doorbell";
  CHECK(sendto(tx, msg, sizeof(msg), 0, reinterpret_cast<const sockaddr*>(&at), sizeof(at)) == sizeof(msg));
  close(tx);
  close(rx);
}

}  // namespace

TEST_CASE("idle wake: only af_packet devices with an iface= devarg get a doorbell", "[idle]") {
  CHECK(doorbell_iface("net_af_packet0,iface=veth-lan,qdisc_bypass=1") == "veth-lan");
  CHECK(doorbell_iface("net_af_packet3,qdisc_bypass=1,iface=wan1") == "wan1");
  CHECK(doorbell_iface("net_af_packet1,iface=isp-a") == "isp-a");
  CHECK(doorbell_iface("net_af_packet0,qdisc_bypass=1").empty());
  CHECK(doorbell_iface("net_af_packet0,iface=").empty());
  CHECK(doorbell_iface("net_af_packet0").empty());
  CHECK(doorbell_iface("net_af_xdp0,iface=eth0,start_queue=0").empty());  // XDP redirect bypasses packet taps
  CHECK(doorbell_iface("net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap").empty());
  CHECK(doorbell_iface("net_ring0").empty());
  CHECK(doorbell_iface("net_memif0,role=server,socket=/run/m.sock").empty());
  CHECK(doorbell_iface("0000:01:00.0").empty());
}

TEST_CASE("idle wake: a kick ends the wait, and kick_if_asleep kicks only a worker marked asleep", "[idle]") {
  std::string why;
  std::unique_ptr<IdleWake> wake = IdleWake::create(&why);
  REQUIRE(wake != nullptr);
  CHECK(wake->wait(20) == IdleWake::Woken::kTimeout);
  wake->kick_if_asleep();  // awake: no kick
  CHECK(wake->wait(20) == IdleWake::Woken::kTimeout);
  std::thread control([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    wake->kick();
  });
  CHECK(wake->wait(10'000) == IdleWake::Woken::kKick);
  control.join();
  wake->disarm();  // empties the eventfd: the next wait sleeps again
  CHECK(wake->wait(20) == IdleWake::Woken::kTimeout);
  wake->arm();
  wake->kick_if_asleep();
  CHECK(wake->wait(10'000) == IdleWake::Woken::kKick);
  wake->disarm();
  wake->kick_if_asleep();  // awake again
  CHECK(wake->wait(20) == IdleWake::Woken::kTimeout);
}

TEST_CASE("idle wake: a doorbell on lo ends the wait for a datagram sent after arm(), not for one before", "[idle]") {
  if (geteuid() != 0) {
    WARN("not root: AF_PACKET doorbells not tested");
    return;
  }
  std::string why;
  std::unique_ptr<IdleWake> wake = IdleWake::create(&why);
  REQUIRE(wake != nullptr);
  CHECK_FALSE(wake->add_doorbell(std::string("no-such-if0"), &why));
  CHECK(why.find("no-such-if0") != std::string::npos);
  INFO(why);
  REQUIRE(wake->add_doorbell(std::string("lo"), &why));
  CHECK(wake->doorbells() == 1);

  // Before arm(), as when the worker was awake and served the frame itself: arming empties the doorbell, and the
  // wait sleeps on until its timeout.
  idle_wake_send_loopback();
  wake->arm();
  CHECK(wake->wait(50) == IdleWake::Woken::kTimeout);
  wake->disarm();

  // After arm(), as while the worker sleeps: the datagram ends the wait.
  wake->arm();
  idle_wake_send_loopback();
  CHECK(wake->wait(10'000) == IdleWake::Woken::kPacket);
  wake->disarm();

  // Awake again, the doorbell still holds what rang: the next arm() empties it, so only a new frame ends the wait.
  wake->arm();
  CHECK(wake->wait(50) == IdleWake::Woken::kTimeout);
  wake->disarm();

  // Armed while a datagram is on its way from another thread: the wait ends when it arrives.
  wake->arm();
  std::thread sender([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    idle_wake_send_loopback();
  });
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(wake->wait(10'000) == IdleWake::Woken::kPacket);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
  sender.join();
  wake->disarm();
}
