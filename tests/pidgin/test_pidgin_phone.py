#!/usr/bin/env python3
"""Verification on the phone (issue 12, items 1 and 2), in real Pidgin 2.14 under Xvfb: two
users who start a private conversation must both see the same safety code before either of
them clicks, and no dialog may vanish while one of them is still reading.

The core's clock runs XTLS_TEST_CLOCK_SCALE (10) times faster than real time in these Pidgins
(a test-only environment variable, README "Tests"), so the old 5-minute deadline passes in 30
seconds. What the user reads is taken from the verify dialog's debug line (the safety code is
derived from two public fingerprints, no secret), from the windows xdotool finds, and kept as
screenshots.

    python3 tests/pidgin/test_pidgin_phone.py --plugin-dir build/plugin --artifacts DIR
"""

import glob
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from test_pidgin import Failure, main, state_line  # noqa: E402

SCALE = 10
CLOCK = {"XTLS_TEST_CLOCK_SCALE": str(SCALE)}
OLD_DEADLINE_S = 5 * 60  # what used to close the dialogs (accept timeout)
CODE_RX = r"verify dialog {peer}: code ([0-9 ]+), verify (enabled|disabled)"


def scenarios(g):
    marks = {}

    def start_pair(a, b):
        for n in (a, b):
            g.prepare(n, n)
        g.prosody.make_friends(a, b)
        for n in (a, b):
            g.pidgin(n, n, CLOCK)
            g.wait_log(n, rf"test clock: deadlines run {SCALE} times faster", 5)
        g.wait_log(a, rf"{b}@localhost/pidgin", 15)
        time.sleep(1.5)  # caps

    def windows(name, title):
        pid = str(g.pidgins[name][0].pid)
        return g.xdo("search", "--all", "--onlyvisible", "--pid", pid, "--name", title).split()

    def last_code(name, peer, since):
        found = re.findall(CODE_RX.format(peer=re.escape(peer)), g.log_text(name)[since:])
        return found[-1] if found else None

    def no_end(name, since, what):
        text = g.log_text(name)[since:]
        for bad in ("-> failed", "-> finished", "stopped answering", "did not accept in time"):
            if bad in text:
                raise Failure(f"{name}: {what}: the session ended ({bad!r} in the log)")

    def conversation_log(name, peer, needle):
        """@name's conversation log with @peer (Pidgin writes one, logging is on), if it
        contains @needle."""
        pattern = os.path.join(g.pidgins[name][1], "logs", "jabber", f"{name}@localhost",
                               f"{peer}@localhost", "*.txt")
        for path in glob.glob(pattern):
            with open(path, errors="replace") as f:
                text = f.read()
            if needle in text:
                return text
        return None

    def side_by_side(wins, label):
        """Each window raised and captured alone, then the pictures next to each other (two
        dialogs do not fit the screen side by side)."""
        env = dict(os.environ, DISPLAY=g.display)
        parts = []
        for i, win in enumerate(wins):
            g.xdo("windowmove", win, "531" if i else "0", "0")
            g.xdo("windowraise", win)
            time.sleep(0.5)
            part = os.path.join(g.dir, f"{label}-{i}.png")
            subprocess.run(["import", "-window", win, part], env=env, timeout=20,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            parts.append(part)
        g.shots += 1
        out = os.path.join(g.artifacts, f"{g.shots:02d}-{label}.png")
        subprocess.run(["/usr/bin/convert", *parts, "-bordercolor", "black", "-border", "2",
                        "+append", out], timeout=20, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)

    def sleep_simulated(seconds):
        time.sleep(seconds / SCALE)

    def setup():
        start_pair("alice", "bob")

    def both_codes_before_any_click():
        conv = g.open_conversation("alice", "bob")
        marks["a"], marks["b"] = g.log_size("alice"), g.log_size("bob")
        g.status_menu(conv, "s")
        # Both dialogs open by themselves; nobody has clicked anything yet.
        verify_b = g.window("bob", "^Verify alice@localhost")
        verify_a = g.window("alice", "^Verify bob@localhost")
        g.xdo("windowmove", verify_a, "0", "0")
        g.xdo("windowmove", verify_b, "640", "0")
        g.wait_log("alice", CODE_RX.format(peer="bob@localhost").replace("(enabled|disabled)",
                                                                         "enabled"), 10, marks["a"])
        g.wait_log("bob", CODE_RX.format(peer="alice@localhost").replace("(enabled|disabled)",
                                                                        "enabled"), 10, marks["b"])
        code_a = last_code("alice", "bob@localhost", marks["a"])
        code_b = last_code("bob", "alice@localhost", marks["b"])
        g.shot("phone-both-codes-before-any-click")
        side_by_side([verify_a, verify_b], "phone-both-dialogs-side-by-side")
        if code_a[1] != "enabled" or code_b[1] != "enabled":
            raise Failure(f"'I have verified this' is greyed: alice {code_a}, bob {code_b}")
        if len(code_a[0].split()) != 10 or code_a[0] != code_b[0]:
            raise Failure(f"the safety codes differ or are incomplete: alice {code_a[0]!r}, "
                          f"bob {code_b[0]!r}")
        if "our user decided" in g.log_text("alice")[marks["a"]:] + g.log_text("bob")[marks["b"]:]:
            raise Failure("a decision was recorded although nobody clicked")

    def no_dialog_lost_at_old_deadline():
        sleep_simulated(OLD_DEADLINE_S + 60)
        for name, title in (("alice", "^Verify bob@localhost"), ("bob", "^Verify alice@localhost")):
            if not windows(name, title):
                raise Failure(f"{name}'s verify dialog disappeared before the user answered")
            no_end(name, marks["a" if name == "alice" else "b"], "past the old deadline")
        for name, key in (("alice", "a"), ("bob", "b")):
            if "the peer's user is still deciding" not in g.log_text(name)[marks[key]:]:
                raise Failure(f"{name} never heard that the other user is still deciding")
        g.shot("phone-dialogs-still-open-after-6-minutes")

    def bob_clicks_first_alice_still_reads():
        verify_b = g.window("bob", "^Verify alice@localhost")
        g.keys(verify_b, "alt+v")
        g.wait_log("bob", r"our user decided: verified", 10, marks["b"])
        g.wait(lambda: not windows("bob", "^Verify alice@localhost"), 10, "bob's dialog to close")
        g.wait(lambda: conversation_log("bob", "alice", "Waiting for alice@localhost to decide too"),
               10, "bob's conversation to say that alice still decides")
        # Alice is still on the phone for four more (simulated) minutes: bob's side waits.
        sleep_simulated(4 * 60)
        if not windows("alice", "^Verify bob@localhost"):
            raise Failure("alice's verify dialog disappeared while she was still reading")
        no_end("alice", marks["a"], "while alice reads")
        no_end("bob", marks["b"], "while alice reads")
        if "state negotiating -> private" in g.log_text("bob")[marks["b"]:]:
            raise Failure("bob's side completed the handshake before alice decided")
        g.shot("phone-bob-decided-alice-still-reading")
        g.keys(g.window("alice", "^Verify bob@localhost"), "alt+v")
        g.wait_log("alice", state_line("negotiating", "private"), 20, marks["a"])
        g.wait_log("bob", state_line("negotiating", "private"), 20, marks["b"])
        g.shot("phone-both-private")

    def password_from_the_responder():
        start_pair("carol", "dave")
        conv = g.open_conversation("carol", "dave")
        mark_c, mark_d = g.log_size("carol"), g.log_size("dave")
        g.status_menu(conv, "s")
        verify_d = g.window("dave", "^Verify carol@localhost")
        g.window("carol", "^Verify dave@localhost")
        g.shot("phone-password-both-verify-dialogs")
        g.keys(verify_d, "alt+p")
        pw_d = g.window("dave", "^Shared password with carol@localhost")
        # Carol's key question is replaced by the password question: her verify dialog goes,
        # the password dialog comes, and nothing was pinned for her.
        pw_c = g.window("carol", "^Shared password with dave@localhost")
        g.wait(lambda: not windows("carol", "^Verify dave@localhost"), 10,
               "carol's verify dialog to close")
        g.xdo("windowmove", pw_d, "640", "0")
        g.shot("phone-password-both-password-dialogs")
        g.type(pw_d, "purple otters")
        g.keys(pw_d, "Return")
        g.type(pw_c, "purple otters")
        g.keys(pw_c, "Return")
        g.wait_log("carol", state_line("negotiating", "private"), 20, mark_c)
        g.wait_log("dave", state_line("negotiating", "private"), 20, mark_d)
        g.shot("phone-password-private")

    def nobody_answers_for_30_minutes():
        # A third pair whose clock runs 40 times faster: 30 minutes pass in 45 seconds.
        fast = {"XTLS_TEST_CLOCK_SCALE": "40"}
        for n in ("erin", "frank"):
            g.prepare(n, n)
        g.prosody.make_friends("erin", "frank")
        for n in ("erin", "frank"):
            g.pidgin(n, n, fast)
        g.wait_log("erin", r"frank@localhost/pidgin", 15)
        time.sleep(1.5)  # caps
        conv = g.open_conversation("erin", "frank")
        mark_e, mark_f = g.log_size("erin"), g.log_size("frank")
        g.status_menu(conv, "s")
        g.window("frank", "^Verify erin@localhost")
        g.window("erin", "^Verify frank@localhost")
        t0 = time.monotonic()
        # 25 simulated minutes: both dialogs are still there.
        time.sleep(25 * 60 / 40 - (time.monotonic() - t0))
        for name, title in (("erin", "^Verify frank@localhost"), ("frank", "^Verify erin@localhost")):
            if not windows(name, title):
                raise Failure(f"{name}'s verify dialog disappeared after 25 minutes")
        # Then frank's question (asked first) expires: each is told who stopped waiting.
        g.wait_log("frank", r"-> failed", 30, mark_f)
        g.wait_log("erin", r"-> failed", 15, mark_e)
        g.wait(lambda: not windows("frank", "^Verify erin@localhost"), 10, "frank's dialog to go")
        g.wait(lambda: not windows("erin", "^Verify frank@localhost"), 10, "erin's dialog to go")
        g.shot("phone-question-expired-after-30-minutes")
        for name, peer, sentence in (
                ("frank", "erin", "not answered within 30 minutes"),
                ("erin", "frank", "stopped waiting for your answer")):
            text = g.wait(lambda: conversation_log(name, peer, sentence), 10,
                          f"{name}'s conversation to say {sentence!r}")
            if sentence not in text:
                raise Failure(f"{name} was not told {sentence!r}")
            if "stopped answering" in text:
                raise Failure(f"{name} was told the contact stopped answering")

    return [("two Pidgins with the test clock", setup),
            ("both see the same code before either click", both_codes_before_any_click),
            ("no dialog lost at the old 5-minute deadline", no_dialog_lost_at_old_deadline),
            ("bob decides first, alice keeps reading, then both private",
             bob_clicks_first_alice_still_reads),
            ("a password chosen by the responder replaces the initiator's dialog",
             password_from_the_responder),
            ("a question open for 30 minutes ends with the right sentence on both sides",
             nobody_answers_for_30_minutes)]


if __name__ == "__main__":
    sys.exit(main(scenarios, __doc__))
