"""The integration-test harness: headless clients, event waits, TAP output, clean-up.

xtls-client line protocol (xtls-client*.c). Commands, one per line on stdin (fields separated
by single spaces, the last one may contain spaces):
    im JID TEXT                 type TEXT into the IM conversation (purple_conv_im_send)
    im-nolink JID TEXT          the same with PURPLE_MESSAGE_NO_LINKIFY (no links made for display)
    serv-im JID TEXT            as a bot sends: serv_send_im(), no conversation -> SERV-IM-SENT JID RC
    cmd JID COMMANDLINE         run a conversation command there, e.g. "cmd bob@localhost
                                xtls start" -> CMD STATUS [ERROR] (PurpleCmdStatus)
    ipc NAME ARGS...            the plugin's IPC (xtls-api.h; the account is implicit)
                                -> IPC NAME RESULT | IPC NAME ERROR WHY
    answer ID INDEX             choose the INDEX-th choice/action of request ID
    answer-input ID TEXT        fill an input request, or the first string field of a
                                fields request, and press OK
    cancel ID                   cancel a request (action requests: close without a callback)
    sendfile JID PATH           serv_send_file (incoming transfers are auto-accepted)
    xfercancel NAME [BYTES]     cancel the transfer of file NAME once BYTES moved (0: now)
    xferask on|off              incoming transfers: libpurple's accept and save requests
    feature FULL_JID NS         jabber prpl's contact_has_feature -> FEATURE JID NS 0|1
    claim on|off                what the handler of "xtls-decision-needed" returns
    contract                    registered signatures -> CONTRACT signal|ipc NAME SIG, CONTRACT end
    load | unload               the xtls plugin -> PLUGIN loaded PATH | PLUGIN unloaded ...
    offline | online            purple_account_disconnect / connect -> SIGNED-OFF / READY
    ping -> PONG;  quit -> BYE, exit 0 (also on EOF and SIGTERM)
Events, one per line on stdout (texts escape \\ \n \r \t):
    READY | SIGNED-OFF | CONN-ERROR N TEXT | DISCONNECTED N TEXT
    CONV CONVNAME WHO FLAGS TEXT     what libpurple writes into a conversation (WHO "-" if
                                     none; FLAGS = PurpleMessageFlags)
    RECV FROM FLAGS TEXT             the received-im-msg signal
    REQUEST ID KIND TITLE\tPRIMARY\tSECONDARY\tCHOICE0\tCHOICE1...
                                     KIND action|choice|input[-masked]|fields[-masked]|file
    REQUEST-CLOSED ID | ANSWERED ID | NOTIFY ...
    SIGNAL state PEER STATE REASON ("-" when NULL) | SIGNAL decision PEER N |
    SIGNAL msgstatus PEER 0|1 TEXT
    PRESENCE JID available|unavailable|TYPE (full JIDs from every presence stanza, bare JIDs
                                     from buddy-signed-on/off)
    XFER request FROM NAME SIZE | XFER start NAME | XFER done NAME BYTES |
    XFER sent NAME BYTES | XFER failed NAME LOCAL (LOCAL 1: cancelled here) |
    XFER progress NAME BYTES (every tenth) | XFER cancelling NAME BYTES | XFERCANCEL NAME N | XFERASK on|off
    PLUGIN loaded PATH | PLUGIN missing | PLUGIN none | PLUGIN load-failed WHY |
    PLUGIN signals N | PLUGIN contract-mismatch ...
    IM-SENT JID | SENDFILE JID | CLAIM on|off
    GLOG LEVEL DOMAIN TEXT (GLib warnings and criticals) | ERROR TEXT
"""

import os
import re
import signal
import subprocess
import sys
import threading
import time
import traceback

DEFAULT_TIMEOUT = 10.0

# PurpleMessageFlags (conversation.h) used by the tests.
MSG_SEND = 0x0001
MSG_RECV = 0x0002
MSG_SYSTEM = 0x0004
MSG_ERROR = 0x0200
MSG_NO_LOG = 0x0040

# XTLS_API_STATE_* (plugin/purple/xtls-api.h).
STATE_NOT_PRIVATE = 0
STATE_NEGOTIATING = 1
STATE_UNVERIFIED = 2
STATE_PRIVATE = 3
STATE_FINISHED = 4
STATE_FAILED = 5

_children_lock = threading.Lock()
_children = set()  # every Popen this process started and has not reaped


class HarnessError(AssertionError):
    """A scenario failure; the message is what the TAP diagnostics show."""


def unescape(text):
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append({"n": "\n", "r": "\r", "t": "\t", "\\": "\\"}.get(nxt, "\\" + nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


class Request:
    """A parsed REQUEST event."""

    def __init__(self, line):
        m = re.match(r"REQUEST (\d+) (\S+) (.*)$", line)
        if not m:
            raise HarnessError(f"not a REQUEST line: {line!r}")
        self.id = int(m.group(1))
        self.kind = m.group(2)  # action | choice | input[-masked] | fields[-masked] | file
        parts = [unescape(p) for p in m.group(3).split("\t")]
        parts += [""] * (3 - len(parts))
        self.title, self.primary, self.secondary = parts[:3]
        self.choices = parts[3:]
        self.line = line

    @property
    def text(self):
        return " ".join([self.title, self.primary, self.secondary])

    @property
    def masked(self):
        return self.kind.endswith("-masked")

    def choice_index(self, *needles):
        """The index of the first choice containing one of @needles (case-insensitive; the
        needles are tried in order), or None."""
        for needle in needles:
            for i, label in enumerate(self.choices):
                if needle.lower() in label.lower():
                    return i
        return None

    def __repr__(self):
        return f"Request({self.id} {self.kind} {self.text!r} choices={self.choices})"


def register_child(proc):
    with _children_lock:
        _children.add(proc)


def kill_all_children():
    """Last resort (global timeout, atexit): SIGKILL everything we started."""
    with _children_lock:
        procs = list(_children)
    for p in procs:
        try:
            if p.poll() is None:
                p.kill()
        except OSError:
            pass


def sanitizer_env():
    """Environment for a client. Under -Db_sanitize=address the client runs with ASan, and
    libpurple does not free everything at exit, so leak detection would fail every run:
    detect_leaks=0. Real memory errors (use-after-free, overflows) still abort the client and
    are reported from its stderr."""
    env = dict(os.environ)
    asan = env.get("ASAN_OPTIONS", "")
    if "detect_leaks" not in asan:
        asan = (asan + ":" if asan else "") + "detect_leaks=0"
    env["ASAN_OPTIONS"] = asan
    ubsan = env.get("UBSAN_OPTIONS", "")
    if "print_stacktrace" not in ubsan:
        env["UBSAN_OPTIONS"] = (ubsan + ":" if ubsan else "") + "print_stacktrace=1"
    # GLib's fatal-criticals (set for the unit tests) would turn libpurple's own harmless
    # criticals into crashes; the client reports criticals as GLOG events instead.
    env.pop("G_DEBUG", None)
    return env


class Client:
    """One xtls-client process: send commands, wait for events."""

    def __init__(self, run, name, jid, password, proxy, user_dir, plugin=True,
                 download_dir=None, args=()):
        self.run = run
        self.name = name
        self.jid = jid
        self.bare = jid.split("/")[0]
        self.password = password
        self.proxy = proxy
        self.user_dir = user_dir
        self.plugin = plugin
        self.args = list(args)  # more xtls-client options (e.g. --max-file-size)
        self.download_dir = download_dir or os.path.join(user_dir, "downloads")
        self.stderr_path = os.path.join(run.dir, f"client-{name}.stderr")
        self.events_path = os.path.join(run.dir, f"client-{name}.events")
        self.events = []  # event lines, in arrival order
        self.times = []  # time.monotonic() of each event
        self.cursor = 0  # where wait_for() searches from by default
        self.proc = None
        self._cond = threading.Condition()
        self._reader = None
        self._eof = False

    # ---- process --------------------------------------------------------------------------

    def start(self):
        cmd = [self.run.client_exe,
               "--user-dir", self.user_dir,
               "--jid", self.jid,
               "--password", self.password,
               "--port", str(self.proxy.port),
               "--download-dir", self.download_dir,
               "--max-lifetime", str(int(self.run.max_lifetime))]
        if self.plugin:
            cmd += ["--plugin-dir", self.run.plugin_dir]
        else:
            cmd += ["--no-plugin"]
        if self.run.debug:
            cmd += ["--debug"]
        cmd += self.args
        env = sanitizer_env()
        env.setdefault("GST_REGISTRY", os.path.join(self.run.dir, "gst-registry.bin"))
        os.makedirs(self.user_dir, exist_ok=True)
        self._stderr = open(self.stderr_path, "ab")
        self._events_log = open(self.events_path, "a", encoding="utf-8")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._stderr, env=env, cwd=self.run.dir)
        register_child(self.proc)
        self._eof = False
        self._reader = threading.Thread(target=self._read_loop, name=f"reader-{self.name}",
                                        daemon=True)
        self._reader.start()
        return self

    def _read_loop(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            with self._cond:
                self.events.append(line)
                self.times.append(time.monotonic())
                self._cond.notify_all()
            try:
                self._events_log.write(f"{time.monotonic() - self.run.t0:9.3f} {line}\n")
                self._events_log.flush()
            except ValueError:
                pass
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=5.0):
        """quit, then SIGTERM, then SIGKILL; every wait bounded. Returns the exit code."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            try:
                proc.stdin.write(b"quit\n")
                proc.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=3)
        for f in (proc.stdin, proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        if self._reader is not None:
            self._reader.join(2)
        self._stderr.close()
        self._events_log.close()
        with _children_lock:
            _children.discard(proc)
        return proc.returncode

    def kill(self):
        """Dies like a crash: SIGKILL, no goodbye to the server."""
        if self.alive():
            self.proc.kill()
        return self.stop()

    def sanitizer_report(self):
        """The first lines of an ASan/UBSan report in this client's stderr, or None."""
        try:
            with open(self.stderr_path, errors="replace") as f:
                text = f.read()
        except OSError:
            return None
        m = re.search(r"(ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer)", text)
        if not m:
            return None
        return text[max(0, m.start() - 200):m.start() + 1500]

    # ---- commands -------------------------------------------------------------------------

    def send(self, line):
        if "\n" in line:
            raise HarnessError(f"{self.name}: command contains a newline: {line!r}")
        if not self.alive():
            raise HarnessError(f"{self.name}: client is not running (exit code "
                               f"{self.proc.poll() if self.proc else None}); cannot send "
                               f"{line.split(' ')[0]!r}. {self.describe()}")
        try:
            self.proc.stdin.write(line.encode("utf-8") + b"\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise HarnessError(f"{self.name}: writing a command failed ({e}). {self.describe()}")

    def im(self, to, text):
        self.send(f"im {to} {text}")

    def cmd(self, to, commandline, expect_ok=True, timeout=DEFAULT_TIMEOUT):
        """Runs a conversation command; returns (status, error text)."""
        mark = self.mark()
        self.send(f"cmd {to} {commandline}")
        m = self.wait_for(r"^CMD (\d+) ?(.*)$", timeout, since=mark)
        status, error = int(m.group(1)), unescape(m.group(2))
        if expect_ok and status != 0:
            hint = (" (PURPLE_CMD_STATUS_NOT_FOUND: the command is not registered; has the "
                    "plugin glue landed?)" if status == 2 else "")
            raise HarnessError(f"{self.name}: /{commandline} returned status {status}"
                               f"{hint} {error}".rstrip())
        return status, error

    def ipc(self, name, *args, timeout=DEFAULT_TIMEOUT):
        """Calls the plugin's IPC; returns the result text (see xtls-client-plugin.c)."""
        mark = self.mark()
        self.send(" ".join(["ipc", name] + [str(a) for a in args]))
        m = self.wait_for(rf"^IPC {re.escape(name)} (.*)$", timeout, since=mark)
        result = m.group(1)
        if result.startswith("ERROR "):
            raise HarnessError(f"{self.name}: IPC {name} failed: {result[6:]}")
        return result

    def answer(self, request_id, index):
        self.send(f"answer {request_id} {index}")

    def answer_input(self, request_id, text):
        self.send(f"answer-input {request_id} {text}")

    def ping(self, timeout=DEFAULT_TIMEOUT):
        mark = self.mark()
        self.send("ping")
        self.wait_for(r"^PONG$", timeout, since=mark)

    # ---- events ---------------------------------------------------------------------------

    def mark(self):
        """The index the next event will get: pass it as since= to look only at later ones."""
        with self._cond:
            return len(self.events)

    def find(self, pattern, since=0, until=None):
        """All (index, match) for events matching @pattern in [since, until)."""
        rx = re.compile(pattern)
        with self._cond:
            lines = self.events[since:until]
        out = []
        for i, line in enumerate(lines, start=since):
            m = rx.search(line)
            if m:
                out.append((i, m))
        return out

    def has(self, pattern, since=0):
        return bool(self.find(pattern, since))

    def wait_for(self, pattern, timeout=DEFAULT_TIMEOUT, since=None, consume=True):
        """Waits for an event matching @pattern (re.search) at index >= @since (default: the
        cursor, which a successful match moves past the event). Raises HarnessError with the
        last events when the timeout, the scenario deadline or the client's exit comes first."""
        rx = re.compile(pattern)
        start = self.cursor if since is None else since
        deadline = time.monotonic() + timeout
        scenario_deadline = self.run.scenario_deadline
        pos = start
        with self._cond:
            while True:
                while pos < len(self.events):
                    m = rx.search(self.events[pos])
                    if m:
                        if consume:
                            self.cursor = pos + 1
                        return m
                    pos += 1
                now = time.monotonic()
                if self._eof:
                    reason = f"the client exited (code {self.proc.poll()})"
                    break
                if now >= deadline:
                    reason = f"nothing within {timeout:.0f} s"
                    break
                if scenario_deadline is not None and now >= scenario_deadline:
                    reason = "the scenario's time limit was reached"
                    break
                limit = deadline if scenario_deadline is None else min(deadline, scenario_deadline)
                self._cond.wait(min(0.5, max(0.01, limit - now)))
        raise HarnessError(f"{self.name}: waiting for /{pattern}/: {reason}. "
                           f"{self.describe(since=start)}")

    def wait_quiet(self, seconds):
        """Lets @seconds pass (bounded by the scenario deadline); events keep arriving."""
        end = time.monotonic() + seconds
        if self.run.scenario_deadline is not None:
            end = min(end, self.run.scenario_deadline)
        while time.monotonic() < end:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))

    def describe(self, since=None, last=15):
        with self._cond:
            n = len(self.events)
            lo = max(0, n - last)
            shown = self.events[lo:]
        text = f"Last events of {self.name} ({n} in all"
        if since is not None:
            text += f", searched from #{since}"
        text += "):\n" + "\n".join(f"  #{lo + i} {line}" for i, line in enumerate(shown))
        report = self.sanitizer_report()
        if report:
            text += "\nSanitizer report in stderr:\n" + report
        return text

    def criticals(self, since=0):
        return [m.string for _i, m in self.find(r"^GLOG (CRITICAL|ERROR) ", since)]


def drive(clients, done, policy, timeout=30.0, fail_on=None, since=None):
    """Answers the REQUESTs the clients show, with @policy(client, Request) returning
    ("choose", index) | ("input", text) | ("cancel",) | None (leave it open), until @done()
    is true. @fail_on: {client: regex} that ends the wait with a failure at once.
    Returns the list of (client name, request, answer) for diagnostics."""
    start = dict(since) if since else {c: c.cursor for c in clients}
    seen = dict(start)
    answered = []
    run = clients[0].run
    deadline = time.monotonic() + timeout
    while True:
        for c in clients:
            # The end of what is searched now: a REQUEST that arrives meanwhile (one opened by
            # the answer just given, or by the other user's choice) is found next round.
            upto = c.mark()
            for idx, m in c.find(r"^REQUEST ", seen[c], upto):
                req = Request(m.string)
                action = policy(c, req)
                answered.append((c.name, req, action))
                if action is None:
                    continue
                if action[0] == "choose":
                    c.answer(req.id, action[1])
                elif action[0] == "input":
                    c.answer_input(req.id, action[1])
                elif action[0] == "cancel":
                    c.send(f"cancel {req.id}")
            seen[c] = upto
            if fail_on and c in fail_on:
                hits = c.find(fail_on[c], start[c])
                if hits:
                    raise HarnessError(f"{c.name}: unexpected event {hits[0][1].string!r}. "
                                       f"{c.describe()}")
            if not c.alive():
                raise HarnessError(f"{c.name}: client exited. {c.describe()}")
        if done():
            return answered
        now = time.monotonic()
        limit = deadline if run.scenario_deadline is None else min(deadline,
                                                                    run.scenario_deadline)
        if now >= limit:
            asked = "; ".join(f"{n}: {r.kind} {r.choices or r.text!r} -> {a}"
                              for n, r, a in answered) or "none"
            raise HarnessError("condition not reached within "
                               f"{timeout:.0f} s. Requests answered: {asked}.\n"
                               + "\n".join(c.describe() for c in clients))
        time.sleep(0.02)


class Tap:
    """TAP version 13 output: the plan first, one line per scenario, '# ' diagnostics."""

    def __init__(self, out=sys.stdout):
        self.out = out
        self.n = 0
        self.failed = 0
        self._lock = threading.Lock()

    def _print(self, text):
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def plan(self, count):
        self._print("TAP version 13")
        self._print(f"1..{count}")

    def diag(self, text):
        for line in str(text).splitlines() or [""]:
            self._print(f"# {line}")

    def result(self, ok, name, diagnostics=None, directive=None):
        self.n += 1
        if not ok and not (directive or "").upper().startswith("TODO"):
            self.failed += 1
        suffix = f" # {directive}" if directive else ""
        self._print(f"{'ok' if ok else 'not ok'} {self.n} - {name}{suffix}")
        if diagnostics:
            self.diag(diagnostics)

    def bail(self, reason):
        self._print(f"Bail out! {reason}")


def format_exception(exc):
    if isinstance(exc, HarnessError):
        return str(exc)
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-3000:]


def install_watchdog(seconds, tap, cleanup):
    """After @seconds: TAP 'Bail out!', clean up, exit. Keeps the run bounded even if a step
    somewhere forgot its own bound."""

    def fire():
        tap.bail(f"global time limit of {seconds:.0f} s reached")
        try:
            cleanup()
        finally:
            kill_all_children()
            os._exit(1)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    return timer


def install_signal_handlers():
    def on_term(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
