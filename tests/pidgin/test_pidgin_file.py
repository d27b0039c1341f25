#!/usr/bin/env python3
"""Encrypted Send File in real Pidgin 2.14 under Xvfb (issue 11): alice and bob start a private
conversation and verify each other (fingerprint), alice picks Conversation → Send File and
types the path into Pidgin's file chooser, bob accepts in Pidgin's accept dialog and types
where to save it, both File Transfers windows show the end. Asserts that bob's file equals
alice's, that no partial file is left, that each conversation log says the file went
privately, and that the transfer was an XTLS file session (debug log), not libpurple's SI.
Screenshots of every step, as in test_pidgin.py.

    python3 tests/pidgin/test_pidgin_file.py --plugin-dir build/plugin --artifacts DIR
"""

import glob
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from test_pidgin import Failure, main, state_line  # noqa: E402

SIZE = 3 * 1024 * 1024 + 123


def visible_windows(g, name):
    pid = str(g.pidgins[name][0].pid)
    return set(g.xdo("search", "--all", "--onlyvisible", "--pid", pid, "--name", ".*").split())


def new_window(g, name, before, what, timeout=15):
    """A visible window of @name's Pidgin that was not in @before."""
    return g.wait(lambda: next(iter(visible_windows(g, name) - before), None), timeout, what)


def set_folders(g, name, send_dir, receive_dir):
    """Pidgin's file choosers open in the folder last used (prefs /pidgin/filelocations): there
    a file name is all the user types (xdotool loses characters to the chooser's completion of
    a typed absolute path). The File Transfers window is kept open."""
    prefs = os.path.join(g.dir, name, "prefs.xml")
    with open(prefs) as f:
        text = f.read()
    folders = (f"  <pref name='filelocations'>\n"
               f"   <pref name='last_open_folder' type='path' value='{send_dir}'/>\n"
               f"   <pref name='last_save_folder' type='path' value='{receive_dir}'/>\n"
               f"  </pref>\n"
               # The File Transfers window stays open with the finished transfer in it (by
               # default it closes itself when everything is done).
               f"  <pref name='filetransfer'>\n"
               f"   <pref name='keep_open' type='bool' value='1'/>\n"
               f"   <pref name='clear_finished' type='bool' value='0'/>\n"
               f"  </pref>\n")
    with open(prefs, "w") as f:
        f.write(text.replace(" <pref name='pidgin'>\n", " <pref name='pidgin'>\n" + folders, 1))


def conv_log(g, name, peer):
    pattern = os.path.join(g.pidgins[name][1], "logs", "jabber", f"{name}@localhost",
                           f"{peer}@localhost", "*.txt")
    text = ""
    for path in glob.glob(pattern):
        with open(path, errors="replace") as f:
            text += f.read()
    return text


def steps(g):
    state = {}

    def private_conversation():
        g.prepare("alice", "alice")
        g.prepare("bob", "bob")
        g.prosody.make_friends("alice", "bob")
        for name in ("alice", "bob"):
            os.makedirs(os.path.join(g.dir, f"{name}-files"))
            set_folders(g, name, os.path.join(g.dir, f"{name}-files"),
                        os.path.join(g.dir, f"{name}-files"))
        g.pidgin("alice", "alice")
        g.pidgin("bob", "bob")
        g.wait_log("alice", r"bob@localhost/pidgin", 15)
        time.sleep(1.5)  # caps
        conv = g.open_conversation("alice", "bob")
        mark_a, mark_b = g.log_size("alice"), g.log_size("bob")
        g.status_menu(conv, "s")
        g.keys(g.window("bob", "^Verify alice@localhost"), "alt+v")
        g.keys(g.window("alice", "^Verify bob@localhost"), "alt+v")
        g.wait_log("alice", state_line("negotiating", "private"), 20, mark_a)
        g.wait_log("bob", state_line("negotiating", "private"), 20, mark_b)
        bob_conv = g.window("bob", "^alice$")
        g.xdo("windowmove", bob_conv, "650", "0")
        state["conv"] = conv
        g.shot("file-private")

    def send_file():
        path = os.path.join(g.dir, "alice-files", "holiday-photos.bin")
        with open(path, "wb") as f:
            f.write(os.urandom(SIZE))
        state["path"] = path
        conv = state["conv"]
        state["mark_a"], state["mark_b"] = g.log_size("alice"), g.log_size("bob")
        bob_before = visible_windows(g, "bob")
        g.keys(conv, "alt+c", "n")  # Conversation → Se_nd File...
        chooser = g.window("alice", r"^Open File\.\.\.$")
        g.shot("file-chooser")
        g.keys(chooser, "ctrl+l")  # the location entry, in alice-files
        time.sleep(0.5)
        g.type(chooser, os.path.basename(path))
        time.sleep(0.5)
        g.keys(chooser, "Return")
        g.wait_log("alice", r"urn:xmpp:jingle:apps:file-transfer:5", 15, state["mark_a"])
        state["accept"] = new_window(g, "bob", bob_before, "bob's accept dialog", 20)
        g.xdo("windowmove", state["accept"], "300", "300")
        g.shot("bob-accept-dialog")

    def accept_and_save():
        g.keys(state["accept"], "alt+a")
        save = g.window("bob", r"^Save File\.\.\.$")
        # The suggested name (the sender's) in bob's folder: the user only confirms.
        state["dest"] = os.path.join(g.dir, "bob-files", "holiday-photos.bin")
        time.sleep(0.5)
        g.shot("bob-save-as")
        g.keys(save, "Return")

    def completed():
        dest, path = state["dest"], state["path"]

        def arrived():
            if not os.path.exists(dest):
                return False
            with open(dest, "rb") as a, open(path, "rb") as b:
                return a.read() == b.read()
        g.wait(arrived, 60, "bob's file to equal alice's")
        g.wait(lambda: "was received privately" in conv_log(g, "bob", "alice"), 15,
               "bob's conversation log to say the file was received privately")
        g.wait(lambda: "was sent privately" in conv_log(g, "alice", "bob"), 15,
               "alice's conversation log to say the file was sent privately")
        leftovers = [f for f in os.listdir(os.path.dirname(dest)) if f != "holiday-photos.bin"]
        if leftovers:
            raise Failure(f"partial files left: {leftovers}")
        for name, mark in (("alice", state["mark_a"]), ("bob", state["mark_b"])):
            text = g.log_text(name)[mark:]
            if "http://jabber.org/protocol/si'" in text and "<si " in text:
                raise Failure(f"{name}'s debug log shows a libpurple SI file offer")
            if "urn:xmpp:jingle:apps:file-transfer:5" not in text:
                raise Failure(f"{name}'s debug log shows no encrypted Jingle file offer")
        for name, x in (("alice", "0"), ("bob", "650")):
            win = g.window(name, "^File Transfers")
            g.xdo("windowmove", win, x, "420")
        g.shot("file-transfers-finished")

    return [("private conversation, both verified", private_conversation),
            ("Send File from the conversation menu, the file chooser", send_file),
            ("bob accepts and chooses where to save", accept_and_save),
            ("file arrives identical, both transfer windows finished", completed)]


if __name__ == "__main__":
    sys.exit(main(steps, __doc__, fatal_steps=None))
