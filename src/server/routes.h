// The campaign's route files (issue 5), one per topic; add_campaign_routes
// (declared in server/api.h, defined in routes_campaign.cc) adds them all in
// the order below, the order the routes were always matched in.
#pragma once
#include <cstdint>

#include "core/date.h"
#include "server/api.h"

namespace canbao::server {

void add_progress_routes(Api& api);   // routes_progress.cc: progress, weekly trend, channels, progress/weekly reports
void add_list_routes(Api& api);       // routes_lists.cc: mobilisation lists, public notice
void add_fund_routes(Api& api);       // routes_funds.cc: fund flows, subsidies by payer
void add_reconcile_routes(Api& api);  // routes_reconcile.cc: reconciliation runs

// Helpers the campaign route files share (routes_campaign.cc).
// ?as_of= (today when absent); refuses 400 bad_field when it is not a date.
Date as_of_param(Api& api, Api::Ctx& c);
// Items [(pg - 1) * ps, pg * ps) of a JSON array; empty past its end.
json page_slice(const json& a, int64_t pg, int64_t ps);

}  // namespace canbao::server
