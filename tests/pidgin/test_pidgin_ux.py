#!/usr/bin/env python3
"""Real Pidgin 2.14 under Xvfb: what the user sees of the alias, the devices and the
pidgin-otr-like controls (issue 12 items 3, 5, 6). Same harness as test_pidgin.py (private
Prosody on loopback, private profiles, xdotool, a screenshot of every step).

    python3 tests/pidgin/test_pidgin_ux.py --plugin-dir build/plugin --artifacts DIR
"""

import glob
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from test_pidgin import Failure, main, state_line  # noqa: E402


# One window per conversation (not tabs), so every conversation has a window of its own.
CONVERSATION_PREFS = """ <pref name='pidgin'>
  <pref name='conversations'>
   <pref name='placement' type='string' value='new'/>
  </pref>
"""


def conv_log(g, name, owner, peer):
    """The text of @name's Pidgin conversation logs (txt) with @peer, or ''."""
    pattern = os.path.join(g.pidgins[name][1], "logs", "jabber", f"{owner}@localhost*",
                           f"{peer}@localhost", "*.txt")
    text = ""
    for path in sorted(glob.glob(pattern)):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


def lines_with(text, needle):
    return [line for line in text.splitlines() if needle in line]


def prepare(g, name, user, resource="pidgin", register=True):
    """A profile for @user@localhost/@resource (registered once per user)."""
    from pidgin_demo import make_profile  # noqa: PLC0415
    if register:
        g.prepare(name, user)
    else:
        make_profile(g.dir, name, f"{user}@localhost/{resource}", f"{user}-login",
                     g.prosody.port, g.plugin_dir)
        with open(os.path.join(g.dir, "alice", "prefs.xml")) as f:
            text = f.read()  # alice's prefs: logging on, like every profile of this suite
        with open(os.path.join(g.dir, name, "prefs.xml"), "w") as f:
            f.write(text.replace(os.path.join(g.dir, "alice"), os.path.join(g.dir, name)))
    prefs = os.path.join(g.dir, name, "prefs.xml")
    with open(prefs) as f:
        text = f.read()
    if "'placement'" not in text:
        with open(prefs, "w") as f:
            f.write(text.replace(" <pref name='pidgin'>\n", CONVERSATION_PREFS, 1))


def fingerprint_of(g, name):
    """SHA-256 of the certificate in @name's identity file (what the plugin announces)."""
    paths = glob.glob(os.path.join(g.dir, name, "xtls", "*", "identity.pem"))
    if not paths:
        raise Failure(f"{name} has no identity file")
    der = subprocess.run(["openssl", "x509", "-in", paths[0], "-outform", "DER"],
                         capture_output=True, check=True, timeout=10).stdout
    return hashlib.sha256(der).hexdigest()


def safety_code(fpr_a, fpr_b):
    """The safety code of two fingerprints, as the core derives it (fingerprint.c)."""
    lo, hi = sorted((fpr_a.lower(), fpr_b.lower()))
    digest = hashlib.sha256(b"xtls-safety-code-v1\0" + lo.encode() + b"\0" + hi.encode()).digest()
    return " ".join(f"{int.from_bytes(digest[3 * i:3 * i + 3], 'big') % 10000:04d}"
                    for i in range(10))


def open_im(g, name, jid, title):
    """Buddies → New Instant Message (Ctrl+M) in @name's buddy list, @jid typed."""
    blist = g.window(name, "^Buddy List$")
    g.keys(blist, "ctrl+m")
    dialog = g.window(name, "^New Instant Message$")
    g.type(dialog, jid)
    g.keys(dialog, "Return")
    conv = g.window(name, f"^{re.escape(title)}$")
    g.xdo("windowmove", conv, "300", "0")
    return conv


def conversation(g, name, jid, title):
    """@name's open conversation window titled @title, opened first if needed."""
    pid = str(g.pidgins[name][0].pid)
    found = g.xdo("search", "--all", "--onlyvisible", "--pid", pid, "--name",
                  f"^{re.escape(title)}$")
    return found.split()[0] if found else open_im(g, name, jid, title)


BUDDY_ROWS = {"Bob": 0, "carol": 1, "dave": 2}  # alice's buddy list, in its order


def buddy_menu(g, name, buddy):
    """Right-clicks @buddy in @name's buddy list (moved out from under the other windows;
    rows are 36 pixels apart from the first at 65)."""
    blist = g.window(name, "^Buddy List$")
    g.xdo("windowmove", blist, "0", "400")
    g.xdo("windowsize", blist, "260", "380")
    g.xdo("windowraise", blist)
    g.focus(blist)
    y = 65 + 36 * BUDDY_ROWS[buddy]
    g.xdo("mousemove", "--window", blist, "60", str(y), "click", "1")
    time.sleep(0.3)
    g.xdo("mousemove", "--window", blist, "60", str(y), "click", "3")
    time.sleep(0.5)
    return blist


def geometry(g, win):
    out = dict(line.split("=") for line in g.xdo("getwindowgeometry", "--shell", win).split())
    return int(out["X"]), int(out["Y"]), int(out["WIDTH"]), int(out["HEIGHT"])


def cropped(g, label, win, right=0, below=0):
    """A screenshot of @win (and @right/@below pixels beside it, where its menus open), kept
    as readme-@label.png next to the others (README's screenshots come from these)."""
    path = g.shot(label)
    x, y, w, h = geometry(g, win)
    out = os.path.join(g.artifacts, f"readme-{label}.png")
    subprocess.run(["/usr/bin/convert", path, "-crop", f"{w + right}x{h + below}+{x}+{y}",
                    "+repage", out], check=True, timeout=20)
    return out


def open_preferences(g, name):
    """Tools → Plugins (Ctrl+U), the Pidgin-window plugin found by typing its name, then
    Configure Plugin: the preferences with the known contacts."""
    blist = g.window(name, "^Buddy List$")
    g.keys(blist, "ctrl+u")
    plugins = g.window(name, "^Plugins$")
    g.focus(plugins)
    g.xdo("type", "--delay", "60", "XTLS private conversations (P")
    time.sleep(0.5)
    g.keys(plugins, "Escape")  # ends the type-ahead search; the row stays selected
    x, y, w, h = geometry(g, plugins)
    g.xdo("mousemove", "--window", plugins, "213", str(h - 25), "click", "1")  # Configure
    prefs = g.window(name, r"^XTLS private conversations \(Pidgin window\)$")
    return plugins, prefs


def scenarios(g):
    def signed_on():
        prepare(g, "alice", "alice")
        prepare(g, "bob", "bob")
        prepare(g, "carol", "carol")
        prepare(g, "dave", "dave")
        g.prosody.make_friends("alice", "bob")
        g.prosody.make_friends("alice", "carol")
        g.prosody.make_friends("alice", "dave")
        # Aliases that differ from the JIDs, so a name shown can only come from the buddy list.
        g.prosody.add_roster_item("bob", "alice@localhost", "Alice Liddell")
        g.prosody.add_roster_item("alice", "bob@localhost", "Bob Builder")
        for n in ("alice", "bob", "carol", "dave"):
            g.pidgin(n, n)
        for peer in ("bob", "carol", "dave"):
            g.wait_log("alice", rf"{peer}@localhost/pidgin", 15)
        time.sleep(1.5)  # caps

    def alias_on_tunnel_messages():
        conv = open_im(g, "alice", "bob@localhost", "Bob Builder")
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
               "bob's log to hold the tunnel message")
        g.window("bob", "^Alice Liddell$")
        g.shot("alias-on-tunnel-message")
        got = conv_log(g, "bob", "bob", "alice")
        plain = lines_with(got, "plain hello")[0]
        tunnel = lines_with(got, "through the tunnel")[0]
        print(f"# bob reads: {plain!r} / {tunnel!r}", flush=True)
        if not re.search(r"\) Alice Liddell: \U0001f512 through the tunnel$", tunnel):
            raise Failure(f"the tunnel message is not shown under the alias: {tunnel!r}")
        if not re.search(r"\) Alice Liddell: plain hello$", plain):
            raise Failure(f"the plain message is not shown under the alias: {plain!r}")
        # The sender's own side: the tunnel message carries the same name as a plain one.
        sent = conv_log(g, "alice", "alice", "bob")
        own_plain = re.search(r"\) (.*): plain hello$", lines_with(sent, "plain hello")[0])
        own_tunnel = re.search(r"\) (.*): \U0001f512 through the tunnel$",
                               lines_with(sent, "through the tunnel")[0])
        if not own_plain or not own_tunnel or own_plain[1] != own_tunnel[1]:
            raise Failure(f"alice's own messages are named differently: {sent!r}")

    def help_from_verify_dialog():
        conv = g.window("alice", "^Bob Builder$")
        mark = g.log_size("alice")
        g.status_menu(conv, "v")
        verify = g.window("alice", "^Verify bob@localhost")
        g.keys(verify, "alt+t")
        help_win = g.window("alice", "^What is this\\?$")
        g.wait_log("alice", r"explaining verification", 10, mark)
        g.shot("verify-help")
        g.keys(help_win, "Return")
        g.keys(verify, "Escape")

    def policy_always():
        conv = conversation(g, "alice", "bob@localhost", "Bob Builder")
        mark_a = g.log_size("alice")
        if re.search(r"status button for bob@localhost: Private", g.log_text("alice")):
            g.status_menu(conv, "t")  # stop: back to plaintext by the user's choice
            g.wait_log("alice", state_line("private", "finished"), 15, mark_a)
        buddy_menu(g, "alice", "Bob")
        g.shot("buddy-menu")
        g.keys(g.window("alice", "^Buddy List$"), "t")
        g.shot("buddy-menu-policy")
        g.keys(g.window("alice", "^Buddy List$"), "a")
        g.wait_log("alice", r"policy for bob@localhost: 3", 10, mark_a)
        mark_a, mark_b = g.log_size("alice"), g.log_size("bob")
        g.type(conv, "only privately")
        g.keys(conv, "Return")
        # "Always" starts a private conversation by itself (the key is known: no question)...
        g.wait_log("alice", state_line("negotiating", "private"), 20, mark_a)
        g.wait(lambda: "only privately" in conv_log(g, "bob", "bob", "alice"), 15,
               "bob's log to hold the message")
        got = lines_with(conv_log(g, "bob", "bob", "alice"), "only privately")
        # ...and the message crossed only through the tunnel, never in plaintext.
        if len(got) != 1 or "\U0001f512 only privately" not in got[0]:
            raise Failure(f"the message did not arrive (only) through the tunnel: {got!r}")
        buddy_menu(g, "alice", "Bob")
        blist = g.window("alice", "^Buddy List$")
        g.keys(blist, "t")
        g.shot("buddy-menu-policy-always")
        g.keys(g.window("alice", "^Buddy List$"), "Escape", "Escape")

    def fingerprint_before_any_conversation():
        carol_fp = fingerprint_of(g, "carol")
        mark = g.log_size("alice")
        buddy_menu(g, "alice", "carol")
        g.keys(g.window("alice", "^Buddy List$"), "t")
        g.keys(g.window("alice", "^Buddy List$"), "v")
        dialog = g.window("alice", "^Verify a contact by fingerprint$")
        g.xdo("windowmove", dialog, "300", "100")
        g.type(dialog, "not a fingerprint")
        g.keys(dialog, "Return")
        g.wait_log("alice", r"fingerprint entry for carol@localhost: invalid", 10, mark)
        g.keys(dialog, "ctrl+a", "BackSpace")
        grouped = " ".join(carol_fp[i:i + 4] for i in range(0, 64, 4)).upper()
        g.type(dialog, grouped)  # as read out: groups, any case
        g.keys(dialog, "Return")
        g.wait_log("alice", r"fingerprint entry for carol@localhost: expected", 10, mark)
        cropped(g, "fingerprint-entered", dialog)
        g.keys(dialog, "Escape")
        # The first session: carol's key matches what alice typed, so alice is not asked.
        conv = open_im(g, "alice", "carol@localhost", "carol")
        mark_a, mark_c = g.log_size("alice"), g.log_size("carol")
        g.status_menu(conv, "s")
        verify_c = g.window("carol", "^Verify alice@localhost")
        g.keys(verify_c, "alt+v")
        g.wait_log("alice", state_line("negotiating", "private"), 20, mark_a)
        g.wait_log("carol", state_line("negotiating", "private"), 20, mark_c)
        if re.search(r"verify dialog for carol|Verify carol", g.log_text("alice")[mark_a:]):
            raise Failure("alice was asked to verify carol although she had typed the key")
        if g.xdo("search", "--all", "--onlyvisible", "--pid", str(g.pidgins["alice"][0].pid),
                 "--name", "^Verify carol"):
            raise Failure("a verify dialog for carol is open on alice's screen")
        g.shot("fingerprint-first-session-private")
        # Now that carol has shown her key, the safety code (read out on the phone) is checked.
        mark = g.log_size("alice")
        buddy_menu(g, "alice", "carol")
        g.keys(g.window("alice", "^Buddy List$"), "t")
        g.keys(g.window("alice", "^Buddy List$"), "v")
        dialog = g.window("alice", "^Verify a contact by fingerprint$")
        g.type(dialog, safety_code(fingerprint_of(g, "alice"), carol_fp))
        g.keys(dialog, "Return")
        g.wait_log("alice", r"fingerprint entry for carol@localhost: matched", 10, mark)
        g.shot("safety-code-matched")
        g.keys(dialog, "Escape")

    def fingerprint_wrong_key_refused():
        mark = g.log_size("alice")
        buddy_menu(g, "alice", "dave")
        g.keys(g.window("alice", "^Buddy List$"), "t")
        g.keys(g.window("alice", "^Buddy List$"), "v")
        dialog = g.window("alice", "^Verify a contact by fingerprint$")
        wrong = hashlib.sha256(b"not dave's key").hexdigest()
        g.type(dialog, wrong)
        g.keys(dialog, "Return")
        g.wait_log("alice", r"fingerprint entry for dave@localhost: expected", 10, mark)
        g.keys(dialog, "Escape")
        conv = open_im(g, "alice", "dave@localhost", "dave")
        mark_a = g.log_size("alice")
        g.status_menu(conv, "s")
        # dave answers at once with his key (deciding together): alice sees it differs from
        # the one she typed before dave's user is even asked.
        changed = g.window("alice", "^Key changed: dave@localhost")
        g.wait_log("alice", r"-> failed", 15, mark_a)
        g.shot("fingerprint-wrong-key-refused")
        g.keys(changed, "Escape")
        # A typed fingerprint that differs from the key shown now is refused, nothing stored.
        mark = g.log_size("alice")
        buddy_menu(g, "alice", "dave")
        g.keys(g.window("alice", "^Buddy List$"), "t")
        g.keys(g.window("alice", "^Buddy List$"), "v")
        dialog = g.window("alice", "^Verify a contact by fingerprint$")
        g.type(dialog, hashlib.sha256(b"another wrong key").hexdigest())
        g.keys(dialog, "Return")
        g.wait_log("alice", r"fingerprint entry for dave@localhost: mismatch", 10, mark)
        g.shot("fingerprint-mismatch")
        g.keys(dialog, "Escape")

    def two_devices():
        # bob signs in a second time, as "phone", with the same key (devices of one account
        # share nothing else; a different key would be refused as a changed key).
        prepare(g, "bobphone", "bob", resource="phone", register=False)
        shutil.copytree(os.path.join(g.dir, "bob", "xtls"), os.path.join(g.dir, "bobphone", "xtls"))
        conv = conversation(g, "alice", "bob@localhost", "Bob Builder")
        mark_a = g.log_size("alice")
        if re.search(r"status button for bob@localhost: Private[^\n]*\n(?!.*status button for "
                     r"bob@localhost)", g.log_text("alice"), re.S):
            g.status_menu(conv, "t")  # stop the running session first
            g.wait_log("alice", state_line("private", "finished"), 15, mark_a)
        g.pidgin("bobphone", "bob")
        g.wait_log("alice", r"bob@localhost/phone", 15, mark_a)
        time.sleep(1.5)  # caps
        mark_a, mark_b, mark_p = g.log_size("alice"), g.log_size("bob"), g.log_size("bobphone")
        g.xdo("windowraise", conv)
        g.keys(conv, "alt+p")
        g.keys(conv, "d")
        cropped(g, "device-menu", conv, right=330, below=110)
        g.keys(conv, "1")  # "bob@localhost/phone" sorts before ".../pidgin" (same priority)
        g.wait_log("bobphone", state_line("negotiating", "private"), 20, mark_p)
        g.wait_log("alice", r"status button for bob@localhost: Private · phone", 20, mark_a)
        started = conv_log(g, "alice", "alice", "bob")
        if "on their device \u201cphone\u201d (Pidgin)" not in started:
            raise Failure("alice's conversation does not say which device it went to")
        g.type(conv, "to the phone")
        g.keys(conv, "Return")
        g.wait(lambda: "to the phone" in conv_log(g, "bobphone", "bob", "alice"), 15,
               "bob's phone to hold the message")
        if "to the phone" in conv_log(g, "bob", "bob", "alice") or \
                re.search(r"state \w+ -> \w+", g.log_text("bob")[mark_b:]):
            raise Failure("bob's other device took part in the session")
        g.status_menu(conv, "v")
        verify = g.window("alice", "^Verify bob@localhost")
        g.wait_log("alice", r"verify dialog for bob@localhost: Their device: \u201cphone\u201d "
                            r"\(Pidgin\)", 10, mark_a)
        g.shot("device-in-verify-dialog")
        g.keys(verify, "Escape")
        # The phone goes offline: alice is told, and nothing moves to the other device.
        mark_a, mark_b = g.log_size("alice"), g.log_size("bob")
        # The phone vanishes (battery, network): no goodbye from its plugin, only the
        # server's "unavailable" presence once its connection is gone.
        g.pidgins["bobphone"][0].kill()
        g.pidgins["bobphone"][0].wait(10)
        g.wait_log("alice", r"-> failed", 20, mark_a)
        g.wait(lambda: "went offline" in conv_log(g, "alice", "alice", "bob"), 10,
               "alice's conversation to say the device went offline")
        said = lines_with(conv_log(g, "alice", "alice", "bob"), "went offline")[-1]
        print(f"# alice reads: {said}", flush=True)
        if "\u201cphone\u201d (Pidgin) went offline" not in said or \
                "still online on \u201cpidgin\u201d (Pidgin)" not in said:
            raise Failure(f"the offline notice does not name the devices: {said!r}")
        g.type(conv, "held back")
        g.keys(conv, "Return")
        time.sleep(2)
        g.shot("device-went-offline")
        if "held back" in conv_log(g, "bob", "bob", "alice") or \
                re.search(r"state \w+ -> \w+", g.log_text("bob")[mark_b:]):
            raise Failure("the conversation moved to bob's other device by itself")
        if not re.search(r"Not sent .*held back", conv_log(g, "alice", "alice", "bob")):
            raise Failure("alice was not told that her message was held back")

    def known_contacts():
        plugins, prefs = open_preferences(g, "alice")
        mark = g.log_size("alice")
        g.keys(prefs, "alt+t")  # What is this?
        help_win = g.window("alice", "^What is this\\?$")
        g.wait_log("alice", r"explaining verification", 10, mark)
        g.keys(help_win, "Return")
        g.keys(prefs, "alt+e")  # Enter fingerprint…, for someone never talked to
        dialog = g.window("alice", "^Verify a contact by fingerprint$")
        g.type(dialog, "erin@localhost")
        g.keys(dialog, "alt+f")
        erin = hashlib.sha256(b"erin's key, read out on the phone").hexdigest()
        g.type(dialog, erin)
        g.keys(dialog, "Return")
        g.wait_log("alice", r"fingerprint entry for erin@localhost: expected", 10, mark)
        g.keys(dialog, "Escape")
        stores = glob.glob(os.path.join(g.dir, "alice", "xtls", "*", "known-peers"))
        text = "".join(open(p).read() for p in stores)
        if "erin@localhost" not in text or erin not in text:
            raise Failure(f"erin's expected fingerprint is not in alice's known peers: {text!r}")
        g.focus(prefs)
        cropped(g, "known-contacts", prefs)
        g.keys(prefs, "Escape")
        g.keys(plugins, "Escape")

    return [("alice, bob, carol and dave signed on, with aliases", signed_on),
            ("tunnel messages carry the buddy's alias", alias_on_tunnel_messages),
            ("What is this? from the verify dialog", help_from_verify_dialog),
            ("per-contact policy 'always' from the buddy list", policy_always),
            ("fingerprint typed before any conversation verifies the first session",
             fingerprint_before_any_conversation),
            ("a typed fingerprint that does not match is refused loudly",
             fingerprint_wrong_key_refused),
            ("two devices: shown, chosen, offline said, never switched", two_devices),
            ("known contacts: What is this? and a fingerprint entered for a new contact",
             known_contacts)]


def keep_logs(g):
    """The debug logs and conversation logs, next to the screenshots."""
    for name in g.pidgins:
        shutil.copy(g.pidgins[name][2], os.path.join(g.artifacts, f"{name}.log"))
        logs = os.path.join(g.pidgins[name][1], "logs")
        if os.path.isdir(logs):
            shutil.copytree(logs, os.path.join(g.artifacts, f"{name}-conversations"),
                            dirs_exist_ok=True)


if __name__ == "__main__":
    sys.exit(main(scenarios, __doc__, fatal_steps=1, only=True, keep=keep_logs))
