// Snapshot builder: the next immutable DataplaneSnapshot from the policy and the control plane's current state
// (compiled rules, neighbours, gateways, steering plan, usable links). Pure apart from allocating the result.
#pragma once
#include <array>
#include <memory>

#include "control/policy/policy.hpp"
#include "control/runtime/dataplane_runtime.hpp"
#include "control/runtime/neighbours.hpp"
#include "dataplane/snapshot.hpp"

namespace wansteer {

struct SnapshotInputs {
  const Policy& policy;
  const DataplaneRuntime& ports;  // port ids and MACs
  std::shared_ptr<const Classifier> classifier;
  std::shared_ptr<const NeighborTable> neighbors;
  const Gateways& gateways;
  const SteeringTable& steering;
  std::array<bool, kMaxLinks> usable;  // backup rate profiles follow link usability
  uint64_t generation = 0;
  uint32_t policy_generation = 0;
  uint64_t tsc_hz = 0;            // the workers' clock: flow idle time and rates are in its ticks
  uint16_t budget_exhausted = 0;  // bit l: link l's data budget is spent (on_budget_exhausted applies there)
  const wg::PeerKeysView* overlay_keys = nullptr;  // the hub session's keys (WgSession::view()); null: none yet
  uint64_t overlay_endpoint = 0;        // a site peer's endpoint as learned (peer_source_word); 0: none, or a hub
  uint64_t overlay_other_endpoint = 0;  // its other endpoint heard recently (PeerEndpoints::other_recent), 0: none
};

// `prev` (the snapshot being replaced, or null) keeps unchanged rate profiles' generations, so their owners keep
// their buckets.
std::unique_ptr<DataplaneSnapshot> build_snapshot(const SnapshotInputs& in, const DataplaneSnapshot* prev);

}  // namespace wansteer
