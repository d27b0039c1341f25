#!/usr/bin/env python3
"""Figures per server and topology (issue 9): the integration tests' server matrix
(tests/integration/servers.py: prosody, ejabberd, federation, mixed), one pair of headless
clients with the plugin per topology, each client behind the recording proxy, keys pinned
(x509, TLS 1.3):

  time to private   "/xtls start" until the initiator reports PRIVATE, median of --starts
                    (each session is stopped before the next)
  round trip        alice -> bob -> alice, bob answering as soon as he has the message,
                    plaintext and through the tunnel, median of 9 each; ratio = enc / plain
  large message     one 200 000-byte message alice -> bob (the plugin's body limit is
                    256 KiB), then, where bob's server is a different software, bob -> alice;
                    seconds until it is received, or how the session ended instead

Prints a table; asserts nothing. Run it isolated (as root: its own network namespace):
    tests/isolated.sh python3 bench/servers.py --build build [--topology ejabberd ...]
    XTLS_IBB_WINDOW=8 tests/isolated.sh python3 bench/servers.py ...   (another IBB window)
"""

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from harness import Client, HarnessError, kill_all_children  # noqa: E402
from servers import Topology, Unavailable  # noqa: E402
from wireproxy import WireProxy  # noqa: E402

LARGE = 200000
PINGS = 9


class Run:
    """What harness.Client expects of a run."""

    def __init__(self, build, workdir):
        self.client_exe = os.path.join(build, "tests", "integration", "xtls-client")
        self.plugin_dir = os.path.join(build, "plugin", "purple")
        self.debug = False
        self.max_lifetime = 900
        self.dir = workdir
        self.scenario_deadline = None
        self.t0 = time.monotonic()


def state_rx(state):
    return rf"^SIGNAL state \S+ {state}\b"


def bench_topology(name, build, starts):
    work = tempfile.mkdtemp(prefix=f"xtls-bench-{name}-")
    run = Run(build, work)
    topo = Topology.create(name, work)
    fig = {"topology": name}
    clients, proxies = [], []
    try:
        try:
            topo.start()
        except Unavailable as e:
            fig["skip"] = str(e)
            return fig
        fig["servers"] = topo.describe()
        fig["up"] = topo.started_in
        topo.make_pair("alice", "apw", "bob", "bpw")
        for who, user, res, pw, srv in (("alice", "alice", "lap", "apw", topo.alice_server),
                                        ("bob", "bob", "phone", "bpw", topo.bob_server)):
            p = WireProxy(who, srv.port, work, target_host=srv.address).start()
            proxies.append(p)
            c = Client(run, who, f"{user}@{srv.domain}/{res}", pw, p, os.path.join(work, who))
            clients.append(c.start())
        alice, bob = clients
        for c in clients:
            c.wait_for(r"^READY$", 30, since=0)
        alice.wait_for(rf"^PRESENCE {re.escape(bob.bare)}/\S+ available$", 30, since=0)
        bob.wait_for(rf"^PRESENCE {re.escape(alice.bare)}/\S+ available$", 30, since=0)
        fa, fb = alice.ipc("get-fingerprint"), bob.ipc("get-fingerprint")
        alice.ipc("trust", bob.bare, fb)
        bob.ipc("trust", alice.bare, fa)
        time.sleep(0.5)  # caps

        def echo(tag):
            t0 = time.monotonic()
            alice.im(bob.bare, f"{tag}-ping")
            bob.wait_for(rf"^RECV \S+ \d+ \S*{tag}-ping", 30)
            bob.im(alice.bare, f"{tag}-pong")
            alice.wait_for(rf"^RECV \S+ \d+ \S*{tag}-pong", 30)
            return alice.times[alice.cursor - 1] - t0

        fig["plain"] = statistics.median(echo(f"p{i}") for i in range(PINGS))
        privs = []
        for i in range(starts):
            t0 = time.monotonic()
            alice.cmd(bob.bare, "xtls start")
            alice.wait_for(state_rx(3), 30)
            privs.append(alice.times[alice.cursor - 1] - t0)
            bob.wait_for(state_rx(3), 30)
            if i < starts - 1:
                alice.cmd(bob.bare, "xtls stop")
                alice.wait_for(state_rx(4), 15)
                bob.wait_for(state_rx(4), 15)
        fig["private"] = statistics.median(privs)
        fig["enc"] = statistics.median(echo(f"e{i}") for i in range(PINGS))
        directions = [(alice, bob)]
        if topo.alice_server.kind != topo.bob_server.kind:
            directions.append((bob, alice))
        fig["large"] = []
        for n, (snd, rcv) in enumerate(directions):
            fig["large"].append((f"{snd.name}->{rcv.name}", large(snd, rcv, n)))
    except HarnessError as e:
        fig["error"] = str(e).splitlines()[0][:300]
    finally:
        for c in clients:
            c.stop()
        for p in proxies:
            p.stop()
        topo.stop()
        shutil.rmtree(work, ignore_errors=True)
    return fig


def large(snd, rcv, n, limit=300.0):
    rnd = random.Random(n)
    tail = f"-end{n}"
    body = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                   for _ in range(LARGE - len(tail))) + tail
    ms, mr = snd.mark(), rcv.mark()
    t0 = time.monotonic()
    snd.im(rcv.bare, body)
    while time.monotonic() - t0 < limit:
        if rcv.find(rf"^RECV .*{re.escape(tail)}", mr):
            return f"{rcv.times[rcv.mark() - 1] - t0:.2f} s"
        for c in (snd, rcv):
            ends = c.find(r"^SIGNAL state \S+ [45] (.*)$", ms if c is snd else mr)
            if ends:
                return (f"FAILED after {time.monotonic() - t0:.1f} s: "
                        f"{ends[0][1].group(1)}")
        time.sleep(0.05)
    return f"not received within {limit:.0f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build", help="meson build dir")
    ap.add_argument("--topology", action="append", choices=Topology.NAMES,
                    help="repeatable; default: all")
    ap.add_argument("--starts", type=int, default=5)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    window = os.environ.get("XTLS_IBB_WINDOW", "default (16)")
    print(f"# pidgin-xtls server matrix, pinned keys, IBB window {window}")
    figs = []
    try:
        for name in args.topology or Topology.NAMES:
            fig = bench_topology(name, build, args.starts)
            figs.append(fig)
            print(f"# {name}: {fig.get('servers', fig.get('skip', ''))}", flush=True)
    finally:
        kill_all_children()
    print()
    print("| topology | time to private | round trip plain | encrypted | ratio | "
          "200 KB message |")
    print("|---|---|---|---|---|---|")
    for f in figs:
        if "skip" in f:
            print(f"| {f['topology']} | skipped: {f['skip']} | | | | |")
            continue
        if "private" not in f or "enc" not in f:
            print(f"| {f['topology']} | error: {f.get('error')} | | | | |")
            continue
        big = "; ".join(f"{d}: {t}" for d, t in f.get("large", [])) or f.get("error", "")
        print(f"| {f['topology']} | {f['private'] * 1000:.0f} ms | {f['plain'] * 1000:.1f} ms "
              f"| {f['enc'] * 1000:.1f} ms | {f['enc'] / f['plain']:.2f} | {big} |")


if __name__ == "__main__":
    main()
