#!/usr/bin/env python3
"""HyperFleet benchmarks (`make bench`, see README.md#benchmarks).

Runs under scripts/with-test-services.sh (PostgreSQL, the Pub/Sub emulator and RabbitMQ on
loopback ports, found through HF_TEST_* variables), prints a table and writes
bench/results/latest.json. Every figure carries a baseline measured in the same run at the same
concurrency (pgbench running the same SQL, the broker's raw publish rate), or, for a latency or
size that has a goal rather than a natural baseline, the goal; ratio = value / baseline.

usage: scripts/with-test-services.sh bench/run.py [--duration S] [--only SECTION,...] [--out FILE]
Sections: api (create, get), list (1k, 10k, 100k, the reference's shape, RSS), outbox,
e2e_dev, e2e_pg, attack (#15), fleet (the ticker at 100k, cascade delete).
"""

import argparse
import base64
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
BUILD = os.environ.get("HF_BUILD_DIR") or os.path.join(ROOT, "build")  # make bench sets it per PRESET
BIN = os.path.join(BUILD, "bin", "hyperfleet")
OUTBOX_TOOL = os.path.join(BUILD, "bin", "hf_bench_outbox")
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"
PSQL = "/usr/lib/postgresql/15/bin/psql"
WRK = shutil.which("wrk") or "/usr/bin/wrk"
API = "/api/hyperfleet/v1"
CONCURRENCY = 16  # wrk connections = pgbench clients for the throughput figures
LIST_CONCURRENCY = 4  # connections for the list latency figures
GET_CAPACITY_CONCURRENCY = 64  # wrk connections = pgbench clients for api_get_rps_64
E2E_CLUSTERS = 200
E2E_RATE = 20.0  # clusters created per second in the end-to-end runs


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --- processes, ports, HTTP ---------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            raw = res.read()
            return res.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as e:
        return e.code, None


class Processes:
    """Background processes of one section; all stopped (SIGTERM, then SIGKILL) on close."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.procs = []

    def start(self, name, args, env=None, cwd=None):
        logf = open(os.path.join(self.workdir, name + ".log"), "w")
        full_env = dict(os.environ)
        full_env.update(env or {})
        p = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, env=full_env,
                             cwd=cwd or self.workdir, start_new_session=True)
        p.bench_name = name
        self.procs.append(p)
        return p

    def log_tail(self, name, lines=15):
        try:
            with open(os.path.join(self.workdir, name + ".log")) as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def check_alive(self):
        for p in self.procs:
            if p.poll() is not None:
                raise BenchError(f"{p.bench_name} exited with {p.returncode}:\n"
                                 + self.log_tail(p.bench_name))

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        self.procs = []


def wait_ready(procs, port, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        procs.check_alive()
        try:
            status, _ = http("GET", f"http://127.0.0.1:{port}/readyz", timeout=2)
            if status == 200:
                return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise BenchError(f"{what} not ready on :{port} after {timeout}s")


def vm_mb(pid, field="VmRSS"):
    """A memory figure of /proc/<pid>/status in MiB (VmRSS: now, VmHWM: the peak)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    raise BenchError(f"no {field}")


# --- PostgreSQL ---------------------------------------------------------------------------------


def pg_admin_dsn():
    dsn = os.environ.get("HF_TEST_PG_DSN")
    if not dsn:
        raise BenchError("HF_TEST_PG_DSN is not set: run under scripts/with-test-services.sh")
    return dsn


def pg_dsn(db):
    u = urllib.parse.urlsplit(pg_admin_dsn())
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + db, u.query, u.fragment))


def psql(dsn, sql, quiet=True):
    args = [PSQL, "-X", "-v", "ON_ERROR_STOP=1", "-At", "-d", dsn, "-c", sql]
    if quiet:
        args.insert(1, "-q")
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise BenchError(f"psql failed: {r.stderr.strip()}\nSQL: {sql[:300]}")
    return r.stdout.strip()


def fresh_db(name):
    psql(pg_admin_dsn(), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    psql(pg_admin_dsn(), f"CREATE DATABASE {name}")
    return pg_dsn(name)


def start_api(procs, name, db_url, extra=None, env=None):
    port, health, metrics = free_port(), free_port(), free_port()
    extra = extra or []
    if "--auth-enabled" not in extra:  # on by default; the API figures are measured without
        extra = ["--auth-enabled", "false"] + extra
    p = procs.start(name, [BIN, "api", "--db", db_url, "--host", "127.0.0.1", "--port", str(port),
                           "--health-port", str(health), "--metrics-port", str(metrics),
                           "--log-level", "warn"] + extra, env=env)
    wait_ready(procs, health, name)
    return p, f"http://127.0.0.1:{port}"


# --- load generators ----------------------------------------------------------------------------

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk(url, script, duration, connections, env=None, threads=2):
    args = [WRK, "-t", str(min(threads, connections)), "-c", str(connections), "-d",
            f"{duration}s", "--latency"]
    args += ["-s", os.path.join(BENCH, "wrk", script)] if script else []  # else GET `url`
    args.append(url)
    full_env = dict(os.environ)
    full_env.update(env or {})
    r = subprocess.run(args, capture_output=True, text=True, env=full_env)
    if r.returncode != 0:
        raise BenchError(f"wrk failed: {r.stderr.strip()} {r.stdout.strip()}")
    out = r.stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise BenchError("cannot parse wrk output:\n" + out)
    res = {"rps": float(m.group(1))}
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if m:
            res[f"p{pct}_ms"] = float(m.group(1)) * UNIT_MS[m.group(2)]
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    if res["requests"] and (res["non2xx"] + res["socket_errors"]) > 0.01 * res["requests"]:
        raise BenchError(f"wrk: {res['non2xx']} non-2xx responses and {res['socket_errors']} "
                         f"socket errors in {res['requests']} requests:\n{out}")
    return res


def percentile(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    i = int(round(p / 100.0 * (len(v) - 1)))
    return v[min(i, len(v) - 1)]


def pgbench(dsn, script_text, duration, clients, workdir, defines=None, mode="prepared",
            warm=False, transactions=None):
    """Runs a custom pgbench script (by default prepared statements, like the API's fixed
    statements; "extended" is like its dynamic SQL); tps and latencies. With `transactions`, each
    client runs the script that many times instead of `duration` s. warm=True leaves out each
    client's first transaction: a fresh backend's first statements fault in every shared buffer
    they touch (a second or more for a scan of 100 000 rows on a busy box), which the API's pooled
    connections paid long ago. The rate is then each client's later transactions over the time
    after its first (all of them if no client got further)."""
    script = os.path.join(workdir, "pgbench.sql")
    with open(script, "w") as f:
        f.write(script_text)
    logdir = tempfile.mkdtemp(dir=workdir, prefix="pgbench-log-")
    length = ["-t", str(transactions)] if transactions else ["-T", str(duration)]
    args = [PGBENCH, "-n", "-M", mode, "-c", str(clients), "-j", "2"] + length + [
            "-l", "--log-prefix", os.path.join(logdir, "tx"), "-f", script]
    for k, v in (defines or {}).items():
        args += ["-D", f"{k}={v}"]
    r = subprocess.run(args + [dsn], capture_output=True, text=True, cwd=workdir)
    if r.returncode != 0:
        raise BenchError(f"pgbench failed ({r.returncode}): {r.stderr.strip()[-2000:]}")
    m = re.search(r"tps = ([\d.]+) \(without initial connection time\)", r.stdout)
    if not m:
        raise BenchError("cannot parse pgbench output:\n" + r.stdout)
    m_failed = re.search(r"number of failed transactions: (\d+)", r.stdout)
    if m_failed and int(m_failed.group(1)) > 0:
        raise BenchError("pgbench: failed transactions:\n" + r.stdout)
    by_client = {}  # client → [(end time s, latency ms)] in order
    for name in os.listdir(logdir):
        with open(os.path.join(logdir, name)) as f:
            for line in f:
                parts = line.split()  # client transaction latency_us script end_s end_us
                if len(parts) >= 6:
                    by_client.setdefault(parts[0], []).append(
                        (int(parts[4]) + int(parts[5]) / 1e6, int(parts[2]) / 1000.0))
    rps = float(m.group(1))
    later = [tx for tx in by_client.values() if len(tx) > 1]
    if warm and later:
        rps = sum((len(tx) - 1) / max(tx[-1][0] - tx[0][0], 1e-6) for tx in later)
        by_client = {c: tx[1:] for c, tx in by_client.items()}
    elif warm:
        log("pgbench: no client got past its first transaction; cold figures (run longer)")
    latencies = [ms for tx in by_client.values() for _, ms in tx]
    return {"rps": rps, "p50_ms": percentile(latencies, 50), "p99_ms": percentile(latencies, 99)}


def busy_cpu_seconds():
    """CPU seconds the whole machine has spent busy so far (/proc/stat: all but idle and iowait)."""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def with_machine_cpu(run):
    """A wrk or pgbench runner that also reports the whole machine's busy CPU per request
    (cpu_us: load generator, server and database alike) and its busy cores meanwhile."""
    def measured(duration):
        cpu, start = busy_cpu_seconds(), time.monotonic()
        r = run(duration)
        cpu, took = busy_cpu_seconds() - cpu, time.monotonic() - start
        r["cpu_us"] = cpu / max(r["rps"] * duration, 1) * 1e6
        r["busy_cores"] = cpu / took
        return r
    return measured


def abba(run_a, run_b, duration):
    """Runs A, B, B, A for duration/2 seconds each and averages each side, so that a change in
    the machine's load during the run (other builds on a shared box) hits both sides alike."""
    half = max(1, duration // 2)
    a1, b1, b2, a2 = run_a(half), run_b(half), run_b(half), run_a(half)

    def mean(x, y):
        return {k: (x[k] + y[k]) / 2 for k in ("rps", "p50_ms", "p99_ms", "cpu_us", "busy_cores")
                if k in x and k in y}

    return mean(a1, a2), mean(b1, b2)


# --- results ------------------------------------------------------------------------------------


class Results:
    def __init__(self):
        self.figures = []
        self.errors = []

    def add(self, name, value, unit, baseline, baseline_source, better, note=""):
        ratio = value / baseline if baseline else None
        fig = {"name": name, "value": round(value, 3), "unit": unit,
               "baseline": round(baseline, 3) if baseline is not None else None,
               "ratio": round(ratio, 3) if ratio is not None else None,
               "baseline_source": baseline_source, "better": better}
        if note:
            fig["note"] = note
        self.figures.append(fig)
        log(f"{name} = {value:.2f} {unit} (baseline {baseline:.2f}, ratio "
            f"{ratio:.2f})" if ratio is not None else f"{name} = {value:.2f} {unit}")

    def table(self):
        rows = [("figure", "value", "baseline", "ratio", "baseline is")]
        for f in self.figures:
            rows.append((f["name"], f"{f['value']:.1f} {f['unit']}",
                         f"{f['baseline']:.1f}" if f["baseline"] is not None else "-",
                         f"{f['ratio']:.2f} ({'↑' if f['better'] == 'higher' else '↓'})"
                         if f["ratio"] is not None else "-",
                         f["baseline_source"]))
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines = []
        for n, r in enumerate(rows):
            lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def machine():
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return {"cores": os.cpu_count(), "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
            "memory_bytes": mem_kb * 1024, "kernel": platform.release()}


# --- section: API create / get ------------------------------------------------------------------

# The SQL the API runs for POST /clusters (src/service/resource_service.cpp Create →
# src/store/postgres/pg_statements.cpp insert_resource and append_outbox, one transaction).
# Values the API computes are pgbench variables: -D for the documents (taken from a cluster the
# API created in this run), \set for fresh ids; times are now().
CONDITION_ROWS = (
    "SELECT c->>0 AS type, c->>1 AS status, c->>2 AS reason, c->>3 AS message, "
    "(c->>4)::bigint AS observed_generation, (c->>5)::timestamptz AS created_time, "
    "(c->>6)::timestamptz AS last_updated_time, (c->>7)::timestamptz AS last_transition_time, "
    "t.position FROM jsonb_array_elements(:conditions::text::jsonb) WITH ORDINALITY AS t(c, position)")
ID = "(lpad(to_hex(:k::bigint), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(:k::bigint), 12, '0'))"
EVENT_ID = ("(lpad(to_hex(:e::bigint), 8, '0') || '-0000-7000-9000-' || "
            "lpad(to_hex(:e::bigint), 12, '0'))")
CREATE_SQL = f"""\\set k random(1, 1099511627775)
\\set e random(1, 1099511627775)
BEGIN;
WITH r AS (INSERT INTO resources (id, kind, name, href, spec, generation, owner_id, owner_kind,
  owner_href, created_time, updated_time, deleted_time, created_by, updated_by, deleted_by,
  labels_doc, conditions_doc)
  VALUES ({ID}, 'Cluster', 'pgb-' || :k::text, '{API}/clusters/' || {ID}, :spec::jsonb, 1, NULL,
  NULL, NULL, now(), now(), NULL, :actor, :actor, NULL, :labels, :conditions) RETURNING id),
l AS (INSERT INTO resource_labels (resource_id, key, value) SELECT r.id, l->>0, l->>1
  FROM r, jsonb_array_elements(:labels::text::jsonb) l),
c AS (INSERT INTO resource_conditions (resource_id, type, status, reason, message,
  observed_generation, created_time, last_updated_time, last_transition_time, position)
  SELECT r.id, n.* FROM r, ({CONDITION_ROWS}) n)
SELECT 1;
WITH o AS (INSERT INTO outbox (event_id, aggregate_type, aggregate_id, aggregate_generation,
  event_type, reason, payload, created_time, attempts, next_attempt_time, last_error)
  VALUES ({EVENT_ID}, 'Cluster', {ID}, 1, :event_type, 'created', :payload, now(), 0, now(), '')
  RETURNING id)
SELECT id, pg_notify('hyperfleet_outbox', '') FROM o;
COMMIT;
"""

# The API's GET: one resource row by key, its labels and conditions riding along as documents
# (src/store/detail/statements.hpp kResourceColumns; ids picked at random from bench_ids, the
# clusters created above).
GET_SQL = """\\set n random(1, :nids)
SELECT {columns} FROM bench_ids b JOIN resources r ON r.id = b.id WHERE b.n = :n;
"""


def section_api(res, args, work):
    procs = Processes(work)
    try:
        db = fresh_db("bench_api")
        api, base = start_api(procs, "api", db)
        tag = "w" + format(random.randrange(36 ** 4), "x")
        # One cluster created through the API supplies the documents pgbench writes.
        status, _ = http("POST", base + API + "/clusters",
                         {"kind": "Cluster", "name": tag + "-sample",
                          "labels": {"env": "bench", "team": "platform"},
                          "spec": {"region": "us-east-1", "version": "4.15", "nodes": 3}})
        if status != 201:
            raise BenchError(f"sample create failed: HTTP {status}")
        sample = json.loads(psql(db, "SELECT row_to_json(x) FROM (SELECT r.id, r.spec::text AS "
                                     "spec, r.created_by, r.labels_doc, r.conditions_doc "
                                     "FROM resources r LIMIT 1) x"))
        payload = psql(db, "SELECT payload FROM outbox WHERE aggregate_id = "
                           f"'{sample['id']}' LIMIT 1")
        defines = {"spec": sample["spec"], "labels": sample["labels_doc"],
                   "conditions": sample["conditions_doc"],
                   "payload": payload, "actor": sample["created_by"],
                   "event_type": "com.redhat.hyperfleet.cluster.changed.v1"}
        log(f"api: POST /clusters (wrk) vs the same transaction (pgbench), {CONCURRENCY} "
            f"connections each, {args.duration}s each in A-B-B-A halves")
        runs = iter(range(1, 100))  # a fresh name prefix per wrk run (names are unique)
        create, base_create = abba(
            lambda d: wrk(base + API + "/clusters", "create.lua", d, CONCURRENCY,
                          env={"BENCH_TAG": f"{tag}{next(runs)}"}),
            lambda d: pgbench(db, CREATE_SQL, d, CONCURRENCY, work, defines), args.duration)
        res.add("api_create_rps", create["rps"], "req/s", base_create["rps"],
                "pgbench, same SQL transaction", "higher")
        res.add("api_create_p99_ms", create["p99_ms"], "ms", base_create["p99_ms"],
                "pgbench p99", "lower")

        # GET by id over the clusters the API created.
        psql(db, "CREATE TABLE bench_ids AS SELECT row_number() OVER (ORDER BY id) AS n, id "
                 "FROM resources WHERE name LIKE 'w%'; "
                 "ALTER TABLE bench_ids ADD PRIMARY KEY (n); ANALYZE")
        ids_file = os.path.join(work, "ids.txt")
        ids = psql(db, "SELECT id FROM bench_ids ORDER BY n").split()
        if not ids:
            raise BenchError("no clusters were created")
        with open(ids_file, "w") as f:
            f.write("\n".join(ids) + "\n")
        log(f"api: GET /clusters/{{id}} over {len(ids)} clusters (wrk) vs select by key "
            f"(pgbench), {CONCURRENCY} connections each, A-B-B-A")
        def api_get(connections):
            return with_machine_cpu(lambda d: wrk(base + API + "/clusters", "get.lua", d,
                                                  connections, env={"BENCH_IDS": ids_file}))

        def db_get(clients):
            return with_machine_cpu(lambda d: pgbench(
                db, GET_SQL.format(columns=RESOURCE_COLUMNS), d, clients, work,
                {"nids": str(len(ids))}))

        get, base_get = abba(api_get(CONCURRENCY), db_get(CONCURRENCY), args.duration)
        res.add("api_get_rps", get["rps"], "req/s", base_get["rps"], "pgbench, select by key",
                "higher")
        res.add("api_get_p50_ms", get["p50_ms"], "ms", base_get["p50_ms"], "pgbench p50", "lower")
        res.add("api_get_p99_ms", get["p99_ms"], "ms", base_get["p99_ms"], "pgbench p99", "lower")
        # What bounds a GET at that concurrency: the API's HTTP round trip alone (its index
        # document, answered from memory), against the same pgbench figure.
        index = with_machine_cpu(lambda d: wrk(base + "/api/hyperfleet", None, d, CONCURRENCY))(
            max(1, args.duration // 2))
        res.add("api_index_rps", index["rps"], "req/s", base_get["rps"],
                "pgbench, select by key", "higher",
                f"GET /api/hyperfleet (no database), {CONCURRENCY} connections: the HTTP round "
                "trip alone")
        # Where the GET's rate goes: the busy CPU of the whole machine (wrk, API, PostgreSQL;
        # pgbench and PostgreSQL for the baseline) per request, and how busy the machine was.
        cores = len(os.sched_getaffinity(0))
        res.add("api_get_cpu_us", get["cpu_us"], "us", base_get["cpu_us"],
                "pgbench, select by key: machine CPU per query", "lower",
                f"machine CPU per GET, {CONCURRENCY} connections; busy {get['busy_cores']:.2f} of "
                f"{cores} cores (pgbench {base_get['busy_cores']:.2f}); the index document alone "
                f"{index['cpu_us']:.1f} us")
        # Capacity: with more connections waiting, one statement serves more GETs (store reads
        # are batched), while pgbench's clients each need their own. The baseline is pgbench at
        # its better concurrency.
        log(f"api: the same GETs and select by key, {GET_CAPACITY_CONCURRENCY} connections each, "
            "A-B-B-A")
        get_c, base_get_c = abba(api_get(GET_CAPACITY_CONCURRENCY),
                                 db_get(GET_CAPACITY_CONCURRENCY), args.duration)
        best = max(base_get["rps"], base_get_c["rps"])
        res.add(f"api_get_rps_{GET_CAPACITY_CONCURRENCY}", get_c["rps"], "req/s", best,
                f"pgbench, select by key, the better of {CONCURRENCY} and "
                f"{GET_CAPACITY_CONCURRENCY} clients", "higher",
                f"pgbench {base_get['rps']:.0f}/s at {CONCURRENCY} clients, "
                f"{base_get_c['rps']:.0f}/s at {GET_CAPACITY_CONCURRENCY}; "
                f"API p99 {get_c['p99_ms']:.2f} ms")

        # The same GETs with a bearer token (RS256, verified on every request) against a second
        # API on the same database with authentication on; the baseline is the first API.
        config, token = bench_issuer(work)
        _, auth_base = start_api(procs, "api-auth", db, extra=["--config", config,
                                                               "--auth-enabled", "true",
                                                               "--skip-migrations"])
        log(f"api: GET /clusters/{{id}} with a verified RS256 token vs without, A-B-B-A")
        authed, plain = abba(
            lambda d: wrk(auth_base + API + "/clusters", "get.lua", d, CONCURRENCY,
                          env={"BENCH_IDS": ids_file, "BENCH_TOKEN": token}),
            lambda d: wrk(base + API + "/clusters", "get.lua", d, CONCURRENCY,
                          env={"BENCH_IDS": ids_file}),
            args.duration)
        res.add("api_get_auth_rps", authed["rps"], "req/s", plain["rps"],
                "the same GETs with auth off", "higher")
        res.add("api_get_auth_p99_ms", authed["p99_ms"], "ms", plain["p99_ms"],
                "the same GETs with auth off, p99", "lower")
    finally:
        procs.close()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def bench_issuer(work):
    """An RS256 key made with the openssl tool, its JWKS in a file, an API config trusting it and
    one reader token valid for an hour: (config path, token)."""
    key = os.path.join(work, "bench-key.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", key], check=True, capture_output=True)
    modulus = subprocess.run(["openssl", "rsa", "-in", key, "-noout", "-modulus"], check=True,
                             capture_output=True, text=True).stdout.strip().split("=", 1)[1]
    jwks = {"keys": [{"kty": "RSA", "kid": "bench", "alg": "RS256", "use": "sig",
                      "n": b64url(bytes.fromhex(modulus)), "e": b64url((65537).to_bytes(3, "big"))}]}
    jwks_file = os.path.join(work, "bench-jwks.json")
    with open(jwks_file, "w") as f:
        json.dump(jwks, f)
    issuer = "https://bench.invalid"
    config = os.path.join(work, "bench-auth.yaml")
    with open(config, "w") as f:
        f.write(f"auth:\n  issuers:\n    - {{issuer_url: {issuer}, jwks_file: {jwks_file}, "
                "audience: hyperfleet, identity_claim: sub, role: reader}\n")
    now = int(time.time())
    signing_input = (b64url(json.dumps({"alg": "RS256", "kid": "bench", "typ": "JWT"}).encode())
                     + "." + b64url(json.dumps({"iss": issuer, "sub": "bench", "aud": "hyperfleet",
                                                "iat": now, "exp": now + 3600}).encode()))
    signature = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key],
                               input=signing_input.encode(), check=True,
                               capture_output=True).stdout
    return config, signing_input + "." + b64url(signature)


# --- section: list at 1k / 10k / 100k and the reference's shape, RSS ----------------------------

# One cluster's id, from its number g: UUIDv7-shaped and time-ordered like the API's.
SEED_ID = "lpad(to_hex(g), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(g), 12, '0')"

# Clusters lo..hi as the API writes them (schema of migrations/postgres/0001–0005): the
# Reconciled copy on the row (0003), two labels and the five conditions of a cluster whose three
# adapters have reported, in their tables and as the row's documents (0005). Those whose g
# satisfies the SQL predicate `not_reconciled` have Reconciled=False (the rest True).
SEED_SQL = """
INSERT INTO resources (id, kind, name, href, spec, generation, created_time, updated_time,
                       created_by, updated_by, reconciled_status, reconciled_updated_time,
                       labels_doc, conditions_doc)
SELECT s.id, 'Cluster', 'seed-' || s.g, '/api/hyperfleet/v1/clusters/' || s.id,
       '{{"region":"us-east-1","version":"4.15","nodes":3}}', 1, s.t, s.t,
       'system@hyperfleet.local', 'system@hyperfleet.local', s.status, s.now,
       '[["env","prod"],["team","platform"]]',
       (SELECT json_agg(json_build_array(c.type,
                CASE WHEN c.type IN ('Reconciled', 'LastKnownReconciled') THEN s.status
                     ELSE 'True' END,
                CASE WHEN c.type IN ('Reconciled', 'LastKnownReconciled') AND s.status = 'False'
                     THEN 'ReconciledMissingAdapters' ELSE 'AllAdaptersReconciled' END,
                'Required adapters not reporting Available=True: [placement]',
                1, s.now, s.now, s.now) ORDER BY c.pos)::text
        FROM (VALUES ('Reconciled', 1), ('LastKnownReconciled', 2), ('ValidationSuccessful', 3),
                     ('DnsSuccessful', 4), ('PlacementSuccessful', 5)) AS c(type, pos))
FROM (SELECT g, {id} AS id, now() - interval '1 day' + g * interval '1 ms' AS t, now() AS now,
             CASE WHEN {not_reconciled} THEN 'False' ELSE 'True' END AS status
      FROM generate_series({lo}, {hi}) g) s;
INSERT INTO resource_labels (resource_id, key, value)
SELECT {id}, k.key, k.value
FROM generate_series({lo}, {hi}) g,
     (VALUES ('env', 'prod'), ('team', 'platform')) AS k(key, value);
INSERT INTO resource_conditions (resource_id, type, position, status, reason, message,
  observed_generation, created_time, last_updated_time, last_transition_time)
SELECT {id}, c.type, c.pos,
       CASE WHEN c.type IN ('Reconciled', 'LastKnownReconciled') AND ({not_reconciled})
            THEN 'False' ELSE 'True' END,
       CASE WHEN c.type IN ('Reconciled', 'LastKnownReconciled') AND ({not_reconciled})
            THEN 'ReconciledMissingAdapters' ELSE 'AllAdaptersReconciled' END,
       'Required adapters not reporting Available=True: [placement]',
       1, now(), now(), now()
FROM generate_series({lo}, {hi}) g,
     (VALUES ('Reconciled', 1), ('LastKnownReconciled', 2), ('ValidationSuccessful', 3),
             ('DnsSuccessful', 4), ('PlacementSuccessful', 5)) AS c(type, pos);
ANALYZE;
"""


def seed(db, lo, hi, not_reconciled="g % 2 = 0"):
    t0 = time.time()
    psql(db, SEED_SQL.format(id=SEED_ID, lo=lo, hi=hi, not_reconciled=not_reconciled))
    log(f"seeded clusters {lo}..{hi} in {time.time() - t0:.1f}s")


# The SQL the API runs for one list request on PostgreSQL (src/store/detail/sql_tx.cpp
# ListResources, the columns of src/store/detail/statements.hpp kResourceColumns): the page, whose
# rows carry their labels and conditions as documents (migrations 0005), then the exact total (every page these runs ask for
# is full or past the end, so the API asks for it on each request). For these two lists (all
# clusters; those with one Reconciled status) the total is kept on write
# (migrations/postgres/0004_resource_counts.sql) and read with the store's count_resources
# statement (src/store/postgres/pg_statements.cpp), not counted. Sent as the API sends dynamic SQL:
# extended protocol, unnamed statement, no transaction, no parallel query (like_api).
# NOT_RECONCILED_SQL is the store's rendering of the ticker's filter
# status.conditions.Reconciled='False' (src/store/detail/search_sql.cpp): the one constant to
# change when the store renders it differently.
NOT_RECONCILED_SQL = "r.reconciled_status = 'False'"
KEPT_COUNT_SQL = """SELECT (SELECT COALESCE(SUM(n), 0) FROM resource_counts WHERE {key})::bigint + d.sum,
  d.rows FROM (SELECT COALESCE(SUM(delta), 0)::bigint AS sum, COUNT(*) AS rows
  FROM resource_count_deltas WHERE {key}) d;"""
RESOURCE_COLUMNS = ("r.id, r.kind, r.name, r.href, r.spec, r.generation, r.owner_id, "
                    "r.owner_kind, r.owner_href, r.created_time, r.updated_time, r.deleted_time, "
                    "r.created_by, r.updated_by, r.deleted_by, r.labels_doc, r.conditions_doc, "
                    "r.event_sequence")
LIST_SQL = """\\set o (random(1, :pages) - 1) * :size
SELECT {columns} FROM resources r WHERE {where}
  ORDER BY r.created_time DESC, r.id DESC LIMIT :size OFFSET :o;
{count}
"""


def list_sql(filter_sql=None):
    """The API's SQL for a list of clusters, unfiltered or with NOT_RECONCILED_SQL."""
    where = "r.kind = 'Cluster'" + (f" AND ({filter_sql})" if filter_sql else "")
    status = "'False'" if filter_sql == NOT_RECONCILED_SQL else "NULL"
    if filter_sql not in (None, NOT_RECONCILED_SQL):
        raise BenchError(f"no kept total for the filter {filter_sql}")
    key = f"kind = 'Cluster' AND ({status}::text IS NULL OR reconciled_status = {status})"
    return LIST_SQL.format(columns=RESOURCE_COLUMNS, where=where,
                           count=KEPT_COUNT_SQL.format(key=key))


def like_api(dsn):
    """`dsn` with the API's session setting that changes plans: no parallel query
    (src/store/postgres/pg_store.cpp ConnInfo)."""
    return (dsn + ("&" if "?" in dsn else "?")
            + "options=-c%20max_parallel_workers_per_gather%3D0")


def list_vs_pgbench(base, db, query, filter_sql, pages, size, connections, work, duration):
    """wrk on GET /clusters?<query>&page=1..pages against pgbench running the API's SQL for the
    same pages, at the same concurrency, A-B-B-A: (api, pgbench) figures. Both sides are
    measured on warm connections (one untimed second of wrk first; pgbench warm=True, with
    halves of at least 3 s so that a client gets past its cold first transaction at 100k)."""
    def api(d):
        return wrk(base + API + "/clusters", "list.lua", d, connections,
                   env={"BENCH_QUERY": query, "BENCH_PAGES": str(pages)})

    api(1)
    return abba(
        api,
        lambda d: pgbench(like_api(db), list_sql(filter_sql), d, connections, work,
                          {"pages": pages, "size": size}, mode="extended", warm=True),
        max(duration, 6))


def section_list(res, args, work):
    procs = Processes(work)
    try:
        db = fresh_db("bench_list")
        api, base = start_api(procs, "api-list", db)  # migrates
        query = "search=" + urllib.parse.quote("status.conditions.Reconciled='False'") + "&size=100"
        for label, total, goal in (("1k", 1_000, None), ("10k", 10_000, 10.0),
                                   ("100k", 100_000, 20.0)):
            have = int(psql(db, "SELECT COUNT(*) FROM resources"))
            seed(db, have + 1, total)
            status, body = http("GET", base + API + "/clusters?" + query)
            if status != 200 or body["total"] != total // 2:
                raise BenchError(f"list check failed: {status} total={body and body['total']}")
            log(f"list: {label}, Reconciled='False' (half match), size 100, pages 1..10, wrk vs "
                f"pgbench, {LIST_CONCURRENCY} connections, A-B-B-A")
            r, b = list_vs_pgbench(base, db, query, NOT_RECONCILED_SQL, 10, 100, LIST_CONCURRENCY,
                                   work, args.duration)
            note = f"goal p99 < {goal:.0f} ms" if goal else ""
            res.add(f"api_list_p99_ms_{label}", r["p99_ms"], "ms", b["p99_ms"],
                    "pgbench p99, same SQL (page + kept total)", "lower", note)
            res.add(f"api_list_p50_ms_{label}", r["p50_ms"], "ms", b["p50_ms"],
                    "pgbench p50, same SQL (page + kept total)", "lower")
            res.add(f"api_list_rps_{label}", r["rps"], "req/s", b["rps"],
                    "pgbench, same SQL (page + kept total)", "higher")
            if label != "10k":
                continue
            log("list: 10k, the reference's shape: no filter, size 10, page 1, 10 connections, "
                "wrk vs pgbench, A-B-B-A")
            r, b = list_vs_pgbench(base, db, "size=10", None, 1, 10, 10, work, args.duration)
            res.add("api_list_p99_ms_10k_ref", r["p99_ms"], "ms", b["p99_ms"],
                    "pgbench p99, same SQL (page + kept total), 10 clients", "lower",
                    "reference: p99 31.4 ms at 10 000 clusters (4-vCPU nodes)")
            res.add("api_list_rps_10k_ref", r["rps"], "req/s", b["rps"],
                    "pgbench, same SQL (page + kept total), 10 clients", "higher",
                    "reference: 789 req/s at 10 000 clusters (4-vCPU nodes)")
        res.add("api_rss_mb", vm_mb(api.pid), "MB", 100.0, "goal < 100 MB", "lower")
    finally:
        procs.close()


# --- section: fleet: the ticker over 100 000 clusters, cascade delete ---------------------------

FLEET_CLUSTERS = 100_000
FLEET_NOT_RECONCILED = 1_000  # clusters 1..1000 (the oldest) in the ticker cycle run
TICKER_IDLE_S = 60  # the idle CPU window of issue #16
CASCADE_NODEPOOLS = 500


def cpu_seconds(pid):
    """User + system CPU seconds of a process so far (/proc/<pid>/stat fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # fields[0] is field 3 (state)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def api_backends_cpu(db):
    """CPU seconds so far of each PostgreSQL backend serving a `hyperfleet` connection to `db`."""
    out = {}
    for pid in psql(db, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name = 'hyperfleet'").split():
        try:
            out[pid] = cpu_seconds(pid)
        except OSError:  # the connection closed meanwhile
            pass
    return out


def start_ticker(procs, name, base, extra):
    """A `hyperfleet ticker` (JSON logs) and its health port, ready after its first poll."""
    health = free_port()
    p = procs.start(name, [BIN, "ticker", "--api-url", base, "--health-port", str(health),
                           "--metrics-port", str(free_port()), "--log-format", "json"] + extra)
    return p, health


def ticker_polls(procs, name):
    """The polls in a ticker's debug log ("poll done"): (start time, seconds, resources seen)."""
    polls = []
    with open(os.path.join(procs.workdir, name + ".log")) as f:
        for line in f:
            if '"poll done"' in line:
                e = json.loads(line)
                polls.append((parse_time(e["time"]) - e["seconds"], e["seconds"], e["resources"]))
    return polls


def not_reconciled_total(base):
    q = urllib.parse.quote("status.conditions.Reconciled='False'")
    status, body = http("GET", base + API + f"/clusters?search={q}&size=1")
    if status != 200:
        raise BenchError(f"list not reconciled: HTTP {status}")
    return body["total"]


def ticker_at_scale(res, work):
    """ticker_cycle_ms_100k and ticker_idle_cpu_pct_100k: a real `hyperfleet ticker` against a
    real `hyperfleet api` on PostgreSQL (the ticker only talks to the API; no broker)."""
    procs = Processes(work)
    try:
        db = fresh_db("bench_fleet")
        api, base = start_api(procs, "api-fleet", db)
        seed(db, 1, FLEET_CLUSTERS, not_reconciled=f"g <= {FLEET_NOT_RECONCILED}")
        if not_reconciled_total(base) != FLEET_NOT_RECONCILED:
            raise BenchError("fleet: seeded not-reconciled clusters not found")

        # Polls 1 s apart. A not-reconciled cluster's first request falls due 10 s (−10 %
        # jitter) after the poll that first saw it, so the polls started within 9 s of the first
        # one only walk the lists; those are the figure.
        log(f"fleet: ticker polls every 1 s over {FLEET_CLUSTERS} clusters, "
            f"{FLEET_NOT_RECONCILED} not reconciled")
        cycle = Processes(work)
        try:
            start_ticker(cycle, "ticker-cycle", base, ["--log-level", "debug",
                                                       "--poll-interval", "1s"])
            started = time.time()
            while time.time() < started + 90 and (
                    time.time() < started + 9 or not ticker_polls(cycle, "ticker-cycle")):
                cycle.check_alive()
                time.sleep(0.5)
        finally:
            cycle.close()
        polls = ticker_polls(cycle, "ticker-cycle")
        if not polls or any(n != FLEET_NOT_RECONCILED for _, _, n in polls):
            raise BenchError(f"fleet: ticker polls (start, seconds, resources): {polls}")
        ms = [s * 1000 for t, s, _ in polls if t < polls[0][0] + 9]
        res.add("ticker_cycle_ms_100k", percentile(ms, 50), "ms", 500.0, "goal < 500 ms",
                "lower", f"median of {len(ms)} polls (first {ms[0]:.0f} ms, max {max(ms):.0f} "
                f"ms); each lists the {FLEET_NOT_RECONCILED} not reconciled, 100 a page, and the "
                "stale (none); no request falls due")

        # All reconciled: the clusters 1..1000 again, as reconciled ones.
        psql(db, f"DELETE FROM resources WHERE id IN (SELECT {SEED_ID} FROM "
                 f"generate_series(1, {FLEET_NOT_RECONCILED}) g)")
        seed(db, 1, FLEET_NOT_RECONCILED, not_reconciled="false")
        if not_reconciled_total(base) != 0:
            raise BenchError("fleet: clusters still not reconciled")
        log(f"fleet: api + ticker CPU over {TICKER_IDLE_S}s, all {FLEET_CLUSTERS} reconciled, "
            "default 5 s poll")
        ticker, health = start_ticker(procs, "ticker-idle", base, ["--log-level", "info"])
        wait_ready(procs, health, "ticker")  # after its first poll
        before = api_backends_cpu(db)
        ours = [cpu_seconds(api.pid), cpu_seconds(ticker.pid)]
        time.sleep(TICKER_IDLE_S)
        procs.check_alive()
        pct = [(cpu_seconds(p.pid) - b) / TICKER_IDLE_S * 100 for p, b in zip((api, ticker),
                                                                                ours)]
        pg = sum(cpu - before.get(pid, 0.0) for pid, cpu in api_backends_cpu(db).items())
        res.add("ticker_idle_cpu_pct_100k", sum(pct), "%", 5.0, "goal < 5 % of one core", "lower",
                f"api {pct[0]:.2f} % + ticker {pct[1]:.2f} % of one core; the API's PostgreSQL "
                f"backends (not in the figure) {pg / TICKER_IDLE_S * 100:.2f} %")
    finally:
        procs.close()


def wait_total(url, want, procs, what, timeout=120):
    deadline = time.time() + timeout
    while True:
        procs.check_alive()
        status, body = http("GET", url)
        if status == 200 and body["total"] == want:
            return
        if time.time() > deadline:
            raise BenchError(f"{what}: {body and body['total']} of {want} after {timeout}s")
        time.sleep(0.2)


def cascade_delete(res, work):
    """cascade_delete_ms_500np: DELETE of a reconciled cluster with 500 reconciled nodepools until
    GET answers 404 — every adapter finalizes every resource (no-op jobs), `hyperfleet dev` on
    PostgreSQL."""
    procs = Processes(work)
    try:
        db = fresh_db("bench_cascade")
        port, health = free_port(), free_port()
        procs.start("cascade-dev", [BIN, "dev", "--db", db, "--data-dir",
                                    os.path.join(work, "cascade-data"), "--adapters-dir",
                                    adapters_dir(work), "--host", "127.0.0.1", "--port",
                                    str(port), "--health-port", str(health), "--metrics-port",
                                    str(free_port()), "--log-level", "warn"])
        wait_ready(procs, health, "hyperfleet dev")
        base = f"http://127.0.0.1:{port}" + API
        status, cluster = http("POST", base + "/clusters", {"kind": "Cluster", "name": "cascade",
                                                            "spec": {"region": "us-east-1"}})
        if status != 201:
            raise BenchError(f"create cluster: HTTP {status}")
        url = f"{base}/clusters/{cluster['id']}"
        t0 = time.time()
        for i in range(CASCADE_NODEPOOLS):
            status, _ = http("POST", url + "/nodepools", {"kind": "NodePool", "name": f"np-{i}",
                                                          "spec": {"replicas": 3}})
            if status != 201:
                raise BenchError(f"create nodepool {i}: HTTP {status}")
        reconciled = urllib.parse.quote("status.conditions.Reconciled='True'")
        wait_total(f"{url}/nodepools?search={reconciled}&size=1", CASCADE_NODEPOOLS, procs,
                   "nodepools reconciled")
        wait_total(f"{base}/clusters?search={reconciled}&size=1", 1, procs, "cluster reconciled")
        log(f"fleet: {CASCADE_NODEPOOLS} nodepools created and reconciled in "
            f"{time.time() - t0:.1f}s; DELETE the cluster")
        t0 = time.perf_counter()
        status, _ = http("DELETE", url)
        if status != 202:
            raise BenchError(f"delete cluster: HTTP {status}")
        deadline = time.time() + 120
        while http("GET", url)[0] != 404:
            procs.check_alive()
            if time.time() > deadline:
                raise BenchError("cluster not gone 120 s after DELETE")
            time.sleep(0.05)
        ms = (time.perf_counter() - t0) * 1000
        status, body = http("GET", base + "/nodepools?size=1")
        if status != 200 or body["total"] != 0:
            raise BenchError(f"nodepools left after the cluster: {body and body['total']}")
        res.add("cascade_delete_ms_500np", ms, "ms", 10000.0, "goal < 10 s", "lower",
                "DELETE → GET 404, hyperfleet dev on PostgreSQL, no-op jobs; reference ~40 s "
                "for a plain cluster delete")
    finally:
        procs.close()


def section_fleet(res, args, work):
    ticker_at_scale(res, work)
    cascade_delete(res, work)


# --- section: outbox ----------------------------------------------------------------------------


def run_tool(args, env=None):
    full_env = dict(os.environ)
    full_env.update(env or {})
    r = subprocess.run([OUTBOX_TOOL] + args, capture_output=True, text=True, env=full_env)
    if r.returncode != 0:
        raise BenchError(f"hf_bench_outbox {' '.join(args[:1])} failed: {r.stderr.strip()}")
    return json.loads(r.stdout.strip().splitlines()[-1])


# The outbox's own statements (src/store/postgres/pg_statements.cpp claim_outbox, mark_published)
# as one reconciler pass runs them, minus the publish: claim a batch of due rows, mark them
# published, commit. One client (one reconciler). The ids of batch :b are known in advance (rows
# seeded in one statement get consecutive ids, and the claim takes the lowest), so the mark's
# JSON id list is computed without a round trip.
OUTBOX_BATCH = 100
OUTBOX_PASS_SQL = f"""\\set b :b + 1
BEGIN;
SELECT id, event_id, aggregate_type, aggregate_id, aggregate_generation, event_type, reason,
  payload, created_time, published_time, attempts, next_attempt_time, last_error,
  aggregate_sequence FROM outbox WHERE published_time IS NULL AND next_attempt_time <= now()
  ORDER BY id LIMIT {OUTBOX_BATCH} FOR UPDATE SKIP LOCKED;
UPDATE outbox SET published_time = now() WHERE id = ANY(translate(
  (SELECT json_agg(g)::text FROM generate_series(:first + (:b - 1) * {OUTBOX_BATCH},
   :first + :b * {OUTBOX_BATCH} - 1) g), '[]', '{{}}')::bigint[]);
COMMIT;
"""


def outbox_statements_rate(db, events, work):
    """pgbench running the outbox's claim + mark on `events` fresh due rows (copies of the
    payload of a row already in `db`), in batches of OUTBOX_BATCH: events per second."""
    first = int(psql(db, "WITH s AS (INSERT INTO outbox (event_id, aggregate_type, aggregate_id, "
                         "aggregate_generation, event_type, reason, payload, created_time, "
                         "next_attempt_time) SELECT gen_random_uuid()::text, aggregate_type, "
                         "gen_random_uuid()::text, 1, event_type, reason, payload, now(), "
                         "now() - interval '1 second' FROM (SELECT * FROM outbox LIMIT 1) o, "
                         f"generate_series(1, {events}) RETURNING id) SELECT min(id) FROM s"))
    psql(db, "ANALYZE outbox")
    r = pgbench(db, OUTBOX_PASS_SQL, 0, 1, work, {"first": first, "b": 0},
                transactions=events // OUTBOX_BATCH)
    left = int(psql(db, "SELECT COUNT(*) FROM outbox WHERE published_time IS NULL"))
    if left:
        raise BenchError(f"pgbench outbox pass left {left} rows unpublished (ids not consecutive?)")
    return r["rps"] * OUTBOX_BATCH


def section_outbox(res, args, work):
    brokers = [
        ("memory", ["--broker", "memory", "--events", "20000"], {}),
        ("pubsub", ["--broker", "googlepubsub", "--pubsub-project", "hf-bench", "--events", "5000"],
         {"PUBSUB_EMULATOR_HOST": os.environ.get("HF_TEST_PUBSUB_EMULATOR_HOST", "")}),
        ("rabbitmq", ["--broker", "rabbitmq", "--rabbitmq-url",
                      os.environ.get("HF_TEST_RABBITMQ_URL", ""), "--events", "10000"], {}),
    ]
    statements = None
    for name, flags, env in brokers:
        db = fresh_db(f"bench_outbox_{name}")
        log(f"outbox: {name}: raw publish vs reconciler, batches of {OUTBOX_BATCH}")
        r = run_tool(["throughput", "--db", db, "--batch", str(OUTBOX_BATCH)] + flags, env)
        if statements is None:  # the database side, once: it does not depend on the broker
            log(f"outbox: pgbench running the outbox's claim + mark, batches of {OUTBOX_BATCH}")
            statements = outbox_statements_rate(db, 20000, work)
        baseline = min(r["raw_per_s"], statements)
        res.add(f"outbox_events_per_s_{name}", r["outbox_per_s"], "events/s", baseline,
                "the slower of raw publish and pgbench claim + mark, same batch size", "higher",
                f"raw publish {r['raw_per_s']:.0f}/s, pgbench claim + mark {statements:.0f}/s")
    db = fresh_db("bench_outbox_latency")
    log("outbox: commit → delivered on memory, 1000 events at 200/s")
    r = run_tool(["latency", "--db", db, "--events", "1000", "--rate", "200"])
    res.add("outbox_delivery_p99_ms_memory", r["p99_ms"], "ms", 50.0, "goal p99 < 50 ms", "lower")
    res.add("outbox_delivery_p50_ms_memory", r["p50_ms"], "ms", 50.0, "goal p99 < 50 ms", "lower")


# --- section: end to end ------------------------------------------------------------------------


ADAPTERS_SRC = os.path.join(ROOT, "deploy", "adapters")
CHAIN = ("validation", "dns", "placement")  # the example adapters, each waiting for the previous
E2E_HOPS = len(CHAIN)  # broker deliveries on the path create → Reconciled=True
THROUGHPUT_CLUSTERS = 1000
THROUGHPUT_CONNECTIONS = 8
# Bursts per throughput figure; the figure is their median. One burst swung 42–64/s between
# runs of the same code on this 2-core VM, whose speed drifts by a third within minutes.
THROUGHPUT_ROUNDS = 3


def adapters_dir(work, jobs="noop"):
    """A copy of the shipped example adapters. jobs="noop": every job is /bin/true (it writes no
    result, so the local runner judges it by its exit code: Succeeded, "Completed"), so the figure
    measures HyperFleet, not the job. jobs="example": the example scripts (sh + dirname + sleep +
    cat + grep per job) with JOB_DURATION=0."""
    dst = os.path.join(work, "adapters-" + jobs)
    shutil.copytree(ADAPTERS_SRC, dst, dirs_exist_ok=True)
    for name in sorted(n for n in os.listdir(dst) if n.endswith(".yaml")):
        path = os.path.join(dst, name)
        with open(path) as f:
            text = f.read()
        if jobs == "noop":
            text, n = re.subn(r"(?m)^(\s*command:\s*)\S+", r"\g<1>/bin/true", text)
        else:
            text, n = re.subn(r'JOB_DURATION: "[^"]*"', 'JOB_DURATION: "0"', text)
        if n != 1:
            raise BenchError(f"cannot rewrite the job of {path} ({jobs})")
        with open(path, "w") as f:
            f.write(text)
    return dst


def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


def create_cluster(base, name):
    status, body = http("POST", base + API + "/clusters",
                        {"kind": "Cluster", "name": name, "spec": {"region": "us-east-1"}})
    if status != 201:
        raise BenchError(f"create failed: HTTP {status}")
    return body["id"]


def reconciled_at(base, cluster_id):
    """When the cluster became Reconciled=True: the latest transition to Available=True among its
    adapters' statuses (the report that completed the set). Not the Reconciled condition's own
    last_transition_time: the API sets that to the earliest report at the generation."""
    status, body = http("GET", base + API + f"/clusters/{cluster_id}/statuses?size=100")
    if status != 200:
        raise BenchError(f"GET statuses of {cluster_id}: HTTP {status}")
    times = [parse_time(c["last_transition_time"]) for s in body["items"]
             for c in s["conditions"] if c["type"] == "Available" and c["status"] == "True"]
    if not times:
        raise BenchError(f"cluster {cluster_id} is reconciled without Available adapters")
    return max(times)


def reconciled_count(base):
    q = urllib.parse.quote("status.conditions.Reconciled='True'")
    _, body = http("GET", base + API + f"/clusters?search={q}&size=1")
    return body["total"] if body else 0


def reconciled_times(base, ids, procs, before, timeout=180):
    """Waits until every cluster in `ids` is Reconciled=True (`before`: how many clusters were
    before they were created); (created_time, reconciled_at) of each, in seconds (the API's and
    the adapters' clocks: one machine)."""
    wanted = set(ids)
    deadline = time.time() + timeout
    while True:
        procs.check_alive()
        total = reconciled_count(base)
        if total >= before + len(wanted):
            break
        if time.time() > deadline:
            raise BenchError(f"only {total - before} of {len(wanted)} clusters reconciled "
                             f"after {timeout}s")
        time.sleep(0.5)
    created = {}
    page = 1
    while True:
        _, body = http("GET", base + API + f"/clusters?size=100&page={page}")
        for c in body["items"]:
            if c["id"] in wanted:
                created[c["id"]] = parse_time(c["created_time"])
        if page * 100 >= body["total"]:
            break
        page += 1
    if len(created) != len(wanted):
        raise BenchError(f"found {len(created)} of {len(wanted)} clusters")
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda i: reconciled_at(base, i), ids))
    return [(created[i], d) for i, d in zip(ids, done)]


def reconcile_latencies(base, count, procs):
    """Creates `count` clusters at E2E_RATE/s; create → Reconciled=True (ms) of each."""
    tag = format(random.randrange(36 ** 4), "x")
    before = reconciled_count(base)
    ids = []
    t0 = time.time()
    for i in range(count):
        time.sleep(max(0.0, t0 + i / E2E_RATE - time.time()))
        ids.append(create_cluster(base, f"e2e-{tag}-{i}"))
    return [(done - created) * 1000
            for created, done in reconciled_times(base, ids, procs, before)]


def reconcile_throughput(base, procs):
    """THROUGHPUT_ROUNDS bursts, one after another: each creates THROUGHPUT_CLUSTERS clusters as
    fast as the API takes them (THROUGHPUT_CONNECTIONS at a time) and gives the clusters reaching
    Reconciled=True per second, from its first create to its last transition (API clock)."""
    rates = []
    for k in range(THROUGHPUT_ROUNDS):
        tag = format(random.randrange(36 ** 4), "x")
        before = reconciled_count(base)
        with ThreadPoolExecutor(THROUGHPUT_CONNECTIONS) as pool:
            ids = list(pool.map(lambda i: create_cluster(base, f"tp-{tag}-{i}"),
                                range(THROUGHPUT_CLUSTERS)))
        times = reconciled_times(base, ids, procs, before, timeout=300)
        first = min(created for created, _ in times)
        last = max(done for _, done in times)
        rates.append(len(times) / max(last - first, 1e-3))
        log(f"burst {k + 1} of {THROUGHPUT_ROUNDS}: {rates[-1]:.1f} clusters/s")
    return rates


def add_e2e(res, mode, lat, goal, baseline=None, source=None):
    """p50 and p99 of `lat`; against the goal unless a measured baseline (p50, p99) is given."""
    src = source or f"goal p50 < {goal:.0f} ms"
    p50_base, p99_base = baseline or (goal, goal)
    note = f"goal p50 < {goal:.0f} ms" if baseline else ""
    res.add(f"e2e_reconcile_p50_ms_{mode}", percentile(lat, 50), "ms", p50_base, src, "lower",
            note)
    res.add(f"e2e_reconcile_p99_ms_{mode}", percentile(lat, 99), "ms", p99_base,
            src + (" (p99)" if baseline else " (no p99 goal)"), "lower")


def add_throughput(res, mode, rates):
    """The median of the bursts' rates; each burst in the note."""
    res.add(f"reconcile_throughput_per_s_{mode}", statistics.median(rates), "clusters/s", 50.0,
            f"goal >= 50/s ({THROUGHPUT_CLUSTERS} clusters created at once, median of "
            f"{len(rates)} bursts)", "higher",
            "bursts: " + ", ".join(f"{r:.1f}" for r in rates) + " clusters/s")


def start_dev(procs, name, adir):
    port, health = free_port(), free_port()
    procs.start(name, [BIN, "dev", "--data-dir", os.path.join(procs.workdir, name + "-data"),
                       "--adapters-dir", adir, "--host", "127.0.0.1", "--port", str(port),
                       "--health-port", str(health), "--metrics-port", str(free_port()),
                       "--log-level", "warn"])
    wait_ready(procs, health, "hyperfleet dev")
    return f"http://127.0.0.1:{port}"


def section_e2e_dev(res, args, work):
    procs = Processes(work)
    try:
        base = start_dev(procs, "dev", adapters_dir(work, "noop"))
        log(f"e2e dev: {E2E_CLUSTERS} clusters at {E2E_RATE:.0f}/s, three chained adapters, "
            "no-op jobs")
        noop = reconcile_latencies(base, E2E_CLUSTERS, procs)
        add_e2e(res, "dev", noop, 500.0)
        log(f"e2e dev: {THROUGHPUT_CLUSTERS} clusters at once, no-op jobs")
        add_throughput(res, "dev", reconcile_throughput(base, procs))
        procs.close()
        base = start_dev(procs, "dev-example", adapters_dir(work, "example"))
        log(f"e2e dev: {E2E_CLUSTERS} clusters at {E2E_RATE:.0f}/s, the example job scripts "
            "with JOB_DURATION=0")
        example = reconcile_latencies(base, E2E_CLUSTERS, procs)
        add_e2e(res, "dev_example_jobs", example, 500.0,
                (percentile(noop, 50), percentile(noop, 99)), "the same with no-op jobs")
    finally:
        procs.close()


def start_chain(procs, db, broker, env):
    """api, outbox, ticker and the three adapters (no-op jobs) as separate processes on database
    `db` and the broker flags `broker`; the API's base URL."""
    _, base = start_api(procs, "e2e-api", db, env=env)
    health = free_port()
    procs.start("e2e-outbox", [BIN, "outbox", "--db", db, "--health-port", str(health),
                               "--metrics-port", str(free_port()), "--log-level", "warn",
                               "--skip-migrations"] + broker, env=env)
    wait_ready(procs, health, "outbox")
    adir = adapters_dir(procs.workdir, "noop")
    for name in CHAIN:
        health = free_port()
        procs.start(f"e2e-adapter-{name}",
                    [BIN, "adapter", "--config", os.path.join(adir, name + ".yaml"),
                     "--api-url", base, "--health-port", str(health), "--metrics-port",
                     str(free_port()), "--log-level", "warn"] + broker, env=env)
        wait_ready(procs, health, f"adapter {name}")
    health = free_port()
    procs.start("e2e-ticker", [BIN, "ticker", "--api-url", base, "--health-port", str(health),
                               "--metrics-port", str(free_port()), "--log-level",
                               "warn"] + broker, env=env)
    wait_ready(procs, health, "ticker")
    return base


class PubSubFloor:
    """The Pub/Sub emulator's own publish → pull latency, sampled while the chain runs: a thread
    holds a pull open on a topic of its own (REST, returnImmediately=false, as our subscriber
    pulls) while another publishes one message every 100 ms carrying its send time."""

    def __init__(self, host, project):
        self.base = f"http://{host}/v1/projects/{project}"
        topic = f"projects/{project}/topics/hf-bench-floor"
        for method, url, body in (("PUT", self.base + "/topics/hf-bench-floor", {}),
                                  ("PUT", self.base + "/subscriptions/hf-bench-floor",
                                   {"topic": topic, "ackDeadlineSeconds": 30})):
            status, _ = http(method, url, body)
            if status not in (200, 409):
                raise BenchError(f"emulator {method} {url}: HTTP {status}")
        self.samples = []
        self.stop = False
        self.threads = [threading.Thread(target=self.pull, daemon=True),
                        threading.Thread(target=self.publish, daemon=True)]
        for t in self.threads:
            t.start()

    def publish(self):
        while not self.stop:
            data = base64.b64encode(repr(time.perf_counter()).encode()).decode()
            http("POST", self.base + "/topics/hf-bench-floor:publish",
                 {"messages": [{"data": data}]})
            time.sleep(0.1)

    def pull(self):
        while not self.stop:
            # Never abandoned by a client timeout: a message handed to an abandoned pull is
            # leased to nobody until its ack deadline (see src/broker/pubsub/pubsub_subscriber).
            _, body = http("POST", self.base + "/subscriptions/hf-bench-floor:pull",
                           {"maxMessages": 10, "returnImmediately": False}, timeout=120)
            now = time.perf_counter()
            received = (body or {}).get("receivedMessages", [])
            for m in received:
                if not self.stop:
                    self.samples.append(
                        (now - float(base64.b64decode(m["message"]["data"]))) * 1000)
            if received:
                http("POST", self.base + "/subscriptions/hf-bench-floor:acknowledge",
                     {"ackIds": [m["ackId"] for m in received]})

    def close(self):
        self.stop = True
        self.threads[1].join()
        http("POST", self.base + "/topics/hf-bench-floor:publish",  # ends the open pull
             {"messages": [{"data": base64.b64encode(b"0").decode()}]})
        self.threads[0].join()
        if not self.samples:
            raise BenchError("the Pub/Sub floor probe received nothing")
        return percentile(self.samples, 50), percentile(self.samples, 99)


def section_e2e_pg(res, args, work):
    emulator = os.environ.get("HF_TEST_PUBSUB_EMULATOR_HOST")
    rabbitmq = os.environ.get("HF_TEST_RABBITMQ_URL")
    if not emulator or not rabbitmq:
        raise BenchError("HF_TEST_PUBSUB_EMULATOR_HOST or HF_TEST_RABBITMQ_URL is not set")
    procs = Processes(work)
    try:
        # RabbitMQ: the production broker, at full speed here.
        base = start_chain(procs, fresh_db("bench_e2e_rabbitmq"),
                           ["--broker", "rabbitmq", "--rabbitmq-url", rabbitmq], {})
        log(f"e2e pg: {E2E_CLUSTERS} clusters at {E2E_RATE:.0f}/s; api, outbox, ticker and three "
            "adapters (no-op jobs) as separate processes on PostgreSQL + RabbitMQ")
        add_e2e(res, "pg_rabbitmq", reconcile_latencies(base, E2E_CLUSTERS, procs), 500.0)
        log(f"e2e pg: {THROUGHPUT_CLUSTERS} clusters at once on PostgreSQL + RabbitMQ")
        add_throughput(res, "pg_rabbitmq", reconcile_throughput(base, procs))
        procs.close()

        # The Pub/Sub emulator: its figure against its own latency times the hops.
        project = "hf-bench-e2e-" + format(random.randrange(36 ** 4), "x")
        env = {"PUBSUB_EMULATOR_HOST": emulator}
        base = start_chain(procs, fresh_db("bench_e2e"),
                           ["--broker", "googlepubsub", "--pubsub-project", project], env)
        log(f"e2e pg: {E2E_CLUSTERS} clusters at {E2E_RATE:.0f}/s on PostgreSQL + the Pub/Sub "
            "emulator, sampling the emulator's own publish → pull latency meanwhile")
        floor = PubSubFloor(emulator, project)
        try:
            lat = reconcile_latencies(base, E2E_CLUSTERS, procs)
        finally:
            floor_p50, floor_p99 = floor.close()
        add_e2e(res, "pg", lat, 1000.0, (floor_p50 * E2E_HOPS, floor_p99 * E2E_HOPS),
                f"the emulator's own publish → pull latency x {E2E_HOPS} hops, same run")
    finally:
        procs.close()


def version_latency_ms(port, timeout=5.0):
    """GET /api/hyperfleet on a fresh connection; the timeout when it does not answer 200."""
    t0 = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"GET /api/hyperfleet HTTP/1.1\r\nHost: localhost\r\nConnection: close"
                      b"\r\n\r\n")
            head = b""
            while b"\r\n" not in head:
                chunk = s.recv(4096)
                if not chunk:
                    break
                head += chunk
        ok = head.startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    return (time.perf_counter() - t0) * 1000 if ok else timeout * 1000


def section_attack(res, args, work):
    """Issue #15's memory attack on the API (PostgreSQL): 250 clusters with specs at the size cap,
    8 clients listing 100 at a time without pause, and waves of 24 clients that ask for lists
    (4 pipelined) and never read. Figures: the API's peak RSS against its RSS before, and the
    p99 of GET /api/hyperfleet during the attack against the same probe idle."""
    import http.client
    procs = Processes(work)
    try:
        db = fresh_db("bench_attack")
        api, base = start_api(procs, "api", db)
        port = int(base.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(250):
            body = json.dumps({"kind": "Cluster", "name": f"big-{i}",
                               "spec": {"region": "eu-west-1", "blob": chr(97 + i % 26) * 61440}})
            conn.request("POST", API + "/clusters", body, {"Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            if r.status != 201:
                raise BenchError(f"create {i}: HTTP {r.status}")
        conn.close()
        idle = [version_latency_ms(port) for _ in range(200)]
        rss_before = vm_mb(api.pid, "VmRSS")
        stop = threading.Event()
        listed = [0, 0]  # 200, other

        def lister():
            while not stop.is_set():
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    while not stop.is_set():
                        c.request("GET", API + "/clusters?size=100")
                        r = c.getresponse()
                        r.read()
                        listed[0 if r.status == 200 else 1] += 1
                except (OSError, http.client.HTTPException):
                    pass
                finally:
                    c.close()

        def non_readers():
            request = f"GET {API}/clusters?size=100 HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
            while not stop.is_set():
                socks = []
                for _ in range(24):
                    try:
                        s = socket.create_connection(("127.0.0.1", port), timeout=5)
                        s.sendall(request * 4)
                        socks.append(s)
                    except OSError:
                        pass
                stop.wait(4)
                for s in socks:
                    s.close()

        threads = [threading.Thread(target=lister) for _ in range(8)]
        threads.append(threading.Thread(target=non_readers))
        for t in threads:
            t.start()
        attacked = []
        deadline = time.time() + max(args.duration, 10)
        while time.time() < deadline:
            attacked.append(version_latency_ms(port))
            time.sleep(0.05)
        peak = vm_mb(api.pid, "VmHWM")
        stop.set()
        for t in threads:
            t.join()
        time.sleep(2)
        rss_after = vm_mb(api.pid, "VmRSS")
        log(f"attack: {listed[0]} lists answered, {listed[1]} refused; {len(attacked)} probes")
        res.add("attack_version_p99_ms", percentile(attacked, 99), "ms", percentile(idle, 99),
                "GET /api/hyperfleet p99 on the idle API before the attack", "lower",
                "goal < 50 ms; a probe that does not answer in 5 s counts as 5000 ms")
        res.add("attack_peak_rss_mb", peak, "MiB", rss_before, "API RSS before the attack",
                "lower", "goal < 256 MiB (VmHWM)")
        res.add("attack_rss_after_mb", rss_after, "MiB", rss_before,
                "API RSS before the attack", "lower", "2 s after the attacking clients left")
    finally:
        procs.close()


SECTIONS = {"api": section_api, "list": section_list, "outbox": section_outbox,
            "e2e_dev": section_e2e_dev, "e2e_pg": section_e2e_pg, "attack": section_attack,
            "fleet": section_fleet}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk / pgbench run")
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    ap.add_argument("--out", default=os.path.join(BENCH, "results", "latest.json"))
    ap.add_argument("--adapters-dir", default=ADAPTERS_SRC,
                    help="example adapters to copy for the end-to-end runs")
    args = ap.parse_args()
    globals()["ADAPTERS_SRC"] = os.path.abspath(args.adapters_dir)
    if args.duration < 1:
        ap.error("--duration must be at least 1")
    only = [s for s in args.only.split(",") if s]
    for s in only:
        if s not in SECTIONS:
            ap.error(f"unknown section '{s}' (known: {', '.join(SECTIONS)})")
    for path in (BIN, OUTBOX_TOOL, PGBENCH, PSQL, WRK):
        if not os.access(path, os.X_OK):
            print(f"bench: missing {path} (run `make bench`, which builds and installs what it "
                  "needs)", file=sys.stderr)
            return 2
    res = Results()
    started = time.time()
    work = tempfile.mkdtemp(prefix="hf-bench-")
    # Run private copies, so a rebuild during the run cannot swap a binary under us.
    for name in ("BIN", "OUTBOX_TOOL"):
        copy = os.path.join(work, os.path.basename(globals()[name]))
        shutil.copy2(globals()[name], copy)
        globals()[name] = copy
    for s in only:
        t0 = time.time()
        sdir = os.path.join(work, s)
        os.makedirs(sdir)
        try:
            SECTIONS[s](res, args, sdir)
        except Exception as e:  # one section failing must not lose the others' figures
            res.errors.append(f"{s}: {e}")
            log(f"{s} FAILED: {e} (logs in {sdir})")
        log(f"{s}: {time.time() - t0:.0f}s")
    out = {"machine": machine(), "figures": res.figures, "started": datetime.now().isoformat(
        timespec="seconds"), "seconds": round(time.time() - started, 1),
        "duration_per_run_s": args.duration, "concurrency": CONCURRENCY,
        "list_concurrency": LIST_CONCURRENCY, "errors": res.errors}
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print()
    m = out["machine"]
    print(f"HyperFleet benchmarks: {m['cores']} cores, {m['memory']}, kernel {m['kernel']}, "
          f"{out['seconds']:.0f}s")
    print("ratio = value / baseline; ↑ higher is better, ↓ lower is better\n")
    print(res.table())
    print(f"\nwritten: {os.path.relpath(args.out)}")
    if res.errors:
        print("\nFAILED sections:\n  " + "\n  ".join(res.errors))
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
