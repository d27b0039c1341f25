#!/usr/bin/env python3
"""Opens two real Pidgin windows, alice and bob, on a private Prosody at 127.0.0.1, each with
its own profile and the XTLS plugins enabled, ready for you to start a private conversation
(the padlock button in the conversation's toolbar, or Alt+P). Runs until both Pidgins are
closed or you press Ctrl+C, then removes everything it created.

    python3 tests/integration/pidgin_demo.py --plugin-dir build/plugin
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from xml.sax.saxutils import escape

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from prosody import DOMAIN, Prosody  # noqa: E402

ACCOUNTS = """<?xml version='1.0' encoding='UTF-8' ?>
<account version='1.0'>
 <account>
  <protocol>prpl-jabber</protocol>
  <name>{jid}</name>
  <password>{password}</password>
  <settings>
   <setting name='connect_server' type='string'>127.0.0.1</setting>
   <setting name='port' type='int'>{port}</setting>
   <setting name='connection_security' type='string'>opportunistic_tls</setting>
   <setting name='auth_plain_in_clear' type='bool'>1</setting>
  </settings>
  <settings ui='gtk-gaim'>
   <setting name='auto-login' type='bool'>1</setting>
  </settings>
 </account>
</account>
"""

# The docklet and sound settings avoid a late buddy list and a hang on exit (TESTING-NOTES);
# UPnP and IP discovery stay off so nothing leaves 127.0.0.1.
PREFS = """<?xml version='1.0' encoding='UTF-8' ?>
<pref version='1' name='/'>
 <pref name='purple'>
  <pref name='network'>
   <pref name='map_ports' type='bool' value='0'/>
   <pref name='auto_ip' type='bool' value='0'/>
   <pref name='public_ip' type='string' value='127.0.0.1'/>
  </pref>
 </pref>
 <pref name='pidgin'>
  <pref name='plugins'>
   <pref name='loaded' type='pathlist'>
    <item value='{gtk_plugin}'/>
   </pref>
  </pref>
  <pref name='docklet'>
   <pref name='show' type='string' value='never'/>
  </pref>
  <pref name='sound'>
   <pref name='method' type='string' value='none'/>
  </pref>
 </pref>
</pref>
"""


def make_profile(root, name, jid, password, port, plugin_dir):
    profile = os.path.join(root, name)
    plugins = os.path.join(profile, "plugins")
    os.makedirs(plugins)
    for module in ("purple/pidgin-xtls.so", "gtk/pidgin-xtls-gtk.so"):
        os.symlink(os.path.join(plugin_dir, module),
                   os.path.join(plugins, os.path.basename(module)))
    with open(os.path.join(profile, "accounts.xml"), "w") as f:
        f.write(ACCOUNTS.format(jid=escape(jid), password=escape(password), port=port))
    with open(os.path.join(profile, "prefs.xml"), "w") as f:
        f.write(PREFS.format(gtk_plugin=escape(os.path.join(plugins, "pidgin-xtls-gtk.so"))))
    return profile


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plugin-dir", required=True, help="the build's plugin/ directory")
    args = ap.parse_args()
    plugin_dir = os.path.abspath(args.plugin_dir)
    workdir = tempfile.mkdtemp(prefix="xtls-pidgin-demo-")
    prosody = Prosody(os.path.join(workdir, "prosody"))
    pidgins = []
    try:
        prosody.start()
        for user in ("alice", "bob"):
            prosody.register(user, f"{user}-login")
        prosody.make_friends("alice", "bob")
        env = dict(os.environ, GST_REGISTRY=os.path.join(workdir, "gst.bin"),
                   XTLS_DATA_DIR=os.path.join(plugin_dir, "gtk"))
        for user in ("alice", "bob"):
            profile = make_profile(workdir, user, f"{user}@{DOMAIN}/pidgin", f"{user}-login",
                                   prosody.port, plugin_dir)
            log = open(os.path.join(workdir, f"{user}.log"), "w")
            pidgins.append(subprocess.Popen(["pidgin", "-c", profile], env=env, stdout=log,
                                            stderr=subprocess.STDOUT))
        print(f"Two Pidgin windows are open: alice@{DOMAIN} and bob@{DOMAIN}, friends on a "
              f"private Prosody at 127.0.0.1:{prosody.port}.\n"
              "Open a conversation (double-click the buddy), then click the padlock button at "
              "the right of its toolbar\n(or press Alt+P) and choose Start private "
              "conversation. Close both windows or press Ctrl+C to finish.", flush=True)
        while any(p.poll() is None for p in pidgins):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for p in pidgins:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in pidgins:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        prosody.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
