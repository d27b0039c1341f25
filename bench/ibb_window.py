#!/usr/bin/env python3
"""IBB window benchmark: how fast a large message crosses a real Prosody through the XTLS
tunnel, for each IBB window (unacknowledged data IQs in flight), on plain loopback and with a
simulated one-way latency added by the recording proxy in front of each client.

It prints figures; it asserts nothing (timings belong in benchmarks, not tests).

    bench/run.sh --ibb-window          (builds, then runs this in a loopback-only namespace)
    python3 bench/ibb_window.py --client build/tests/integration/xtls-client \\
        --plugin-dir build/plugin/purple [--size 262144] [--windows 1,2,4,8,16,32]
        [--delays 0,25] [--repeat 3]
"""

import argparse
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from harness import Client  # noqa: E402
from prosody import DOMAIN, Prosody  # noqa: E402
from wireproxy import WireProxy  # noqa: E402


class BenchRun:
    def __init__(self, args, workdir):
        self.client_exe = os.path.abspath(args.client)
        self.plugin_dir = os.path.abspath(args.plugin_dir)
        self.debug = False
        self.max_lifetime = 900
        self.dir = workdir
        self.scenario_deadline = None
        self.t0 = time.monotonic()


def measure(run, prosody, index, window, delay, size, repeat):
    """Seconds for @size bytes of message text alice -> bob, @repeat times."""
    os.environ["XTLS_IBB_WINDOW"] = str(window)
    a_user, b_user = f"a{index}", f"b{index}"
    for u in (a_user, b_user):
        prosody.register(u, "pw")
    prosody.make_friends(a_user, b_user)
    clients, proxies = [], []
    try:
        for user, res in ((a_user, "lap"), (b_user, "phone")):
            proxy = WireProxy(f"{user}", prosody.port, run.dir, delay=delay / 1000.0).start()
            proxies.append(proxy)
            c = Client(run, user, f"{user}@{DOMAIN}/{res}", "pw", proxy,
                       os.path.join(run.dir, user))
            clients.append(c.start())
        alice, bob = clients
        for c in clients:
            c.wait_for(r"^READY$", 30, since=0)
        alice.wait_for(rf"^PRESENCE {re.escape(bob.bare)}/\S+ available$", 30, since=0)
        bob.wait_for(rf"^PRESENCE {re.escape(alice.bare)}/\S+ available$", 30, since=0)
        # Keys verified beforehand, so no dialog and x509 (TLS 1.3).
        fa = alice.ipc("get-fingerprint")
        fb = bob.ipc("get-fingerprint")
        alice.ipc("trust", bob.bare, fb)
        bob.ipc("trust", alice.bare, fa)
        time.sleep(0.5 + 4 * delay / 1000.0)  # caps
        alice.cmd(bob.bare, "xtls start")
        for c in clients:
            c.wait_for(r"^SIGNAL state \S+ 3\b", 30)
        times = []
        for i in range(repeat):
            text = f"m{i}-" + "x" * size
            t0 = time.monotonic()
            alice.im(bob.bare, text)
            bob.wait_for(rf"^RECV \S+ \d+ \S*m{i}-x", 120)
            times.append(time.monotonic() - t0)
        return times
    finally:
        for c in clients:
            c.stop()
        for p in proxies:
            p.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--client", required=True)
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("--size", type=int, default=256 * 1024)
    ap.add_argument("--windows", default="1,2,4,8,16,32")
    ap.add_argument("--delays", default="0,25", help="one-way delays to add, in ms")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="xtls-bench-")
    prosody = Prosody(os.path.join(workdir, "prosody"))
    run = BenchRun(args, workdir)
    index = 0
    try:
        prosody.start()
        print(f"# IBB window benchmark: {args.size} bytes of message text per transfer, "
              f"median of {args.repeat}, block-size 4096, x509/TLS 1.3, real Prosody on loopback")
        print(f"{'one-way delay':>14} {'window':>7} {'median s':>9} {'KiB/s':>9}")
        for delay in (float(d) for d in args.delays.split(",")):
            for window in (int(w) for w in args.windows.split(",")):
                index += 1
                times = measure(run, prosody, index, window, delay, args.size, args.repeat)
                med = statistics.median(times)
                print(f"{delay:>11.0f} ms {window:>7} {med:>9.3f} {args.size / 1024 / med:>9.1f}",
                      flush=True)
    finally:
        prosody.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
