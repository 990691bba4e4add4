// Policy: the operator's YAML policy file, loaded and validated into plain values; errors carry file:line:column.
// The one include for the rest of the tree: the values (policy_types.hpp) and the loader (policy_loader.hpp).
#pragma once
#include "control/policy/policy_loader.hpp"
#include "control/policy/policy_types.hpp"
