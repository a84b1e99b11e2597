#!/usr/bin/env bash
# The console's queue and reports pages with many held records: p50/p95
# render time of GET /queue and GET /reports (over loopback HTTP, as a
# browser asks for them, with a session) and the console's resident memory.
#
#   scripts/bench-console.sh [RECORDS] [REQUESTS]     # defaults 100000 and 200
#
# Builds the release binary, seeds RECORDS held records with a direct SQL
# bulk insert (the hold path fsyncs each one: 100,000 would take an hour),
# starts `dlp-milter console` on a free port, signs in through the form and
# times REQUESTS requests of each view: the default queue (held, newest
# first), a rule filter, a free-text search, sorted by severity, the last
# page, and the reports page over 12 and 52 weeks. Figures for
# docs/performance.md ("Console").
set -euo pipefail
cd "$(dirname "$0")/.."

records=${1:-100000}
requests=${2:-200}
# DLP_BENCH_BIN: time that binary instead (e.g. a build from before a change).
if [ -n "${DLP_BENCH_BIN:-}" ]; then
  bin=$DLP_BENCH_BIN
else
  cargo build --release --locked -q
  bin=$PWD/target/release/dlp-milter
fi
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

cat >"$work/dlp-milter.toml" <<EOF
data_dir = "data"
[console]
page_size = 50
EOF
# Creates and migrates the database, and the account the bench signs in with.
echo "bench password, long enough" |
  "$bin" user add bench --role dpo --password-stdin --config "$work/dlp-milter.toml" >/dev/null

python3 - "$work/data/quarantine.db" "$records" <<'EOF'
import json, random, sqlite3, sys, time
db, n = sys.argv[1], int(sys.argv[2])
random.seed(7)
rules = [("personal-data-nino", "personal_data", "high"), ("exposed-recipients", "exposed_recipients", "low"),
         ("unencrypted-attachment", "unencrypted_attachment", "medium"), ("inline-password", "inline_password", "medium"),
         ("special-category-health", "personal_data", "high")]
now = int(time.time())
con = sqlite3.connect(db)
con.execute("PRAGMA synchronous=OFF")
rows = []
for i in range(n):
    rule, cat, sev = random.choice(rules)
    loc = random.choice(["body", "body", "subject", "attachment:list.csv"])
    finding = {"rule": rule, "policy": "Policy clause.", "category": cat, "detector": "x",
               "location": loc, "confidence": "high", "evidence": "AB ** ** ** C", "count": 1,
               "severity": sev, "fix": "Fix it.", "sender_may_release": False}
    created = now - random.randint(0, 90 * 86400)
    sender = f"teacher{i % 400}@school{i % 7}.sch.uk"
    rcpts = [f"parent{i}@gmail.com", f"carer{i}@hotmail.co.uk"]
    rows.append((f"Q-BENCH-{i:010d}", "hold", "held", created, created + 30 * 86400, f"Q{i:08X}", sender,
                 json.dumps(rcpts), 2, None, "127.0.0.1", f"<m{i}@school.sch.uk>", f"Class list week {i % 52}",
                 sev, json.dumps([rule]), json.dumps([finding]), b"Subject: x\r\n\r\nbody\r\n", "0" * 64, 20))
con.executemany("""INSERT INTO records (id, action, state, created_at, expires_at, queue_id, sender, recipients,
    recipient_count, auth_user, client_addr, message_id, subject, severity, rule_ids, findings, raw, raw_sha256,
    raw_size) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", rows)
# Each record's categories, as the program writes them beside the record
# (schema 8 on; a build from before has no such table).
if con.execute("SELECT 1 FROM sqlite_master WHERE name = 'record_categories'").fetchone():
    con.executemany("INSERT INTO record_categories (record_id, categories) VALUES (?, ?)",
                    [(r[0], json.dumps(sorted({f["category"] for f in json.loads(r[15])}))) for r in rows])
con.commit()
con.execute("ANALYZE")
con.close()
EOF

"$bin" console --config "$work/dlp-milter.toml" --listen 127.0.0.1:0 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's#.*http://##p' "$work/out")
[ -n "$addr" ] || { cat "$work/err"; exit 1; }

python3 - "$addr" "$requests" "$pid" "$records" <<'EOF'
import http.client, re, statistics, sys, time, urllib.parse
addr, n, pid, records = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
host, port = addr.rsplit(":", 1)

def req(method, path, headers=None, body=None):
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r, data

r, page = req("GET", "/login")
login_cookie = re.search(r"dlp_console_login=([^;]+)", r.getheader("Set-Cookie")).group(1)
csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()
body = urllib.parse.urlencode({"csrf": csrf, "name": "bench", "password": "bench password, long enough"})
r, _ = req("POST", "/login", {"Content-Type": "application/x-www-form-urlencoded",
                              "Cookie": f"dlp_console_login={login_cookie}"}, body)
session = re.search(r"dlp_console=([^;]+)", r.getheader("Set-Cookie")).group(1)
cookie = {"Cookie": f"dlp_console={session}"}

def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(("VmRSS", "VmHWM")):
            yield line.split()[0].rstrip(":"), int(line.split()[1]) / 1024

print(f"console: {records} held records, {n} requests per view")
print("RSS after sign-in: " + ", ".join(f"{k} {v:.1f} MB" for k, v in rss()))
last = (records + 49) // 50
views = [("queue (held, newest first)", "/queue"),
         ("filter by rule", "/queue?rule=personal-data-nino"),
         ("search sender/subject", "/queue?q=teacher12"),
         ("sort by severity", "/queue?sort=severity"),
         (f"last page ({last})", f"/queue?page={last}"),
         # Reports: every hold of the weeks shown is counted (the seeded
         # holds span 90 days: 12 weeks covers ~93% of them, 52 all).
         ("reports (12 weeks, the default)", "/reports"),
         ("reports (52 weeks)", "/reports?weeks=52")]
for name, path in views:
    r, data = req("GET", path, cookie)
    assert r.status == 200, (path, r.status, data[:300])
    times = []
    for _ in range(n):
        t = time.perf_counter()
        r, data = req("GET", path, cookie)
        times.append((time.perf_counter() - t) * 1000)
        assert r.status == 200
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{name:32} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   ({len(data)} bytes)")
print("RSS after the runs: " + ", ".join(f"{k} {v:.1f} MB" for k, v in rss()))
EOF
