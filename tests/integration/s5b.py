"""Encrypted file transfer over SOCKS5 bytestreams (XEP-0260 over XEP-0065; issue 11) between
two real libpurple clients, through a Prosody of its own with mod_proxy65 on loopback:

  s5b-direct   both clients listen (127.0.0.1 inside the test's network namespace): the file
               goes over a direct connection between the clients; no IBB data for it
  s5b-proxy    no direct candidates (XTLS_S5B_DIRECT=0): the server's proxy, found through
               disco, is activated and relays the file
  s5b-blocked  no direct candidates and no proxy (XTLS_S5B_PROXY=0 too): both sides report
               candidate-error and the transfer falls back to IBB (transport-replace)

Each: a 1 MiB random file, byte-identical, nothing of it in clear on either client's server
connection. The file is sent with the client's "sendfile" in a private conversation, which
needs the PurpleXfer glue (plugin/purple/xfer.c); without it the scenarios SKIP.

The driver (test_integration.py) hands its helpers over with scenarios(driver).
"""

import base64
import contextlib
import hashlib
import os
import re
import time

from prosody import Prosody, free_port

D = None  # the driver module, set by scenarios()

S5B_NS = b"urn:xmpp:jingle:transports:s5b:1"
FT5_NS = b"urn:xmpp:jingle:apps:file-transfer:5"
SI_RX = re.compile(rb"<si\b[^>]*http://jabber\.org/protocol/si")
SIZE = 1024 * 1024


class SoloTopology:
    """One Prosody with mod_proxy65 standing in for the run's topology during a scenario (what
    make_pair and Scenario.proxy ask of a topology)."""

    name = "prosody+proxy65"

    def __init__(self, server):
        self.alice_server = self.bob_server = server
        self.servers = [server]

    def make_pair(self, a_user, a_pw, b_user, b_pw):
        s = self.alice_server
        s.register(a_user, a_pw)
        s.register(b_user, b_pw)
        s.make_friends(a_user, b_user)

    def alive(self):
        return self.alice_server.alive()

    def tail_logs(self):
        return self.alice_server.tail_logs()


@contextlib.contextmanager
def own_server(sc):
    """A Prosody with a SOCKS5 proxy for this scenario; the run's topology meanwhile."""
    run = sc.run
    server = Prosody(run.dir, name=f"prosody-s5b-{sc.index}", proxy65_port=free_port())
    server.start()
    saved = run.topology
    run.topology = SoloTopology(server)
    try:
        yield server
    finally:
        for c in sc.clients:  # before their server goes
            c.stop()
        run.topology = saved
        server.stop()


@contextlib.contextmanager
def environment(**values):
    """Environment variables for the clients started inside (they copy os.environ)."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def send_file(sc, alice, bob):
    """alice sends SIZE random bytes to bob in a private conversation; returns (payload,
    seconds). SKIP when the transfer is libpurple's own (no PurpleXfer glue)."""
    path = os.path.join(sc.run.dir, f"s5b-{sc.index}-{sc.run.token}.bin")
    payload = os.urandom(SIZE)
    with open(path, "wb") as f:
        f.write(payload)
    name = os.path.basename(path)
    marks = D.marks_of(alice, bob)
    t0 = time.monotonic()
    alice.send(f"sendfile {bob.bare} {path}")
    bob.wait_for(rf"^XFER request {re.escape(alice.bare)}\S* {re.escape(name)} {SIZE}$", 20,
                 since=marks[bob])
    c2s = alice.proxy.data("c2s")
    if SI_RX.search(c2s) and FT5_NS not in c2s:
        raise D.Skip("Send File is libpurple's own transfer here (no PurpleXfer glue, "
                     "plugin/purple/xfer.c): nothing encrypted to carry over SOCKS5")
    m = bob.wait_for(rf"^XFER (done|failed) {re.escape(name)}\b ?(\d*)", 60, since=marks[bob])
    elapsed = time.monotonic() - t0
    if m.group(1) != "done":
        raise D.HarnessError(f"bob: the transfer failed: {m.string!r}. {bob.describe()}\n"
                             f"{alice.describe()}")
    with open(os.path.join(bob.download_dir, name), "rb") as f:
        got = f.read()
    if hashlib.sha256(got).digest() != hashlib.sha256(payload).digest():
        raise D.HarnessError(f"bob's file differs: {len(got)} bytes, {SIZE} sent")
    alice.wait_for(rf"^XFER sent {re.escape(name)}\b", 15, since=marks[alice])
    return payload, elapsed


def check_wire(alice, bob, payload, expect):
    """What crossed the two server connections: the SOCKS5 signalling @expect asks for, and
    nothing of the file in clear (raw slices or base64 of IBB-sized blocks)."""
    wire = alice.proxy.data() + bob.proxy.data()
    problems = []
    for needle, wanted in expect:
        if (needle in wire) != wanted:
            problems.append(f"{needle!r} {'missing from' if wanted else 'found on'} the wire")
    for off in range(0, SIZE - 48, SIZE // 16):
        chunk = payload[off:off + 48]
        if chunk[:32] in wire or base64.b64encode(chunk) in wire:
            problems.append(f"file bytes at offset {off} in clear on the wire")
            break
    if problems:
        raise D.HarnessError("; ".join(problems) + f" (see {alice.proxy.paths['log']})")


def ibb_data_bytes(client, sid_rx):
    """Base64 characters in IBB <data/> elements of the sids @sid_rx matches."""
    wire = client.proxy.data()
    return sum(len(m.group(1)) for m in re.finditer(
        rb"<data[^>]*sid='" + sid_rx + rb"'[^>]*>([^<]*)</data>", wire))


def file_transport_sid(client):
    """The sid of the s5b transport alice offered for the file, from her server connection."""
    m = re.search(rb"<transport xmlns='urn:xmpp:jingle:transports:s5b:1'[^>]*sid='([^']+)'",
                  client.proxy.data("c2s"))
    if not m:
        m = re.search(rb"<transport[^>]*sid='([^']+)'[^>]*xmlns='urn:xmpp:jingle:transports:s5b:1'",
                      client.proxy.data("c2s"))
    return m.group(1) if m else None


def run_case(sc, env, expect, label):
    with own_server(sc), environment(**env):
        alice, bob = D.make_pair(sc)
        D.start_private(sc, alice, bob, D.policy_verified)
        payload, elapsed = send_file(sc, alice, bob)
        check_wire(alice, bob, payload, expect)
        sc.note(f"{label}: 1 MiB in {elapsed:.2f} s ({SIZE / elapsed / 1e6:.1f} MB/s)")
        return alice, bob


def scenario_s5b_direct(sc):
    """A direct SOCKS5 connection between the clients carries the file."""
    alice, _bob = run_case(sc, {}, [(S5B_NS, True), (b"<candidate-used ", True),
                                    (b"transport-replace", False), (b"<activate>", False)],
                           "direct SOCKS5")
    sid = file_transport_sid(alice)
    if sid is None:
        raise D.HarnessError("alice offered no SOCKS5 transport for the file")
    if ibb_data_bytes(alice, re.escape(sid)) > 0:
        raise D.HarnessError("file bytes went over IBB although the bytestream worked")


def scenario_s5b_proxy(sc):
    """Without direct candidates the server's proxy65 relays the file after activation."""
    run_case(sc, {"XTLS_S5B_DIRECT": "0"},
             [(S5B_NS, True), (b"type='proxy'", True), (b"<activate>", True),
              (b"<activated ", True), (b"transport-replace", False)], "SOCKS5 proxy")


def scenario_s5b_blocked(sc):
    """No direct candidate, no proxy: candidate-error both ways, then IBB."""
    run_case(sc, {"XTLS_S5B_DIRECT": "0", "XTLS_S5B_PROXY": "0"},
             [(S5B_NS, True), (b"<candidate-error/>", True), (b"transport-replace", True),
              (b"transport-accept", True), (b"<activate>", False)], "IBB fallback")


def scenarios(driver):
    """The driver's SCENARIOS entries (tag, name, function, time limit in s)."""
    global D
    D = driver
    return [
        ("xtls", "s5b-direct", scenario_s5b_direct, 90),
        ("xtls", "s5b-proxy", scenario_s5b_proxy, 90),
        ("xtls", "s5b-blocked", scenario_s5b_blocked, 120),
    ]
