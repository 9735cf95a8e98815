/* The policies and beamformers isactb knows, by name: `--policy NAME`, the experiment's
 * `policy:` field and `bench policies` look them up here. Adding one = its own file
 * defining a `const struct isac_policy_vtable` + one line in this list (docs/architecture.md).
 * The order is the order of help texts and of `bench policies`. */
#include "policy/policy.h"

#define BUILTIN_POLICIES(X)                                                                        \
    X(policy_sweep)                                                                                \
    X(policy_scan)                                                                                 \
    X(policy_random)                                                                               \
    X(policy_pso)                                                                                  \
    X(policy_qnet)

#define DECLARE(v) extern const struct isac_policy_vtable v;
BUILTIN_POLICIES(DECLARE)
#define ENTRY(v) &v,
static const struct isac_policy_vtable *const builtin[] = {BUILTIN_POLICIES(ENTRY)};

static const struct isac_policy_registry builtin_registry = {
    builtin, sizeof builtin / sizeof builtin[0], NULL};

const struct isac_policy_registry *isac_policy_registry_builtin(void)
{
    return &builtin_registry;
}
