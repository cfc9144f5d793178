#!/usr/bin/env python3
"""Helpers of scripts/sizing (run with the test environment's Python, see that script).

  sizing-probe.py logins --domain D --port P --prefix NAME --users N --password PW
                         --concurrency C [--spread SECONDS] [--token-file FILE]
      N logins through nginx over TLS (accounts NAME1..NAMEN), C at a time, or one every
      SECONDS/N seconds with --spread; prints the latencies. --token-file keeps the first
      session's token (for `maille loadtest ... --token`).

  sizing-probe.py sample --procs FILE --memory-usage FILE --out JSON [--interval SECONDS]
      Every second (or SECONDS) until SIGTERM, for the processes listed in the cgroup's FILE: each program's
      proportional memory (PSS, summed over its processes) and CPU time; and the group's whole
      memory use (FILE, in bytes). Writes the peaks and the CPU used to JSON.

  sizing-probe.py report JSON
      Prints that as a table.
"""

import argparse
import collections
import json
import signal
import socket
import ssl
import statistics
import sys
import threading
import time
import http.client

TICK = 1.0
CLOCK = 100  # USER_HZ


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = (len(values) - 1) * p / 100
    low, high = int(k), min(int(k) + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (k - low)


def login_once(domain, port, name, password):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    began = time.perf_counter()
    conn = http.client.HTTPSConnection(domain, port, context=context, timeout=60)
    conn.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60),
                                    server_hostname=domain)
    body = json.dumps({"login": name, "password": password})
    conn.request("POST", "/api/session", body=body, headers={
        "Content-Type": "application/json", "Origin": f"https://{domain}:{port}"})
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - began
    token = None
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("__Host-maille_session="):
            token = value.split(";", 1)[0].split("=", 1)[1]
    conn.close()
    return response.status, elapsed, token


def logins(args):
    results, lock = [], threading.Lock()
    names = [f"{args.prefix}{n}" for n in range(1, args.users + 1)]
    queue = list(names)

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                name = queue.pop(0)
            status, elapsed, token = login_once(args.domain, args.port, name, args.password)
            with lock:
                results.append((name, status, elapsed, token))

    began = time.perf_counter()
    if args.spread:
        threads = []
        for n, name in enumerate(names):
            time.sleep(max(0.0, began + n * args.spread / len(names) - time.perf_counter()))
            thread = threading.Thread(target=lambda name=name: results.append(
                (name, *login_once(args.domain, args.port, name, args.password))))
            thread.start()
            threads.append(thread)
    else:
        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - began
    failed = [r for r in results if r[1] != 200]
    latencies = [r[2] * 1000 for r in results if r[1] == 200]
    how = f"spread over {args.spread:g} s" if args.spread else f"{args.concurrency} at a time"
    print(f"logins: {len(results)} ({how}) in {took:.1f} s, {len(failed)} failed")
    if latencies:
        print(f"  latency ms: median {statistics.median(latencies):.0f}, "
              f"p95 {percentile(latencies, 95):.0f}, max {max(latencies):.0f}")
    if args.token_file:
        token = next((r[3] for r in sorted(results) if r[3]), None)
        if token:
            with open(args.token_file, "w") as f:
                f.write(token)
    if failed:
        print(f"  failures: {[(r[0], r[1]) for r in failed][:5]}", file=sys.stderr)
        sys.exit(1)


def program_of(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip().split()[0].split(":")[0]


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime, stime, cutime, cstime (fields 14-17): children reaped by the process count too.
    return sum(int(x) for x in fields[11:15])


def pss_kib(pid):
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    return 0


def sample(args):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    peak_pss = collections.Counter()
    peak_total_pss = 0
    peak_group = 0
    first_cpu, last_cpu = {}, {}
    samples = 0
    began = time.monotonic()
    while True:
        with open(args.procs) as f:
            pids = [int(line) for line in f if line.strip()]
        now = collections.Counter()
        for pid in pids:
            try:
                name = program_of(pid)
                now[name] += pss_kib(pid)
                ticks = cpu_ticks(pid)
                first_cpu.setdefault(pid, (name, ticks))
                last_cpu[pid] = (name, ticks)
            except OSError:
                pass
        for name, kib in now.items():
            peak_pss[name] = max(peak_pss[name], kib)
        peak_total_pss = max(peak_total_pss, sum(now.values()))
        try:
            with open(args.memory_usage) as f:
                peak_group = max(peak_group, int(f.read()))
        except (OSError, ValueError):
            pass
        samples += 1
        if stop.wait(args.interval):
            break
    seconds = time.monotonic() - began
    cpu = collections.Counter()
    for pid, (name, ticks) in last_cpu.items():
        cpu[name] += ticks - first_cpu[pid][1]
    with open(args.out, "w") as f:
        json.dump({
            "seconds": seconds,
            "samples": samples,
            "peak_pss_mb": {k: v / 1024 for k, v in peak_pss.items()},
            "peak_total_pss_mb": peak_total_pss / 1024,
            "peak_group_mb": peak_group / 1024 / 1024,
            "cpu_seconds": {k: v / CLOCK for k, v in cpu.items()},
        }, f, indent=1)


def report(args):
    with open(args.json) as f:
        data = json.load(f)
    seconds = data["seconds"]
    print(f"over {seconds:.0f} s ({data['samples']} samples):")
    print(f"  {'program':<12} {'peak memory (PSS)':>18} {'CPU time':>10} {'of one core':>12}")
    for name, mb in sorted(data["peak_pss_mb"].items(), key=lambda kv: -kv[1]):
        cpu = data["cpu_seconds"].get(name, 0.0)
        print(f"  {name:<12} {mb:15.1f} MB {cpu:9.1f}s {100 * cpu / seconds:11.0f}%")
    total_cpu = sum(data["cpu_seconds"].values())
    print(f"  {'together':<12} {data['peak_total_pss_mb']:15.1f} MB {total_cpu:9.1f}s "
          f"{100 * total_cpu / seconds:11.0f}%")
    print(f"  the whole group's peak memory, page cache included: {data['peak_group_mb']:.0f} MB")


def main():
    parser = argparse.ArgumentParser(description="helpers of scripts/sizing")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("logins")
    p.add_argument("--domain", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--users", type=int, required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--concurrency", type=int, default=10)
    p.add_argument("--spread", type=float, default=0.0)
    p.add_argument("--token-file")
    p = sub.add_parser("sample")
    p.add_argument("--procs", required=True)
    p.add_argument("--memory-usage", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--interval", type=float, default=TICK)
    p = sub.add_parser("report")
    p.add_argument("json")
    args = parser.parse_args()
    {"logins": logins, "sample": sample, "report": report}[args.command](args)


if __name__ == "__main__":
    main()
