#!/usr/bin/env python3
"""The product demo: a private Prosody on 127.0.0.1, two real libpurple clients (alice and bob)
with the plugin loaded. They meet for the first time, verify each other with a shared password
(TLS-SRP), chat, and end. Everything each user would see in their conversation window is
printed, and at the end the demo checks what crossed the wire between each client and the
server: no message text, only base64 noise.

    python3 tests/integration/demo.py --client build/tests/integration/xtls-client \\
        --plugin-dir build/plugin/purple
"""

import argparse
import os
import re
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Client, HarnessError, drive, unescape  # noqa: E402
from prosody import DOMAIN, Prosody  # noqa: E402
from wireproxy import WireProxy  # noqa: E402

PASSWORD = "purple otters at dawn"
FLAG_SEND, FLAG_RECV, FLAG_SYSTEM, FLAG_ERROR = 0x1, 0x2, 0x4, 0x200
STATE_NAMES = {0: "not private", 1: "negotiating", 2: "unverified", 3: "private",
               4: "finished", 5: "failed"}


class DemoRun:
    """What the harness's Client needs to know about the run."""

    def __init__(self, args, workdir):
        self.client_exe = os.path.abspath(args.client)
        self.plugin_dir = os.path.abspath(args.plugin_dir)
        self.debug = False
        self.max_lifetime = 300
        self.dir = workdir
        self.scenario_deadline = None
        self.t0 = time.monotonic()


class Screen:
    """Prints, per user, the events that a person would notice, in the order they came."""

    def __init__(self, clients):
        self.clients = clients
        self.shown = {c: 0 for c in clients}

    def flush(self):
        for c in self.clients:
            for line in c.events[self.shown[c]:]:
                text = self.describe(c, line)
                if text:
                    print(f"  [{c.name:5}] {text}")
            self.shown[c] = len(c.events)

    @staticmethod
    def describe(c, line):
        m = re.match(r"^CONV (\S+) (\S+) (\d+) (.*)$", line)
        if m:
            flags, text = int(m.group(3)), unescape(m.group(4))
            if flags & FLAG_SYSTEM or flags & FLAG_ERROR:
                return ("(!) " if flags & FLAG_ERROR else "(i) ") + text
            if flags & FLAG_SEND:
                return f"me: {text}"
            if flags & FLAG_RECV:
                return f"{m.group(2).split('/')[0]}: {text}"
        m = re.match(r"^REQUEST \S+ (\S+) (.*)$", line)
        if m:
            parts = [unescape(p) for p in m.group(2).split("\t")]
            title, primary = parts[0], parts[1] if len(parts) > 1 else ""
            choices = [p for p in parts[3:] if p]
            extra = f" Choices: {' / '.join(choices)}" if m.group(1).startswith("action") else ""
            return f"a dialog asks: \"{title}: {primary}\"{extra}"
        m = re.match(r"^SIGNAL state (\S+) (\d+)", line)
        if m:
            return f"   (status: {STATE_NAMES.get(int(m.group(2)), m.group(2))})"
        return None


def known_peer_words(entry):
    """A known-peers IPC entry ("JID FINGERPRINT HOW UNIXTIME") in words for people."""
    fields = entry.split()
    if len(fields) < 4:
        return entry
    jid, fingerprint, how, when = fields[:4]
    how_words = {"password": "by your shared password",
                 "fingerprint": "by comparing the safety code"}.get(how, how)
    try:
        day = time.strftime("%Y-%m-%d %H:%M", time.localtime(int(when)))
    except ValueError:
        day = when
    short = " ".join(fingerprint[i:i + 4] for i in range(0, 8, 4))
    return f"knows {jid}'s key ({short} ...), verified {how_words} on {day}"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--client", required=True)
    ap.add_argument("--plugin-dir", required=True)
    args = ap.parse_args()

    workdir = tempfile.mkdtemp(prefix="xtls-demo-")
    prosody = Prosody(os.path.join(workdir, "prosody"))
    clients, proxies = [], []
    ok = False
    try:
        print(f"Starting a private XMPP server (Prosody) on 127.0.0.1 ...")
        prosody.start()
        prosody.register("alice", "alice-login")
        prosody.register("bob", "bob-login")
        prosody.make_friends("alice", "bob")
        run = DemoRun(args, workdir)
        for name, res in (("alice", "laptop"), ("bob", "phone")):
            proxy = WireProxy(name, prosody.port, workdir).start()
            proxies.append(proxy)
            c = Client(run, name, f"{name}@{DOMAIN}/{res}", f"{name}-login", proxy,
                       os.path.join(workdir, name))
            clients.append(c.start())
        alice, bob = clients
        for c in clients:
            c.wait_for(r"^READY$", 20, since=0)
        for watcher, peer in ((alice, bob), (bob, alice)):
            watcher.wait_for(rf"^PRESENCE {re.escape(peer.bare)}/\S+ available$", 15, since=0)
        time.sleep(0.3)  # let caps arrive, as they would before a person starts typing
        screen = Screen(clients)
        print(f"alice ({alice.jid}) and bob ({bob.jid}) are online and friends.\n")

        print("1. alice types /xtls start in her conversation with bob, then a first message.")
        print("   They have never verified each other, so both choose 'Use a shared password'")
        print(f"   and type the password they agreed on by phone: \"{PASSWORD}\".\n")
        alice.cmd(bob.bare, "xtls start")
        alice.im(bob.bare, "Hi Bob! Is this private?")

        def policy(c, req):
            screen.flush()
            if req.masked or req.kind.startswith("input"):
                print(f"  [{c.name:5}] types the shared password (masked)")
                return ("input", PASSWORD)
            idx = req.choice_index("shared password")
            print(f"  [{c.name:5}] chooses: {req.choices[idx]}")
            return ("choose", idx)

        def both_private():
            screen.flush()
            return all(c.has(r"^SIGNAL state \S+ 3\b") for c in clients)

        drive(clients, both_private, policy, timeout=30)
        bob.wait_for(r"^RECV \S+ \d+ .*Is this private", 10, since=0)
        screen.flush()

        print("\n2. They chat. Each message travels inside TLS, inside In-Band Bytestream IQs.\n")
        bob.im(alice.bare, "Yes, end to end. The server only sees noise.")
        alice.wait_for(r"^RECV \S+ \d+ .*only sees noise", 10, since=0)
        alice.im(bob.bare, "Then: the treasure is under the old oak.")
        bob.wait_for(r"^RECV \S+ \d+ .*old oak", 10, since=0)
        screen.flush()
        print("\n   Inside the tunnel they exchanged certificates; each now knows the other's key:")
        for c in clients:
            print(f"  [{c.name:5}] " + known_peer_words(c.ipc("list-known-peers").split("|")[0]))

        print("\n3. alice ends the private conversation.\n")
        alice.cmd(bob.bare, "xtls stop")
        bob.wait_for(r"^SIGNAL state \S+ 4\b", 10, since=0)
        time.sleep(0.2)
        screen.flush()

        print("\n4. Next day: alice starts again. The keys are known: private at once, no question.\n")
        alice.cmd(bob.bare, "xtls start")
        for c in clients:
            c.wait_for(r"^SIGNAL state \S+ 3\b", 15)
        alice.im(bob.bare, "Meet at noon.")
        bob.wait_for(r"^RECV \S+ \d+ .*Meet at noon", 10, since=0)
        screen.flush()

        texts = ["Is this private", "only sees noise", "old oak", "Meet at noon", PASSWORD]
        print("\nWhat crossed the wire between each client and the server:")
        ok = True
        for p in proxies:
            data = p.data()
            found = [t for t in texts if t.encode() in data]
            ibb = data.count(b"http://jabber.org/protocol/ibb")
            print(f"  {p.name}: {len(data)} bytes, {ibb} IBB stanzas, message texts or password "
                  f"in them: {', '.join(found) if found else 'none'}")
            ok = ok and not found
        print("\nDemo " + ("finished: the server never saw a word." if ok else "FAILED."))
    except (HarnessError, OSError) as e:
        print(f"\nDemo failed: {e}", file=sys.stderr)
    finally:
        for c in clients:
            c.stop()
        for p in proxies:
            p.stop()
        prosody.stop()
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"Logs kept in {workdir}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
