#!/usr/bin/env python3
"""Real Pidgin 2.14 under Xvfb: what the user sees of the alias, the devices and the
pidgin-otr-like controls (issue 12 items 3, 5, 6). Same harness as test_pidgin.py (private
Prosody on loopback, private profiles, xdotool, a screenshot of every step).

    python3 tests/pidgin/test_pidgin_ux.py --plugin-dir build/plugin --artifacts DIR
"""

import argparse
import glob
import os
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from test_pidgin import Failure, Gui, state_line  # noqa: E402


def conv_log(g, name, owner, peer):
    """The text of @name's Pidgin conversation logs (txt) with @peer, or ''."""
    pattern = os.path.join(g.pidgins[name][1], "logs", "jabber", f"{owner}@localhost",
                           f"{peer}@localhost", "*.txt")
    text = ""
    for path in sorted(glob.glob(pattern)):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


def scenarios(g):
    def signed_on():
        g.prepare("alice", "alice")
        g.prepare("bob", "bob")
        g.prosody.make_friends("alice", "bob")
        # Aliases that differ from the JIDs, so a name shown can only come from the buddy list.
        g.prosody.add_roster_item("bob", "alice@localhost", "Alice Liddell")
        g.prosody.add_roster_item("alice", "bob@localhost", "Bob Builder")
        g.pidgin("alice", "alice")
        g.pidgin("bob", "bob")
        g.wait_log("alice", r"bob@localhost/pidgin", 15)
        time.sleep(1.5)  # caps

    def alias_on_tunnel_messages():
        conv = g.open_conversation("alice", "Bob Builder")
        g.type(conv, "plain hello")
        g.keys(conv, "Return")
        g.wait(lambda: "plain hello" in conv_log(g, "bob", "bob", "alice"), 15,
               "bob's log to hold the plain message")
        mark_a, mark_b = g.log_size("alice"), g.log_size("bob")
        g.status_menu(conv, "s")
        verify_b = g.window("bob", "^Verify alice@localhost")
        g.keys(verify_b, "alt+v")
        verify_a = g.window("alice", "^Verify bob@localhost")
        g.keys(verify_a, "alt+v")
        g.wait_log("alice", state_line("negotiating", "private"), 20, mark_a)
        g.wait_log("bob", state_line("negotiating", "private"), 20, mark_b)
        g.type(conv, "through the tunnel")
        g.keys(conv, "Return")
        g.wait(lambda: "through the tunnel" in conv_log(g, "bob", "bob", "alice"), 15,
               "bob's log to hold the message")
        g.window("bob", "^Alice Liddell$")
        g.shot("alias-on-tunnel-message")
        text = conv_log(g, "bob", "bob", "alice")
        line = [l for l in text.splitlines() if "through the tunnel" in l][0]
        print(f"# bob's log: {line}", flush=True)
        if not re.search(r"\) Alice Liddell: \U0001f512 through the tunnel", line):
            raise Failure(f"the tunnel message is not shown under the alias: {line!r}")

    return [("alice and bob signed on, with aliases", signed_on),
            ("tunnel messages carry the buddy's alias", alias_on_tunnel_messages)]


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("--only", help="run only the steps whose names match this regex "
                    "(plus the first, which signs on)")
    args = ap.parse_args()
    g = Gui(args)
    steps = scenarios(g)
    if args.only:
        steps = [steps[0]] + [s for s in steps[1:] if re.search(args.only, s[0])]
    print(f"1..{len(steps)}", flush=True)
    failed = 0
    try:
        g.start()
        broken = None
        for i, (name, step) in enumerate(steps, 1):
            if broken is not None:
                print(f"not ok {i} - {name} # earlier step failed: {broken}", flush=True)
                failed += 1
                continue
            t0 = time.monotonic()
            try:
                step()
                print(f"ok {i} - {name} ({time.monotonic() - t0:.1f} s)", flush=True)
            except Exception as e:  # noqa: BLE001 - report every failure as TAP
                failed += 1
                path = g.shot("failure")
                print(f"not ok {i} - {name}\n# {e}\n# screenshot: {path}", flush=True)
                if i == 1:
                    broken = name
        print(f"# screenshots in {g.artifacts}", flush=True)
    finally:
        g.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
