// The domain stores a SqlStore hands out, made on first use: most requests
// touch one or two of them, and each keeps only a reference to this store.
#include <sodium.h>

#include "store/admin_store.h"
#include "store/auth_store.h"
#include "store/campaign_store.h"
#include "store/ledger_store.h"
#include "store/reconcile_store.h"
#include "store/sql_store.h"

namespace canbao::store::detail {

SqlStore::SqlStore() = default;
SqlStore::~SqlStore() = default;

namespace {

// The store in `slot`, made by `make` over `s` on first use.
template <class T>
T& made(std::unique_ptr<T>& slot, std::unique_ptr<T> (*make)(SqlStore&), SqlStore& s) {
  if (!slot) slot = make(s);
  return *slot;
}

}  // namespace

LedgerStore& SqlStore::ledger() { return made(ledger_, make_ledger_store, *this); }
CampaignStore& SqlStore::campaign() { return made(campaign_, make_campaign_store, *this); }
ReconcileStore& SqlStore::reconcile() { return made(reconcile_, make_reconcile_store, *this); }
AuthStore& SqlStore::auth() { return made(auth_, make_auth_store, *this); }
AdminStore& SqlStore::admin() { return made(admin_, make_admin_store, *this); }

std::string SqlStore::server_key(std::string_view name) {
  std::string hexkey;
  auto tx = transaction();
  q("SELECT value FROM server_keys WHERE name = ?", {name}, [&](const RowView& v) { hexkey = v.s(0); });
  if (hexkey.empty()) {
    if (sodium_init() < 0) throw StoreError("libsodium init failed");
    unsigned char k[32];
    randombytes_buf(k, sizeof k);
    static const char* hx = "0123456789abcdef";
    for (unsigned char b : k) {
      hexkey += hx[b >> 4];
      hexkey += hx[b & 15];
    }
    x("INSERT INTO server_keys (name, value, region) VALUES (?, ?, 0)", {name, hexkey});
  }
  tx.commit();
  std::string key(32, '\0');
  for (size_t i = 0; i < 32 && 2 * i + 1 < hexkey.size(); ++i)
    key[i] = char(std::stoi(hexkey.substr(2 * i, 2), nullptr, 16));
  return key;
}

}  // namespace canbao::store::detail
