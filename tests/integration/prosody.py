"""A private Prosody on 127.0.0.1 for the integration tests.

Everything lives in a temporary directory: config, data, log, pid file. There is no
certificate and mod_tls is not loaded, so Prosody offers no STARTTLS: the client-server
connections stay plaintext and the recording proxy (wireproxy.py) can read what crossed them.
s2s is disabled, so nothing can ever leave the machine (a stanza to another domain gets
remote-server-not-found at once).

Usage:
    with Prosody(workdir) as server:
        server.register("alice1", "pw")
        server.make_friends("alice1", "bob1")
        ... server.port ...
"""

import os
import shutil
import signal
import socket
import subprocess
import time

DOMAIN = "localhost"


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lua_string(text):
    """A Lua string literal (the config and data files are Lua)."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) < 32:
            out.append("\\%03d" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _encode_path_part(part):
    """Prosody's datamanager file-name encoding: every byte outside [A-Za-z0-9] as %xx."""
    return "".join(ch if ch.isascii() and ch.isalnum() else "%%%02x" % ord(ch) for ch in part)


class ProsodyError(RuntimeError):
    pass


class Prosody:
    kind = "prosody"

    def __init__(self, workdir, start_timeout=10.0, domain=DOMAIN, address="127.0.0.1",
                 name="prosody", s2s_routes=None, s2s_port=5269, proxy65_port=None):
        """@s2s_routes {domain: (ip, port)}: federation (servers.py). Then s2s listens on
        @address port @s2s_port, with TLS (a self-signed certificate for @domain) and dialback,
        and s2s to those domains goes to the given address (mod_xtls_test_routes); the
        client connections stay without STARTTLS. Without it: no s2s at all."""
        self.domain = domain
        self.address = address
        self.name = name
        self.proxy65_port = proxy65_port  # mod_proxy65 (XEP-0065) as proxy.DOMAIN, or None
        self.s2s_routes = s2s_routes
        self.s2s_port = s2s_port if s2s_routes else None
        self.dir = os.path.join(workdir, name)
        self.data_path = os.path.join(self.dir, "data")
        self.config_path = os.path.join(self.dir, "prosody.cfg.lua")
        self.log_path = os.path.join(self.dir, "prosody.log")
        self.console_path = os.path.join(self.dir, "console.log")
        self.start_timeout = start_timeout
        self.port = None
        self.proc = None
        self._console = None
        self._rosters = {}  # user -> {jid: name}, what make_friends() wrote

    # ---- configuration ------------------------------------------------------------------

    def _write_config(self):
        os.makedirs(self.data_path, exist_ok=True)
        # An empty certificate dir: Prosody must not find /etc/prosody/certs/localhost.*.
        os.makedirs(os.path.join(self.dir, "certs"), exist_ok=True)
        d = lambda name: _lua_string(os.path.join(self.dir, name))
        if self.s2s_routes:
            return self._write_federated_config(d)
        config = f"""-- Written by tests/integration/prosody.py; a throwaway server on loopback.
run_as_root = true -- CI runs as root; without this Prosody refuses and hangs
pidfile = {d("prosody.pid")}
data_path = {_lua_string(self.data_path)}
certificates = {d("certs")}
interfaces = {{ "127.0.0.1" }}
local_interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {self.port} }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ }}
s2s_direct_tls_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
authentication = "internal_plain"
storage = "internal"
c2s_require_encryption = false
s2s_require_encryption = false
allow_unencrypted_plain_auth = true
c2s_stanza_size_limit = 1024*1024
network_settings = {{ nagle = false }}
-- No mod_tls (no STARTTLS: the proxy must read the wire) and no mod_limits (it would
-- throttle IBB to 10 KiB/s). No s2s: nothing leaves the machine.
modules_enabled = {{ "roster", "saslauth", "disco", "ping", "private", "vcard" }}
modules_disabled = {{ "s2s", "s2s_auth_certs" }}
log = {{ {{ levels = {{ min = "info" }}, to = "file", filename = {_lua_string(self.log_path)} }} }}

VirtualHost "{self.domain}"
"""
        if self.proxy65_port:
            # A SOCKS5 bytestream proxy on loopback (its ports are global settings), listed
            # in the host's disco#items.
            vhost = f'VirtualHost "{self.domain}"'
            config = config.replace(vhost, f"""proxy65_ports = {{ {self.proxy65_port} }}
proxy65_interfaces = {{ "127.0.0.1" }}

{vhost}""")
            config += f"""
Component "proxy.{self.domain}" "proxy65"
    proxy65_address = "127.0.0.1"
"""
        with open(self.config_path, "w") as f:
            f.write(config)

    def _write_federated_config(self, d):
        """Federation (servers.py): s2s on self.address:self.s2s_port with TLS and dialback, routes
        to the other domains without DNS, c2s as in the one-domain config."""
        from servers import make_cert  # noqa: PLC0415 - servers.py imports this module
        certs = os.path.join(self.dir, "certs")
        crt, key, _pem = make_cert(os.path.join(certs, self.domain), self.domain)
        routes = "; ".join(f"[{_lua_string(dom)}] = {{ {_lua_string(ip)}, {port} }}"
                           for dom, (ip, port) in sorted(self.s2s_routes.items()))
        modules_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                   "prosody-modules")
        config = f"""-- Written by tests/integration/prosody.py; a throwaway federated server on loopback.
run_as_root = true
pidfile = {d("prosody.pid")}
data_path = {_lua_string(self.data_path)}
certificates = {_lua_string(certs)}
plugin_paths = {{ {_lua_string(modules_dir)} }}
interfaces = {{ {_lua_string(self.address)} }}
local_interfaces = {{ {_lua_string(self.address)} }}
c2s_ports = {{ {self.port} }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ {self.s2s_port} }}
s2s_direct_tls_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
authentication = "internal_plain"
storage = "internal"
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
c2s_stanza_size_limit = 1024*1024
-- s2s: TLS (ejabberd requires it as shipped), certificates cannot be verified (self-signed),
-- so dialback authenticates (s2s_secure_auth off), as between most small servers.
s2s_require_encryption = true
s2s_secure_auth = false
network_settings = {{ nagle = false }}
xtls_test_s2s_routes = {{ {routes} }}
xtls_test_plain_c2s = true
modules_enabled = {{ "roster", "saslauth", "disco", "ping", "private", "vcard", "tls",
                     "dialback", "xtls_test_routes" }}
log = {{ {{ levels = {{ min = "info" }}, to = "file", filename = {_lua_string(self.log_path)} }} }}

VirtualHost "{self.domain}"
ssl = {{ certificate = {_lua_string(crt)}; key = {_lua_string(key)}; }}
"""
        with open(self.config_path, "w") as f:
            f.write(config)

    # ---- life cycle ---------------------------------------------------------------------

    def start(self):
        """Starts Prosody in the foreground; returns once its c2s port accepts."""
        last_error = None
        for _attempt in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            self._write_config()
            try:
                self._start_once()
                return self
            except ProsodyError as e:
                last_error = e
                self.stop()
        raise last_error

    def _start_once(self):
        cmd = ["prosody", "--config", self.config_path]
        if shutil.which("setpriv"):
            # Dies with the driver even if the driver is SIGKILLed (Linux parent-death signal).
            cmd = ["setpriv", "--pdeathsig", "KILL", "--"] + cmd
        self._console = open(self.console_path, "ab")
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._console,
            stderr=subprocess.STDOUT,
            cwd=self.dir,
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ProsodyError(
                    f"prosody exited with {self.proc.returncode}: {self.tail_logs()}")
            try:
                with socket.create_connection((self.address, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise ProsodyError(f"prosody did not accept on port {self.port} within "
                           f"{self.start_timeout:.0f} s: {self.tail_logs()}")

    def stop(self, timeout=5.0):
        """SIGTERM, bounded wait, then SIGKILL. Safe to call twice."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            try:
                proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=timeout)
            except ProcessLookupError:
                pass
        if self._console is not None:
            self._console.close()
            self._console = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail_logs(self, lines=15):
        out = []
        for path in (self.console_path, self.log_path):
            try:
                with open(path, errors="replace") as f:
                    out += f.read().splitlines()[-lines:]
            except OSError:
                pass
        return " | ".join(out)

    # ---- users --------------------------------------------------------------------------

    def register(self, user, password, timeout=20.0):
        """Creates @user with prosodyctl (works while the server runs)."""
        try:
            result = subprocess.run(
                ["prosodyctl", "--config", self.config_path, "register", user, self.domain, password],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                cwd=self.dir,
            )
        except subprocess.TimeoutExpired:
            raise ProsodyError(f"prosodyctl register {user} timed out after {timeout:.0f} s")
        if result.returncode != 0:
            # Its output never contains the password.
            raise ProsodyError(f"prosodyctl register {user} failed ({result.returncode}): "
                               + result.stdout.decode(errors="replace").strip())
        if not os.path.exists(self._store_path(user, "accounts")):
            raise ProsodyError(f"prosodyctl register {user}: no account file appeared")

    def _store_path(self, user, store):
        return os.path.join(self.data_path, _encode_path_part(self.domain), store,
                            _encode_path_part(user) + ".dat")

    def make_friends(self, user_a, user_b):
        """Mutual roster entries with subscription "both", written into the data dir (Prosody
        0.12 internal storage, Lua); Prosody reads a roster when its user signs in, so this
        must happen before the clients connect."""
        self._add_roster_item(user_a, f"{user_b}@{self.domain}", user_b)
        self._add_roster_item(user_b, f"{user_a}@{self.domain}", user_a)

    def add_roster_item(self, user, jid, name):
        """One roster entry (subscription "both") for @user, e.g. a contact on another
        server (servers.py); before @user signs in."""
        self._add_roster_item(user, jid, name)

    def _add_roster_item(self, user, jid, name):
        path = self._store_path(user, "roster")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        items = self._rosters.setdefault(user, {})
        items[jid] = name
        body = ["return {", '\t[false] = { ["version"] = 1; ["pending"] = { }; };']
        for item_jid, item_name in sorted(items.items()):
            body.append(f"\t[{_lua_string(item_jid)}] = {{ [\"subscription\"] = \"both\"; "
                        f"[\"name\"] = {_lua_string(item_name)}; [\"groups\"] = {{ }}; }};")
        body.append("};")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write("\n".join(body) + "\n")
        os.replace(tmp, path)
