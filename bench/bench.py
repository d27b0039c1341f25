#!/usr/bin/env python3
"""The whole-picture benchmark (issue 8): two headless libpurple clients with the plugin, a
real Prosody on loopback, and the delay proxy of the integration tests in front of each
client (the delay is added per chunk and direction, so one peer round trip crosses it 4x).

Per run (one fresh pair of clients per run and window):
  peer RTT       plaintext message alice -> bob -> alice (the harness echoes on RECV)
  time to private  "/xtls start" until the initiator reports PRIVATE (keys pinned: x509,
                 TLS 1.3), in ms and in peer round trips
  encrypted RTT  the same echo through the tunnel; ratio = encrypted / plaintext
  throughput     bursts of 10 B, 1 KB and 64 KB messages, and 1 MB as 8 messages of 128 KiB
                 (a body is at most 256 KiB), from the first message sent to the last received;
                 the 1 MB again with PURPLE_MESSAGE_NO_LINKIFY (libpurple's own display work
                 on a sent message, ~10 ms per 128 KiB, left out: the tunnel's throughput),
                 and once as plaintext messages before the session (libpurple alone)
  window 1       2 x 128 KiB with XTLS_IBB_WINDOW=1 (a second pair) against the default window
  raw IBB        the same server and proxies, no plugin and no TLS: 4096-byte IBB-style
                 <data/> IQs, each answered by a result, window 16 (the tunnel's default)
Runs are interleaved (repetition, then delay, then variant) and medians are printed. It
prints figures and asserts nothing.

    bench/run.sh                          (builds, then runs this isolated on loopback)
    python3 bench/bench.py --variant after=build [--variant before=/tmp/before]
        [--delays 0,20] [--runs 5] [--out-prefix /tmp/bench-]
A variant is LABEL=DIR with DIR holding xtls-client and pidgin-xtls.so, or a meson build dir.
"""

import argparse
import base64
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

from harness import Client, kill_all_children  # noqa: E402
from prosody import DOMAIN, Prosody  # noqa: E402
from wireproxy import WireProxy  # noqa: E402

# (bytes per message, label, messages sent back to back). A message body is at most 256 KiB
# (XTLS_MAX_BODY_BYTES, README "Limits"), so 1 MB travels as 8 messages of 128 KiB.
SIZES = [(10, "10 B", 40), (1024, "1 KB", 40), (64 * 1024, "64 KB", 4),
         (128 * 1024, "1 MB", 8)]
WINDOW_BYTES = 128 * 1024  # x2 messages
RAW_BYTES = 1024 * 1024
RAW_BLOCK = 4096
PINGS = 9


class Variant:
    def __init__(self, spec):
        label, _, path = spec.partition("=")
        if not path:
            label, path = os.path.basename(os.path.normpath(spec)), spec
        self.label = label
        path = os.path.abspath(path)
        if os.path.exists(os.path.join(path, "xtls-client")):
            self.client, self.plugin_dir = os.path.join(path, "xtls-client"), path
        else:
            self.client = os.path.join(path, "tests", "integration", "xtls-client")
            self.plugin_dir = os.path.join(path, "plugin", "purple")


class Run:
    """What harness.Client expects of a scenario run."""

    def __init__(self, variant, workdir):
        self.client_exe = variant.client
        self.plugin_dir = variant.plugin_dir
        self.debug = False
        self.max_lifetime = 900
        self.dir = workdir
        self.scenario_deadline = None
        self.t0 = time.monotonic()


class Pair:
    """alice and bob, each behind its own delay proxy, signed on and seeing each other."""

    def __init__(self, prosody, run, index, delay_ms, window=0, plugin=True):
        self.prosody, self.run, self.delay = prosody, run, delay_ms / 1000.0
        self.users = (f"a{index}", f"b{index}")
        self.window, self.plugin = window, plugin
        self.clients, self.proxies = [], []

    def __enter__(self):
        for u in self.users:
            self.prosody.register(u, "pw")
        self.prosody.make_friends(*self.users)
        if self.window:
            os.environ["XTLS_IBB_WINDOW"] = str(self.window)
        else:
            os.environ.pop("XTLS_IBB_WINDOW", None)
        for user, res in zip(self.users, ("lap", "phone")):
            proxy = WireProxy(user, self.prosody.port, self.run.dir, delay=self.delay).start()
            self.proxies.append(proxy)
            c = Client(self.run, user, f"{user}@{DOMAIN}/{res}", "pw", proxy,
                       os.path.join(self.run.dir, user), plugin=self.plugin)
            self.clients.append(c.start())
        self.alice, self.bob = self.clients
        for c in self.clients:
            c.wait_for(r"^READY$", 30, since=0)
        self.alice.wait_for(rf"^PRESENCE {re.escape(self.bob.bare)}/\S+ available$", 30, since=0)
        self.bob.wait_for(rf"^PRESENCE {re.escape(self.alice.bare)}/\S+ available$", 30, since=0)
        return self

    def __exit__(self, *exc):
        for c in self.clients:
            c.stop()
        for p in self.proxies:
            p.stop()

    def pin_keys(self):
        fa, fb = self.alice.ipc("get-fingerprint"), self.bob.ipc("get-fingerprint")
        self.alice.ipc("trust", self.bob.bare, fb)
        self.bob.ipc("trust", self.alice.bare, fa)
        time.sleep(0.5 + 4 * self.delay)  # caps

    def go_private(self):
        """Seconds from "/xtls start" to PRIVATE at the initiator."""
        t0 = time.monotonic()
        self.alice.cmd(self.bob.bare, "xtls start")
        self.alice.wait_for(r"^SIGNAL state \S+ 3\b", 30)
        t1 = self.alice.times[self.alice.cursor - 1]
        self.bob.wait_for(r"^SIGNAL state \S+ 3\b", 30)
        return t1 - t0

    def echo(self, tag):
        """Seconds for alice -> bob -> alice, bob answering as soon as it has the message."""
        t0 = time.monotonic()
        self.alice.im(self.bob.bare, f"{tag}-ping")
        self.bob.wait_for(rf"^RECV \S+ \d+ \S*{tag}-ping", 30)
        self.bob.im(self.alice.bare, f"{tag}-pong")
        self.alice.wait_for(rf"^RECV \S+ \d+ \S*{tag}-pong", 30)
        return self.alice.times[self.alice.cursor - 1] - t0

    def transfer(self, tag, size, count, verb="im"):
        """Seconds from the first im until bob has received @count messages of @size.
        @verb "im-nolink" sends with PURPLE_MESSAGE_NO_LINKIFY (see one_run)."""
        pad = "x" * max(0, size - len(tag) - 6)
        t0 = time.monotonic()
        for i in range(count):
            text = (f"{tag}-{i:04d}-{pad}"[:size] if size > 20 else
                    f"{tag}{i:03d}"[:max(size, 1)])
            self.alice.send(f"{verb} {self.bob.bare} {text}")
        for i in range(count):
            self.bob.wait_for(r"^RECV ", 120)
        return self.bob.times[self.bob.cursor - 1] - t0


# ---- raw IBB baseline: a minimal XMPP client, no TLS, no plugin ---------------------------

class RawXmpp:
    """Plain-TCP c2s client: SASL PLAIN, bind, then stanzas as ElementTree elements."""

    def __init__(self, port, user, resource):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.jid = f"{user}@{DOMAIN}/{resource}"
        self._open()
        self._next_features()
        token = base64.b64encode(f"\0{user}\0pw".encode()).decode()
        self.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>"
                  f"{token}</auth>")
        if not self.next().tag.endswith("success"):
            raise RuntimeError("raw client: SASL failed")
        self._open()
        self._next_features()
        self.send(f"<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                  f"<resource>{resource}</resource></bind></iq>")
        self.next()
        self.send("<presence/>")

    def _open(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.ready = []
        self.send(f"<?xml version='1.0'?><stream:stream to='{DOMAIN}' version='1.0' "
                  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>")

    def _next_features(self):
        while not self.next().tag.endswith("features"):
            pass

    def send(self, text):
        self.sock.sendall(text.encode())

    def next(self):
        while not self.ready:
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError("raw client: connection closed")
            self.parser.feed(data)
            for event, elem in self.parser.read_events():
                if event == "start":
                    self.depth += 1
                else:
                    self.depth -= 1
                    if self.depth == 1:
                        self.ready.append(elem)
        return self.ready.pop(0)

    def close(self):
        try:
            self.send("</stream:stream>")
            self.sock.close()
        except OSError:
            pass


def raw_ibb(prosody, run, index, delay_ms, window, total):
    """Seconds for @total bytes as 4096-byte IBB <data/> IQs alice -> bob, @window in flight."""
    users = (f"r{index}a", f"r{index}b")
    for u in users:
        prosody.register(u, "pw")
    proxies = [WireProxy(u, prosody.port, run.dir, delay=delay_ms / 1000.0).start()
               for u in users]
    try:
        alice = RawXmpp(proxies[0].port, users[0], "lap")
        bob = RawXmpp(proxies[1].port, users[1], "phone")
        blocks = total // RAW_BLOCK
        chunk = base64.b64encode(os.urandom(RAW_BLOCK)).decode()

        def answer():
            for _ in range(blocks):
                iq = bob.next()
                while not iq.tag.endswith("iq") or iq.get("type") != "set":
                    iq = bob.next()
                bob.send(f"<iq type='result' to='{iq.get('from')}' id='{iq.get('id')}'/>")

        responder = threading.Thread(target=answer, daemon=True)
        responder.start()
        time.sleep(0.1 + 4 * delay_ms / 1000.0)  # both bound and present
        t0 = time.monotonic()
        sent = acked = 0
        while acked < blocks:
            while sent < blocks and sent - acked < window:
                alice.send(f"<iq type='set' to='{bob.jid}' id='d{sent}'>"
                           f"<data xmlns='http://jabber.org/protocol/ibb' sid='s' seq='{sent}'>"
                           f"{chunk}</data></iq>")
                sent += 1
            reply = alice.next()
            if reply.tag.endswith("iq") and reply.get("type") == "result":
                acked += 1
            elif reply.tag.endswith("iq") and reply.get("type") == "error":
                raise RuntimeError("raw IBB: error reply")
        elapsed = time.monotonic() - t0
        responder.join(5)
        alice.close()
        bob.close()
        return elapsed
    finally:
        for p in proxies:
            p.stop()


# ---- memory per idle session (core only) --------------------------------------------------

def idle_memory(build_dir, sessions):
    """Runs bench/idle-memory.c, compiled against the core of @build_dir; bytes per session."""
    src = os.path.join(HERE, "idle-memory.c")
    exe = os.path.join(tempfile.gettempdir(), "xtls-bench-idle-memory")
    core = os.path.join(build_dir, "plugin", "core", "libxtls-core.a")
    support = os.path.join(build_dir, "tests", "support", "libxtls-test-support.a")
    if not (os.path.exists(src) and os.path.exists(core) and os.path.exists(support)):
        return None
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "glib-2.0", "gio-2.0",
                            "gnutls", "libxml-2.0"], capture_output=True, text=True,
                           check=True).stdout.split()
    subprocess.run(["cc", "-std=gnu11", "-O2", "-o", exe, src,
                    "-I", os.path.join(ROOT, "plugin", "core"),
                    "-I", os.path.join(ROOT, "tests", "support"),
                    "-I", os.path.join(build_dir, "plugin", "core"),
                    support, core] + flags, check=True)
    out = subprocess.run([exe, str(sessions)], capture_output=True, text=True, check=True,
                         env=dict(os.environ, G_SLICE="always-malloc")).stdout
    m = re.search(r"bytes_per_session (\d+)", out)
    return int(m.group(1)) if m else None


# ---- driver -------------------------------------------------------------------------------

def one_run(prosody, variant, workdir, index, delay, fig):
    run = Run(variant, workdir)
    with Pair(prosody, run, index, delay) as p:
        p.pin_keys()
        plain = statistics.median(p.echo(f"p{i}") for i in range(PINGS))
        # The same 1 MB as plaintext messages (no tunnel): what libpurple itself costs.
        secs = p.transfer("plain", 128 * 1024, 8)
        fig.setdefault("plain 1 MB", []).append(128 * 1024 * 8 / secs)
        ttp = p.go_private()
        enc = statistics.median(p.echo(f"e{i}") for i in range(PINGS))
        fig.setdefault("plain", []).append(plain)
        fig.setdefault("ttp", []).append(ttp)
        fig.setdefault("ttp_rt", []).append(ttp / plain)
        fig.setdefault("enc", []).append(enc)
        fig.setdefault("ratio", []).append(enc / plain)
        for size, label, count in SIZES:
            secs = p.transfer(f"t{size}", size, count)
            fig.setdefault(f"tput {label}", []).append(size * count / secs)
        # libpurple turns every sent message into links for its own display before any plugin
        # sees it (purple_markup_linkify, ~10 ms per 128 KiB on this machine, the same with or
        # without XTLS). Sent with PURPLE_MESSAGE_NO_LINKIFY, the 1 MB measures the tunnel.
        secs = p.transfer("nolink", 128 * 1024, 8, verb="im-nolink")
        fig.setdefault("tput 1 MB nolink", []).append(128 * 1024 * 8 / secs)
        secs = p.transfer("wdef", WINDOW_BYTES, 2)
        fig.setdefault("win default", []).append(2 * WINDOW_BYTES / secs)
    with Pair(prosody, run, f"{index}w", delay, window=1) as p:
        p.pin_keys()
        p.go_private()
        secs = p.transfer("w1", WINDOW_BYTES, 2)
        fig.setdefault("win 1", []).append(2 * WINDOW_BYTES / secs)
    raw = raw_ibb(prosody, run, index, delay, 16, RAW_BYTES)
    fig.setdefault("raw", []).append(RAW_BYTES / raw)
    fig.setdefault("tunnel/raw", []).append(fig["tput 1 MB nolink"][-1] / (RAW_BYTES / raw))
    fig.setdefault("linkified/raw", []).append(fig["tput 1 MB"][-1] / (RAW_BYTES / raw))


def report(variant, figs, delays, runs, mem, out):
    med = lambda d, k: statistics.median(figs[d][k])  # noqa: E731
    kib = lambda d, k: f"{med(d, k) / 1024:.0f} KiB/s"  # noqa: E731
    cols = [f"{d:.0f} ms one-way delay" for d in delays]
    rows = [
        ("peer round trip (plaintext echo)", lambda d: f"{med(d, 'plain') * 1000:.1f} ms"),
        ("time to private, pinned x509",
         lambda d: f"{med(d, 'ttp') * 1000:.0f} ms = {med(d, 'ttp_rt'):.2f} RT"),
        ("encrypted / plaintext round trip",
         lambda d: f"{med(d, 'ratio'):.2f}x ({med(d, 'enc') * 1000:.1f} ms)"),
    ]
    rows += [(f"throughput, {label} messages" if label != "1 MB" else
              "throughput, 1 MB (8 messages of 128 KiB)", lambda d, lb=label: kib(d, f"tput {lb}"))
             for _s, label, _c in SIZES]
    rows += [
        ("256 KiB (2 messages), window 16 / window 1",
         lambda d: f"{med(d, 'win default') / med(d, 'win 1'):.1f}x "
                   f"({kib(d, 'win default')} vs {kib(d, 'win 1')})"),
        ("1 MB as plaintext messages (no tunnel, 8 stanzas)", lambda d: kib(d, "plain 1 MB")),
        ("raw IBB baseline, 4096-byte IQs, window 16", lambda d: kib(d, "raw")),
        ("tunnel: 1 MB sent without linkify", lambda d: kib(d, "tput 1 MB nolink")),
        ("tunnel 1 MB (no linkify) / raw IBB (goal >= 0.8x)",
         lambda d: f"{med(d, 'tunnel/raw'):.2f}x"),
        ("1 MB as Pidgin sends it (linkified) / raw IBB",
         lambda d: f"{med(d, 'linkified/raw'):.2f}x"),
    ]
    lines = [f"# {variant.label}: median of {runs} interleaved runs, real Prosody on loopback, "
             f"delay proxy per client, block-size 4096, x509/TLS 1.3",
             f"| | {' | '.join(cols)} |", "|---|" + "---|" * len(cols)]
    for name, fn in rows:
        lines.append(f"| {name} | {' | '.join(fn(d) for d in delays)} |")
    if mem is not None:
        lines.append(f"memory per idle session (core only, 200 sessions): {mem / 1024:.0f} KiB")
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    if out:
        with open(out, "w") as f:
            f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", action="append", help="LABEL=DIR (repeatable)")
    ap.add_argument("--delays", default="0,20", help="one-way delays to add, in ms")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=200)
    ap.add_argument("--memory-build", default=os.path.join(ROOT, "build"),
                    help="meson build dir whose core the memory figure uses")
    ap.add_argument("--out-prefix", help="also write PREFIX<label>.txt per variant")
    args = ap.parse_args()
    variants = [Variant(v) for v in (args.variant or [f"build={os.path.join(ROOT, 'build')}"])]
    delays = [float(d) for d in args.delays.split(",")]

    workdir = tempfile.mkdtemp(prefix="xtls-bench-")
    prosody = Prosody(os.path.join(workdir, "prosody"))
    figs = {v.label: {d: {} for d in delays} for v in variants}
    index = 0
    started = time.monotonic()
    try:
        prosody.start()
        for rep in range(args.runs):
            for delay in delays:
                for v in variants:
                    index += 1
                    one_run(prosody, v, workdir, index, delay, figs[v.label][delay])
            print(f"# run {rep + 1}/{args.runs} done after {time.monotonic() - started:.0f} s",
                  file=sys.stderr, flush=True)
        mem = idle_memory(os.path.abspath(args.memory_build), args.sessions)
        for v in variants:
            report(v, figs[v.label], delays, args.runs, mem,
                   f"{args.out_prefix}{v.label}.txt" if args.out_prefix else None)
    finally:
        prosody.stop()
        kill_all_children()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
