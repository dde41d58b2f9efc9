#!/usr/bin/python3
"""Payment client for tests/failover/failover.sh (standard library only).

    client.py BASE_URL ACK_FILE STATE_FILE --payments N [--threads T] [--deadline S]

Logs in as the demo admin, picks N unpaid persons whose individual amount due is known and
positive, and POSTs /api/v1/payments for them from T threads. Every payment has its own
idempotency key; a request that fails (connection refused/reset, 5xx, 401 after a server
restart) is retried with the SAME key until it is acknowledged (201, or 200 "replayed") or the
deadline passes. Each acknowledgement is appended to ACK_FILE as
"key<TAB>payment_id<TAB>receipt<TAB>unix time of the answer<TAB>http status" the moment it arrives, so the acknowledged set is known even if this process is killed.
STATE_FILE gets "acked=<n> errors=<n> last_error=<…>" lines for the driving script to watch.
"""
import argparse
import http.cookiejar
import json
import threading
import time
import urllib.error
import urllib.request
import uuid

DEMO_USER, DEMO_PASSWORD = "admin", "demo-admin-2024"


class Api:
    def __init__(self, base):
        self.base = base.rstrip("/")
        self.lock = threading.Lock()
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.csrf = None
        self.generation = 0  # bumped by every login; threads re-login only once per lost session

    def call(self, method, path, body=None, timeout=10):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if self.csrf and method != "GET":
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with self.opener.open(req, timeout=timeout) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            try:
                return e.code, json.loads(e.read() or b"null")
            except ValueError:
                return e.code, None

    def login(self, seen_generation=None):
        with self.lock:
            if seen_generation is not None and seen_generation != self.generation:
                return  # another thread already logged in again
            self.generation += 1
            self.jar.clear()
            self.csrf = None
            st, body = self.call("POST", "/api/v1/auth/login", {"username": DEMO_USER, "password": DEMO_PASSWORD})
            if st != 200:
                raise RuntimeError(f"login failed: {st} {body}")
            self.csrf = body.get("csrf_token")
            if not self.csrf:
                st, body = self.call("GET", "/api/v1/auth/csrf")
                self.csrf = body["csrf_token"]


def pick_persons(api, n, today):
    out = []
    page = 1
    while len(out) < n:
        st, body = api.call("GET", f"/api/v1/persons?status=unpaid&year=2024&page={page}&page_size=500")
        if st != 200:
            raise RuntimeError(f"persons list: {st} {body}")
        items = body["items"]
        if not items:
            break
        for p in items:
            key = p["person_key"]
            st, a = api.call("GET", f"/api/v1/persons/{key}/assessment?year=2024&paid_on={today}")
            if st == 200 and a.get("eligible") and a.get("individual_due_fen") and a.get("payment_status") == "accepted":
                out.append((key, a["individual_due_fen"]))
                if len(out) >= n:
                    break
        page += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("ack_file")
    ap.add_argument("state_file")
    ap.add_argument("--payments", type=int, default=400)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--deadline", type=float, default=100)
    ap.add_argument("--today", default="2023-11-20")
    args = ap.parse_args()

    api = Api(args.base)
    api.login()
    persons = pick_persons(api, args.payments, args.today)
    if len(persons) < args.payments:
        print(f"client: only {len(persons)} payable persons found")
    work = list(enumerate(persons))
    run_id = uuid.uuid4().hex[:8]
    lock = threading.Lock()
    kinds = {}
    stats = {"acked": 0, "errors": 0, "last_error": "", "first_error_at": None, "recovered_at": None}
    ack = open(args.ack_file, "a", buffering=1)
    t_end = time.monotonic() + args.deadline

    def state():
        with open(args.state_file, "w") as f:
            f.write(f"acked={stats['acked']} errors={stats['errors']} last_error={stats['last_error']}\n")

    def worker():
        while True:
            with lock:
                if not work:
                    return
                i, (key, due) = work.pop(0)
            idem = f"failover-{run_id}-{i:05d}"
            body = {"idempotency_key": idem, "person": key, "year": 2024, "amount_fen": due,
                    "channel": "village_collector", "payer_kind": "self", "paid_on": args.today}
            while True:
                if time.monotonic() > t_end:
                    with lock:
                        stats["last_error"] = "deadline"
                        state()
                    return
                generation = api.generation
                try:
                    st, r = api.call("POST", "/api/v1/payments", body)
                except Exception as e:  # connection refused / reset / timeout: server down or restarting
                    st, r = -1, {"error": {"code": type(e).__name__}}
                if st in (200, 201):
                    pay = r["payment"]
                    with lock:
                        ack.write(f"{idem}\t{pay['id']}\t{pay.get('receipt_no')}\t{time.time():.3f}\t{st}\n")
                        stats["acked"] += 1
                        if stats["first_error_at"] and not stats["recovered_at"]:
                            stats["recovered_at"] = time.monotonic()
                        state()
                    break
                code = (r or {}).get("error", {}).get("code") if isinstance(r, dict) else None
                with lock:
                    stats["errors"] += 1
                    kinds[f"{st}:{code}"] = kinds.get(f"{st}:{code}", 0) + 1
                    stats["last_error"] = f"{st}:{code}"
                    if not stats["first_error_at"]:
                        stats["first_error_at"] = time.monotonic()
                    state()
                if st == 401:
                    try:
                        api.login(generation)
                    except Exception as e:
                        with lock:
                            kinds[f"login:{e}"[:80]] = kinds.get(f"login:{e}"[:80], 0) + 1
                elif st in (409, 422):  # a refusal, not an outage: this payment will never be accepted
                    print(f"client: {idem} refused {st} {r}")
                    break
                time.sleep(0.25)

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    state()
    outage = ""
    if stats["first_error_at"] and stats["recovered_at"]:
        outage = f" outage_s={stats['recovered_at'] - stats['first_error_at']:.1f}"
    print(f"client: acked={stats['acked']} of {len(persons)} errors={stats['errors']}{outage} "
          f"({', '.join(f'{k} x{v}' for k, v in sorted(kinds.items()))})")


if __name__ == "__main__":
    main()
