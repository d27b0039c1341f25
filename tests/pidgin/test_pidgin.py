#!/usr/bin/env python3
"""Real Pidgin 2.14 under Xvfb, driven as a user would (xdotool keys and clicks, typed text),
two private profiles (alice, bob) on a private Prosody at 127.0.0.1, the plugins loaded from
the build tree. Asserts on the plugin's state through Pidgin's debug log (the core logs every
state transition) and on bob's conversation log; keeps a screenshot of every step.

    python3 tests/pidgin/test_pidgin.py --plugin-dir build/plugin --artifacts DIR

TAP output. Every wait is bounded; processes are always cleaned up.
"""

import argparse
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from pidgin_demo import make_profile  # noqa: E402
from prosody import DOMAIN, Prosody  # noqa: E402

LOGGING_PREFS = """ <pref name='purple'>
  <pref name='logging'>
   <pref name='log_ims' type='bool' value='1'/>
   <pref name='format' type='string' value='txt'/>
  </pref>
"""


class Failure(Exception):
    pass


class Gui:
    def __init__(self, args):
        self.plugin_dir = os.path.abspath(args.plugin_dir)
        self.artifacts = os.path.abspath(args.artifacts)
        os.makedirs(self.artifacts, exist_ok=True)
        self.dir = tempfile.mkdtemp(prefix="xtls-pidgin-test-")
        self.display = None
        self.xvfb = None
        self.prosody = Prosody(os.path.join(self.dir, "prosody"))
        self.pidgins = {}  # name -> (Popen, profile, log path)
        self.shots = 0

    # ---- processes -------------------------------------------------------------------------

    def start(self):
        for n in range(60, 100):
            if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock"):
                self.display = f":{n}"
                break
        self.xvfb = subprocess.Popen(["Xvfb", self.display, "-screen", "0", "1280x800x24",
                                      "-nolisten", "tcp"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.wait(lambda: os.path.exists(f"/tmp/.X11-unix/X{self.display[1:]}"), 10, "Xvfb")
        self.prosody.start()

    def prepare(self, name, user):
        """Registers @user and writes its Pidgin profile (logging of IMs on)."""
        profile = os.path.join(self.dir, name)
        self.prosody.register(user, f"{user}-login")
        make_profile(self.dir, name, f"{user}@{DOMAIN}/pidgin", f"{user}-login",
                     self.prosody.port, self.plugin_dir)
        prefs = os.path.join(profile, "prefs.xml")
        with open(prefs) as f:
            text = f.read()
        with open(prefs, "w") as f:
            f.write(text.replace(" <pref name='purple'>\n", LOGGING_PREFS, 1))

    def pidgin(self, name, user, extra_env=None):
        """Starts (or restarts) Pidgin for @user with the profile @name (@extra_env: more
        environment variables, e.g. the test clock)."""
        profile = os.path.join(self.dir, name)
        log = os.path.join(self.dir, f"{name}.log")
        env = dict(os.environ, DISPLAY=self.display, GST_REGISTRY=os.path.join(self.dir, "gst"),
                   XTLS_DATA_DIR=os.path.join(self.plugin_dir, "gtk"), LANGUAGE="C",
                   LC_ALL="C.UTF-8")
        env.pop("G_DEBUG", None)
        env.update(extra_env or {})
        proc = subprocess.Popen(["pidgin", "-d", "-c", profile], env=env,
                                stdout=open(log, "a"), stderr=subprocess.STDOUT)
        self.pidgins[name] = (proc, profile, log)
        self.wait_log(name, rf"xtls: ready for {user}@", 30)
        return proc

    def stop_pidgin(self, name):
        proc = self.pidgins[name][0]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(8)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def cleanup(self):
        for name in list(self.pidgins):
            self.stop_pidgin(name)
        self.prosody.stop()
        if self.xvfb is not None:
            self.xvfb.terminate()
            try:
                self.xvfb.wait(5)
            except subprocess.TimeoutExpired:
                self.xvfb.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- observing -------------------------------------------------------------------------

    @staticmethod
    def wait(cond, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = cond()
            if result:
                return result
            time.sleep(0.2)
        raise Failure(f"timed out after {timeout} s waiting for {what}")

    def log_text(self, name):
        with open(self.pidgins[name][2], errors="replace") as f:
            return f.read()

    def wait_log(self, name, pattern, timeout=20, since=0):
        def found():
            return re.search(pattern, self.log_text(name)[since:])
        try:
            return self.wait(found, timeout, f"{name}'s debug log to show /{pattern}/")
        except Failure:
            self.shot("timeout")
            raise

    def log_size(self, name):
        return len(self.log_text(name))

    def xdo(self, *args):
        out = subprocess.run(["xdotool", *args], env=dict(os.environ, DISPLAY=self.display),
                             capture_output=True, text=True, timeout=15)
        return out.stdout.strip()

    def window(self, name, title, timeout=15):
        """The window of @name's Pidgin whose title matches @title (a regex)."""
        pid = str(self.pidgins[name][0].pid)
        return self.wait(lambda: (self.xdo("search", "--all", "--onlyvisible", "--pid", pid, "--name", title).split()
                                  or [None])[0], timeout, f"{name}'s window /{title}/")

    def focus(self, win):
        self.xdo("windowactivate", "--sync", win)
        self.xdo("windowfocus", "--sync", win)
        time.sleep(0.3)

    def keys(self, win, *keys):
        self.focus(win)
        for k in keys:
            self.xdo("key", "--clearmodifiers", k)
            time.sleep(0.3)

    def type(self, win, text):
        self.focus(win)
        self.xdo("type", "--delay", "15", text)

    def shot(self, label):
        self.shots += 1
        path = os.path.join(self.artifacts, f"{self.shots:02d}-{label}.png")
        time.sleep(0.5)
        subprocess.run(["import", "-window", "root", path],
                       env=dict(os.environ, DISPLAY=self.display), timeout=20,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return path

    # ---- user actions -------------------------------------------------------------------------

    def open_conversation(self, name, peer_user):
        """Double-clicks the buddy in @name's buddy list (windows all sit at 0,0)."""
        blist = self.window(name, "^Buddy List$")
        self.focus(blist)
        self.xdo("windowraise", blist)
        self.xdo("mousemove", "--window", blist, "47", "65", "click", "--repeat", "2",
                 "--delay", "80", "1")
        conv = self.window(name, f"^{peer_user}$")
        self.xdo("windowmove", conv, "300" if name.startswith("alice") else "650", "0")
        return conv

    def status_menu(self, conv, item_key):
        """Alt+P opens the status button's menu; then the item's mnemonic."""
        self.keys(conv, "alt+p")
        self.keys(conv, item_key)


def state_line(old, new):
    return rf"state {old} -> {new}"


def scenarios(g):
    """Each yields to the runner: (name, function)."""

    def plugins_loaded():
        g.prepare("alice", "alice")
        g.prepare("bob", "bob")
        g.prosody.make_friends("alice", "bob")
        g.pidgin("alice", "alice")
        g.pidgin("bob", "bob")
        for n in ("alice", "bob"):
            text = g.log_text(n)
            if "pidgin-xtls-gtk.so" not in text or "xtls: ready for" not in text:
                raise Failure(f"{n}: the plugins did not load")
        g.wait_log("alice", r"bob@localhost/pidgin", 15)
        g.shot("plugins-loaded")

    def start_and_verify_fingerprint():
        time.sleep(1.5)  # caps
        conv = g.open_conversation("alice", "bob")
        g.shot("conversation-not-private")
        mark_a, mark_b = g.log_size("alice"), g.log_size("bob")
        g.status_menu(conv, "s")
        verify_b = g.window("bob", "^Verify alice@localhost")
        g.shot("bob-verify-dialog")
        g.keys(verify_b, "alt+v")
        verify_a = g.window("alice", "^Verify bob@localhost")
        g.shot("alice-verify-dialog")
        g.keys(verify_a, "alt+v")
        g.wait_log("alice", state_line("negotiating", "private"), 20, mark_a)
        g.wait_log("bob", state_line("negotiating", "private"), 20, mark_b)
        g.window("bob", "^alice$")
        g.shot("both-private")

    def chat():
        conv = g.window("alice", "^bob$")
        g.type(conv, "the tunnel works")
        g.keys(conv, "Return")
        pattern = os.path.join(g.pidgins["bob"][1], "logs", "jabber", "bob@localhost",
                               "alice@localhost", "*.txt")

        def logged():
            for path in glob.glob(pattern):
                with open(path, errors="replace") as f:
                    if "the tunnel works" in f.read():
                        return True
            return False
        g.wait(logged, 15, "bob's conversation log to contain the message")
        g.shot("chat")

    def stop():
        conv = g.window("alice", "^bob$")
        mark_a, mark_b = g.log_size("alice"), g.log_size("bob")
        g.status_menu(conv, "t")
        g.wait_log("alice", state_line("private", "finished"), 15, mark_a)
        g.wait_log("bob", state_line("private", "finished"), 15, mark_b)
        g.shot("stopped")

    def key_changed():
        g.stop_pidgin("bob")
        identities = glob.glob(os.path.join(g.pidgins["bob"][1], "xtls", "*", "identity.pem"))
        if not identities:
            raise Failure("bob's identity file was not found")
        for path in identities:
            os.remove(path)
        g.pidgin("bob", "bob")
        conv = g.window("alice", "^bob$")
        g.wait_log("alice", r"jabber-receiving-presence|Got presence|bob@localhost/pidgin", 15)
        time.sleep(1.5)  # caps of bob's new session
        mark_a = g.log_size("alice")
        g.status_menu(conv, "s")
        g.window("alice", "^Key changed: bob@localhost")
        g.wait_log("alice", r"-> failed", 15, mark_a)
        g.shot("key-changed-warning")

    def verify_by_password():
        g.prepare("carol", "carol")
        g.prepare("dave", "dave")
        g.prosody.make_friends("carol", "dave")
        g.pidgin("carol", "carol")
        g.pidgin("dave", "dave")
        g.wait_log("carol", r"dave@localhost/pidgin", 15)
        time.sleep(1.5)  # caps
        conv = g.open_conversation("carol", "dave")
        mark_c, mark_d = g.log_size("carol"), g.log_size("dave")
        g.status_menu(conv, "s")
        verify_d = g.window("dave", "^Verify carol@localhost")
        g.keys(verify_d, "alt+p")
        pw_d = g.window("dave", "^Shared password with carol@localhost")
        g.type(pw_d, "purple otters")
        g.keys(pw_d, "Return")
        g.shot("dave-password-typed")
        pw_c = g.window("carol", "^Shared password with dave@localhost")
        g.shot("carol-password-dialog")
        g.type(pw_c, "purple otters")
        g.keys(pw_c, "Return")
        g.wait_log("carol", state_line("negotiating", "private"), 20, mark_c)
        g.wait_log("dave", state_line("negotiating", "private"), 20, mark_d)
        g.shot("password-verified")

    return [("plugins enabled, both signed on", plugins_loaded),
            ("start a private conversation, verify by fingerprint", start_and_verify_fingerprint),
            ("chat through the tunnel", chat),
            ("stop from the status menu", stop),
            ("key-changed warning", key_changed),
            ("verify by shared password", verify_by_password)]


def main(make_scenarios=None, description=None, fatal_steps=2, only=False, keep=None):
    """Runs @make_scenarios(g) (default: this file's) as TAP; other GUI files reuse it.
    A failure in one of the first @fatal_steps steps (None: in any step) skips the rest, which
    build on it. @only adds --only REGEX (the first step, which signs on, always runs).
    @keep(g) runs before cleanup (e.g. to copy logs next to the screenshots)."""
    ap = argparse.ArgumentParser(description=description or __doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plugin-dir", required=True)
    ap.add_argument("--artifacts", required=True)
    if only:
        ap.add_argument("--only", help="run only the steps whose names match this regex "
                        "(plus the first, which signs on; later steps build on the keys earlier "
                        "ones verified, so alone they may fail)")
    args = ap.parse_args()
    g = Gui(args)
    steps = (make_scenarios or scenarios)(g)
    if only and args.only:
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
                if fatal_steps is None or i <= fatal_steps:
                    broken = name
        print(f"# screenshots in {g.artifacts}", flush=True)
    finally:
        if keep is not None:
            keep(g)
        g.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
