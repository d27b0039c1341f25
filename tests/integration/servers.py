"""The server matrix of the integration tests (issue 9): Prosody with one domain, ejabberd with
its shipped configuration, two federated Prosodys, and Prosody federated with ejabberd. Every
server is a child process of the test driver, on loopback, with everything in a temporary
directory: no system service, nothing under /etc or /var is touched.

    topo = Topology.create("ejabberd", workdir).start()
    a_srv, b_srv = topo.alice_server, topo.bob_server   # the same object for one domain
    topo.register(a_srv, "alice1", "pw"); topo.make_friends(a_srv, "alice1", b_srv, "bob1")
    ... a_srv.domain, a_srv.port (c2s) ...
    topo.stop()

Topologies ("--topology" of test_integration.py):
    prosody     one Prosody, domain "localhost" (prosody.py; the whole suite runs there)
    ejabberd    one ejabberd 23.01, domain "localhost", the shipped /etc/ejabberd/ejabberd.yml
    federation  alice on Prosody "a.localhost" (127.0.0.1), bob on Prosody "b.localhost"
                (127.0.0.2), s2s between them
    mixed       alice on Prosody "a.localhost" (127.0.0.1), bob on ejabberd "b.localhost"
                (127.0.0.2), s2s between them

What it took (TESTING-NOTES style; checked on Debian bookworm, ejabberd 23.01-1, Erlang/OTP 25,
Prosody 0.12.3):

ejabberd
- `apt-get install ejabberd` starts nothing here (no systemd; policy-rc.d refuses), and its
  postinst writes /etc/ejabberd/ejabberd.yml (hosts from debconf, default "localhost") and a
  self-signed /etc/ejabberd/ejabberd.pem. The config is read at test time, parsed with
  python3-yaml and written back with only these changes: `hosts`, `certfiles` (our own
  self-signed cert for the test domain), every listener's `ip` to the server's loopback
  address and its `port` to a free one (c2s 5222 -> the test's port; s2s stays 5269 on its own
  address, see below), and on the c2s listeners `starttls_required: false` (see next point).
  Shapers (c2s "normal": 3000 B/s, burst 20000), max_stanza_size (262144 c2s, 524288 s2s),
  mod_fail2ban, mod_pres_counter, max_user_sessions, `s2s_use_starttls: required` and every
  module stay as shipped.
- STARTTLS on c2s: libpurple always takes STARTTLS when offered, and the wire-recording proxy
  must read what crossed the client connection (the "nothing readable on the wire" check). The
  shipped c2s listener says `starttls_required: true`; with `starttls_required: false` and no
  `starttls` option ejabberd offers no STARTTLS on c2s (s2s still does TLS: certfiles).
- Started like `ejabberdctl foreground` does it, but as the current user (root is fine: only
  ejabberdctl insists on su'ing to the ejabberd user, the VM does not care), directly with
  `erl`: `-sname xtls<token>@localhost -setcookie <random> -mnesia dir '"SPOOL"' -s ejabberd
  -noinput`, ERL_LIBS from /usr/sbin/ejabberdctl (/usr/lib/<triplet>), EJABBERD_CONFIG_PATH,
  EJABBERD_LOG_PATH and HOME (for .erlang.cookie) in the temp dir.
- No epmd: `-erl_epmd_port PORT -start_epmd false` puts the node's distribution on a fixed
  free port (OTP 23+), so no epmd daemon is spawned that would outlive the test. ejabberdctl-
  style calls are then `erl -sname ctl..@localhost -hidden -setcookie .. -erl_epmd_port PORT
  -start_epmd false -dist_listen false -eval 'rpc:call(Node, ...)'`. One VM per batch of
  calls (~0.4 s): register = ejabberd_auth:try_register/3, roster = mod_admin_extra:
  add_rosteritem/7 (what `ejabberdctl register` / `add_rosteritem` run).
- Up in ~1.5-2.5 s (mnesia creates its schema in the spool dir on first start). "Ready" is
  when the c2s port accepts *and* an rpc to ejabberd_auth answers (the listeners open before
  the modules are all started).
- SIGTERM makes the VM run init:stop (clean); SIGKILL after a bounded wait.

s2s without DNS
- Prosody 0.12 has no static s2s route option: tests/integration/prosody-modules/
  mod_xtls_test_routes.lua (loaded through `plugin_paths`) replaces
  net.resolvers.service.new for the configured domains with a fixed address:port. The same
  module makes Prosody offer no STARTTLS on c2s while it does TLS on s2s (ejabberd requires
  it as shipped): the recorder must read the client connections.
- ejabberd resolves s2s targets with DNS SRV (inet_res, honours ERL_INETRC's nameserver) and
  then getaddrinfo on the SRV target. ERL_INETRC points to a file naming a tiny DNS responder
  in the test driver (SrvResponder below, UDP on 127.0.0.1) that answers
  _xmpp-server._tcp.<domain> with target "127.0.0.N" and the right port; getaddrinfo takes
  the numeric target. Nothing else is resolved.
- Authentication between the servers: dialback (both sides' certificates are self-signed,
  so neither can verify the other; Prosody: s2s_secure_auth = false, ejabberd as shipped
  falls back to mod_s2s_dialback). TLS on s2s is used in both federated topologies.
"""

import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import yaml

from prosody import Prosody, ProsodyError, free_port

EJABBERD_YML = "/etc/ejabberd/ejabberd.yml"
EJABBERDCTL = "/usr/sbin/ejabberdctl"


class ServerError(RuntimeError):
    pass


class Unavailable(Exception):
    """A server of the topology cannot run on this machine (the TAP line says SKIP)."""


def make_cert(path_base, domain):
    """A self-signed RSA certificate for @domain: PATH_BASE.crt, PATH_BASE.key, PATH_BASE.pem
    (cert + key, the form ejabberd's certfiles takes)."""
    crt, key, pem = path_base + ".crt", path_base + ".key", path_base + ".pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
                    "-subj", f"/CN={domain}", "-addext", f"subjectAltName=DNS:{domain}",
                    "-keyout", key, "-out", crt],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=30)
    with open(pem, "w") as out:
        for p in (crt, key):
            with open(p) as f:
                out.write(f.read())
    os.chmod(key, 0o600)
    os.chmod(pem, 0o600)
    return crt, key, pem


def _wait_port(host, port, proc, timeout, what, tail):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"{what} exited with {proc.returncode}: {tail()}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerError(f"{what} did not accept on {host}:{port} within {timeout:.0f} s: {tail()}")


def _stop_proc(proc, timeout=8.0):
    if proc is None or proc.poll() is not None:
        return
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


def _pdeathsig(cmd):
    if shutil.which("setpriv"):
        # Dies with the driver even if the driver is SIGKILLed (Linux parent-death signal).
        return ["setpriv", "--pdeathsig", "KILL", "--"] + cmd
    return cmd


# ---- a DNS responder for ejabberd's s2s ---------------------------------------------------------


class SrvResponder:
    """Answers DNS queries over UDP on 127.0.0.1: SRV _xmpp-server._tcp.DOMAIN from @routes
    {domain: (ip, port)} with target IP (a numeric name getaddrinfo takes as it is), NXDOMAIN
    for everything else. Enough for Erlang's inet_res."""

    def __init__(self, routes):
        self.routes = {d.lower(): r for d, r in routes.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.queries = []
        self._thread = threading.Thread(target=self._loop, name="srv-responder", daemon=True)
        self._closed = False

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    @staticmethod
    def _name(labels):
        out = b""
        for label in labels:
            out += bytes([len(label)]) + label.encode()
        return out + b"\0"

    def _loop(self):
        while not self._closed:
            try:
                data, addr = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                reply = self._answer(data)
            except Exception:  # noqa: BLE001 - a malformed query gets no answer
                continue
            try:
                self.sock.sendto(reply, addr)
            except OSError:
                return

    def _answer(self, data):
        qid, _flags, qd = struct.unpack("!HHH", data[:6])
        i, labels = 12, []
        while data[i]:
            n = data[i]
            labels.append(data[i + 1:i + 1 + n].decode("ascii", "replace"))
            i += 1 + n
        qtype, _qclass = struct.unpack("!HH", data[i + 1:i + 5])
        question = data[12:i + 5]
        name = ".".join(labels).lower()
        self.queries.append((name, qtype))
        answers = b""
        count = 0
        prefix = "_xmpp-server._tcp."
        if qtype == 33 and name.startswith(prefix) and name[len(prefix):] in self.routes:
            ip, port = self.routes[name[len(prefix):]]
            rdata = struct.pack("!HHH", 0, 0, port) + self._name(ip.split("."))
            answers = b"\xc0\x0c" + struct.pack("!HHIH", 33, 1, 60, len(rdata)) + rdata
            count = 1
        rcode = 0 if count else 3  # NXDOMAIN
        flags = 0x8400 | 0x0100 | rcode  # response, authoritative, recursion desired
        return struct.pack("!HHHHHH", qid, flags, qd, count, 0, 0) + question + answers


# ---- ejabberd ----------------------------------------------------------------------------------


def ejabberd_available():
    """None if ejabberd can run here, else why not."""
    if not os.path.exists(EJABBERD_YML):
        return f"ejabberd is not installed ({EJABBERD_YML} missing; tests/deps.sh installs it)"
    if not shutil.which("erl"):
        return "erl (erlang-base) not found"
    if not _erl_libs():
        return f"cannot find ERL_LIBS in {EJABBERDCTL}"
    return None


def _erl_libs():
    try:
        with open(EJABBERDCTL) as f:
            for line in f:
                line = line.strip()
                if line.startswith("ERL_LIBS="):
                    return line.split("=", 1)[1].strip("'\"")
    except OSError:
        pass
    return None


class Ejabberd:
    """ejabberd 23.01 with the shipped configuration, on @address; see the module docstring."""

    kind = "ejabberd"

    def __init__(self, workdir, domain="localhost", address="127.0.0.1", name="ejabberd",
                 s2s_routes=None, s2s_port=5269, start_timeout=30.0):
        self.domain = domain
        self.address = address
        self.name = name
        self.dir = os.path.join(workdir, name)
        self.spool = os.path.join(self.dir, "spool")
        self.logs = os.path.join(self.dir, "logs")
        self.config_path = os.path.join(self.dir, "ejabberd.yml")
        self.console_path = os.path.join(self.dir, "console.log")
        self.log_path = os.path.join(self.logs, "ejabberd.log")
        self.s2s_routes = s2s_routes or {}  # domain -> (ip, port), answered by SrvResponder
        self.s2s_port = s2s_port if s2s_routes else None
        self.start_timeout = start_timeout
        self.token = secrets.token_hex(4)
        self.node = f"xtls{self.token}@localhost"
        self.cookie = secrets.token_hex(16)
        self.port = None
        self.dist_port = None
        self.proc = None
        self.dns = None
        self._console = None
        self.changes = []  # what differs from the shipped config, for the TAP diagnostics

    # ---- configuration ------------------------------------------------------------------

    def _write_config(self):
        for d in (self.spool, self.logs):
            os.makedirs(d, exist_ok=True)
        _crt, _key, pem = make_cert(os.path.join(self.dir, "cert"), self.domain)
        with open(EJABBERD_YML) as f:
            cfg = yaml.safe_load(f)
        self.changes = []

        def change(key, value):
            if cfg.get(key) != value:
                self.changes.append(f"{key}: {cfg.get(key)!r} -> {value!r}")
            cfg[key] = value

        change("hosts", [self.domain])
        change("certfiles", [pem])
        listen = []
        for item in cfg.get("listen", []):
            item = dict(item)
            module = item.get("module")
            old = (item.get("ip"), item.get("port"))
            item["ip"] = self.address
            if module == "ejabberd_c2s" and not item.get("tls"):
                item["port"] = self.port
                if item.get("starttls_required"):
                    self.changes.append("listen c2s: starttls_required true -> false (the "
                                        "recorder must read the client connection)")
                item["starttls_required"] = False
                item.pop("starttls", None)
            elif module == "ejabberd_s2s_in":
                if self.s2s_port is None:
                    item["port"] = free_port()
                else:
                    item["port"] = self.s2s_port
            else:
                item["port"] = free_port() if item.get("transport") != "udp" else \
                    _free_udp_port()
            self.changes.append(f"listen {module} {old[0]}:{old[1]} -> "
                                f"{item['ip']}:{item['port']}")
            listen.append(item)
        cfg["listen"] = listen
        if not self.s2s_routes:
            # One domain: nothing to federate with. Outgoing s2s still resolves through
            # inet_res; with an inetrc that names no nameserver it fails at once.
            pass
        with open(self.config_path, "w") as f:
            f.write("# Written by tests/integration/servers.py from " + EJABBERD_YML + "\n")
            for line in self.changes:
                f.write(f"#   changed: {line}\n")
            yaml.safe_dump(cfg, f, default_flow_style=False, sort_keys=False)
        inetrc = os.path.join(self.dir, "inetrc")
        with open(inetrc, "w") as f:
            # Order matters: {resolv_conf, ""} empties the nameserver list, so it comes first.
            # Then only our responder (if any), and "localhost" for the Erlang distribution
            # (-sname ..@localhost); nothing from /etc/resolv.conf or /etc/hosts.
            f.write("{resolv_conf, \"\"}.\n{hosts_file, \"\"}.\n")
            if self.dns is not None:
                f.write(f"{{nameserver, {{127,0,0,1}}, {self.dns.port}}}.\n")
            f.write("{host, {127,0,0,1}, [\"localhost\"]}.\n{lookup, [file, dns]}.\n")
        self.inetrc = inetrc

    def _env(self):
        env = dict(os.environ)
        env.update({
            "HOME": self.dir,
            "EJABBERD_CONFIG_PATH": self.config_path,
            "EJABBERD_LOG_PATH": self.log_path,
            "ERL_LIBS": _erl_libs(),
            "ERL_INETRC": self.inetrc,
            "ERL_CRASH_DUMP": os.path.join(self.logs, "erl_crash.dump"),
            "ERL_CRASH_DUMP_BYTES": "0",
            "CONTRIB_MODULES_CONF_DIR": os.path.join(self.dir, "modules.d"),
            "CONTRIB_MODULES_PATH": os.path.join(self.dir, "modules"),
        })
        env.pop("EJABBERD_PID_PATH", None)
        return env

    def _erl(self, node, *extra):
        return ["erl", "-sname", node, "-setcookie", self.cookie,
                "-erl_epmd_port", str(self.dist_port), "-start_epmd", "false", *extra]

    # ---- life cycle ---------------------------------------------------------------------

    def start(self):
        reason = ejabberd_available()
        if reason:
            raise Unavailable(reason)
        if self.s2s_routes:
            self.dns = SrvResponder(self.s2s_routes).start()
        last = None
        for _attempt in range(2):
            self.port = free_port()
            self.dist_port = free_port()
            if os.path.isdir(self.dir):
                shutil.rmtree(self.dir, ignore_errors=True)
            os.makedirs(self.dir)
            self._write_config()
            try:
                self._start_once()
                return self
            except ServerError as e:
                last = e
                self.stop()
        raise last

    def _start_once(self):
        t0 = time.monotonic()
        cmd = self._erl(self.node, "+K", "true", "+P", "250000",
                        "-mnesia", "dir", f'"{self.spool}"',
                        "-ejabberd", "log_rotate_count", "0",
                        "-s", "ejabberd", "-noinput")
        self._console = open(self.console_path, "ab")
        self.proc = subprocess.Popen(_pdeathsig(cmd), stdin=subprocess.DEVNULL,
                                     stdout=self._console, stderr=subprocess.STDOUT,
                                     cwd=self.spool, env=self._env())
        _wait_port(self.address, self.port, self.proc, self.start_timeout, "ejabberd",
                   self.tail_logs)
        # The listeners open before every module has started: wait for an rpc answer.
        deadline = t0 + self.start_timeout
        while True:
            try:
                out = self.rpc(["ejabberd_auth:user_exists(<<\"nobody\">>, "
                                f"<<\"{self.domain}\">>)"], timeout=10)
                if out == ["false"]:
                    break
            except ServerError as e:
                if time.monotonic() > deadline:
                    raise ServerError(f"ejabberd answers no rpc: {e}: {self.tail_logs()}")
            time.sleep(0.2)
        self.started_in = time.monotonic() - t0

    def stop(self):
        proc, self.proc = self.proc, None
        _stop_proc(proc)
        if self._console is not None:
            self._console.close()
            self._console = None
        if self.dns is not None:
            self.dns.stop()
            self.dns = None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail_logs(self, lines=15):
        out = []
        for path in (self.console_path, self.log_path, os.path.join(self.logs, "error.log")):
            try:
                with open(path, errors="replace") as f:
                    out += f.read().splitlines()[-lines:]
            except OSError:
                pass
        return " | ".join(out)

    # ---- ctl ----------------------------------------------------------------------------

    def rpc(self, exprs, timeout=20.0):
        """Evaluates each Erlang expression on the node (rpc:call of erl_eval); returns
        the printed results, one string per expression. One VM start for the whole batch."""
        fun = ("F = fun(S) -> {ok,T,_} = erl_scan:string(S), {ok,Es} = erl_parse:parse_exprs(T), "
               "R = rpc:call(N, erl_eval, exprs, [Es, []], 15000), "
               "io:format(\"~0p~n\", [case R of {value,V,_} -> V; X -> X end]) end")
        calls = [f"F({_erl_string(e + '.')})" for e in exprs]
        script = f"N = '{self.node}', {fun}, " + ", ".join(calls) + ", halt(0)."
        cmd = self._erl(f"ctl{secrets.token_hex(3)}@localhost", "-hidden", "-noinput",
                        "-dist_listen", "false", "-eval", script)
        try:
            res = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, timeout=timeout, env=self._env(),
                                 cwd=self.dir)
        except subprocess.TimeoutExpired:
            raise ServerError(f"rpc to ejabberd timed out after {timeout:.0f} s")
        lines = res.stdout.decode(errors="replace").splitlines()
        if res.returncode != 0 or len(lines) < len(exprs):
            raise ServerError(f"rpc failed ({res.returncode}): " + " | ".join(lines[-5:]))
        out = lines[-len(exprs):]
        if any(line.startswith("{badrpc") for line in out):
            raise ServerError("rpc: " + " | ".join(out))
        return out

    def register(self, user, password):
        out = self.rpc([f"ejabberd_auth:try_register({_erl_bin(user)}, "
                        f"{_erl_bin(self.domain)}, {_erl_bin(password)})"])
        if out[0] != "ok":
            raise ServerError(f"ejabberd register {user}: {out[0]}")

    def add_roster_item(self, user, jid, name):
        ruser, rdomain = jid.split("@", 1)
        out = self.rpc([f"mod_admin_extra:add_rosteritem({_erl_bin(user)}, "
                        f"{_erl_bin(self.domain)}, {_erl_bin(ruser)}, {_erl_bin(rdomain)}, "
                        f"{_erl_bin(name)}, <<>>, <<\"both\">>)"])
        if out[0] != "ok":
            raise ServerError(f"ejabberd add_rosteritem {user} {jid}: {out[0]}")


def _erl_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _erl_bin(text):
    return "<<" + _erl_string(text) + "/utf8>>"


def _free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _batch_register(server, users, rosters):
    """@users [(user, password)], @rosters [(user, jid, name)] on one server, in one go."""
    if isinstance(server, Ejabberd):
        exprs = [f"ejabberd_auth:try_register({_erl_bin(u)}, {_erl_bin(server.domain)}, "
                 f"{_erl_bin(pw)})" for u, pw in users]
        for u, jid, name in rosters:
            ruser, rdomain = jid.split("@", 1)
            exprs.append(f"mod_admin_extra:add_rosteritem({_erl_bin(u)}, "
                         f"{_erl_bin(server.domain)}, {_erl_bin(ruser)}, {_erl_bin(rdomain)}, "
                         f"{_erl_bin(name)}, <<>>, <<\"both\">>)")
        out = server.rpc(exprs)
        bad = [f"{e.split('(')[0]}: {r}" for e, r in zip(exprs, out) if r != "ok"]
        if bad:
            raise ServerError("ejabberd: " + "; ".join(bad))
        return
    for u, pw in users:
        server.register(u, pw)
    for u, jid, name in rosters:
        server.add_roster_item(u, jid, name)


class Topology:
    """The servers of one run, and which one alice and bob are on."""

    NAMES = ("prosody", "ejabberd", "federation", "mixed")

    def __init__(self, name, servers, alice_server, bob_server):
        self.name = name
        self.servers = servers
        self.alice_server = alice_server
        self.bob_server = bob_server

    @classmethod
    def create(cls, name, workdir):
        if name == "prosody":
            p = Prosody(workdir)
            return cls(name, [p], p, p)
        if name == "ejabberd":
            e = Ejabberd(workdir)
            return cls(name, [e], e, e)
        if name in ("federation", "mixed"):
            a_dom, b_dom = "a.localhost", "b.localhost"
            a_ip, b_ip = "127.0.0.1", "127.0.0.2"
            a_s2s, b_s2s = free_port(), _free_port_on(b_ip)
            a = Prosody(workdir, domain=a_dom, address=a_ip, name="prosody-a",
                        s2s_routes={b_dom: (b_ip, b_s2s)}, s2s_port=a_s2s)
            server_b = Prosody if name == "federation" else Ejabberd
            b = server_b(workdir, domain=b_dom, address=b_ip,
                         name="prosody-b" if name == "federation" else "ejabberd-b",
                         s2s_routes={a_dom: (a_ip, a_s2s)}, s2s_port=b_s2s)
            return cls(name, [a, b], a, b)
        raise ValueError(f"unknown topology {name!r} (one of {', '.join(cls.NAMES)})")

    def start(self):
        t0 = time.monotonic()
        try:
            for s in self.servers:
                s.start()
        except ProsodyError as e:
            self.stop()
            raise ServerError(str(e))
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - t0
        return self

    def stop(self):
        for s in reversed(self.servers):
            try:
                s.stop()
            except Exception:  # noqa: BLE001 - stop the others anyway
                pass

    def alive(self):
        return all(s.alive() for s in self.servers)

    def tail_logs(self):
        return " || ".join(f"{s.name}: {s.tail_logs()}" for s in self.servers)

    def describe(self):
        out = []
        for s in self.servers:
            text = f"{s.name}: {s.kind} {s.domain} c2s {s.address}:{s.port}"
            if s.s2s_port:
                text += f", s2s {s.address}:{s.s2s_port}"
            out.append(text)
        return "; ".join(out)

    def register(self, server, user, password):
        _batch_register(server, [(user, password)], [])

    def make_pair(self, a_user, a_pw, b_user, b_pw):
        """Registers @a_user on alice's server and @b_user on bob's, each in the other's
        roster with subscription both (before they sign in)."""
        a, b = self.alice_server, self.bob_server
        a_jid, b_jid = f"{a_user}@{a.domain}", f"{b_user}@{b.domain}"
        if a is b:
            _batch_register(a, [(a_user, a_pw), (b_user, b_pw)],
                            [(a_user, b_jid, b_user), (b_user, a_jid, a_user)])
        else:
            _batch_register(a, [(a_user, a_pw)], [(a_user, b_jid, b_user)])
            _batch_register(b, [(b_user, b_pw)], [(b_user, a_jid, a_user)])


def _free_port_on(address):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((address, 0))
        return s.getsockname()[1]
