"""A recording TCP proxy between one client and Prosody's c2s port.

Each client gets its own proxy, so what a client's connection carried can be checked on its
own. Both directions are kept in memory as contiguous byte streams (client->server "c2s",
server->client "s2c") and written to files in the run directory:

    wire-NAME.c2s, wire-NAME.s2c   the raw streams (a text split across two TCP reads is
                                   still contiguous here)
    wire-NAME.log                  both directions interleaved, with a header per chunk

Threads and blocking sockets: two pump threads per connection, an accept thread per proxy;
all are daemon threads and stop() closes every socket, so nothing outlives the driver.

A hostile server, for the tests that need one (hostile.py):
    inject_s2c(BYTES)              writes BYTES to the client as if the server had sent them,
                                   only between two server stanzas (never splits one)
    set_rewrite(DIRECTION, FN)     FN(bytes) -> bytes on every chunk of that direction before
                                   it is forwarded; rewritten(DIRECTION) counts the chunks FN
                                   changed (a test asserts that its rewrite really happened)
The recorded streams keep what the sender sent (before a rewrite) plus what was injected;
wire-NAME.log marks both.
"""

import collections
import os
import re
import socket
import struct
import threading
import time

_TAG_STOP = re.compile(rb"['\">]")


class StanzaBoundary:
    """Follows one direction's XML just far enough to tell whether the bytes so far end
    between two stanzas: inside <stream:stream> (depth 1), outside any tag. Attribute values
    may contain '>'; a new stream header (after SASL) restarts at depth 1. Cheap on IBB
    traffic: text is skipped with find(), only tags are looked at."""

    def __init__(self):
        self.depth = 0
        self._in_tag = False
        self._quote = None
        self._tag = bytearray()

    @property
    def between(self):
        return not self._in_tag and self.depth == 1

    def feed(self, data):
        i, n = 0, len(data)
        while i < n:
            if self._quote is not None:  # inside an attribute value
                j = data.find(self._quote, i)
                if j < 0:
                    self._tag += data[i:]
                    return
                self._tag += data[i:j + 1]
                i, self._quote = j + 1, None
            elif self._in_tag:
                m = _TAG_STOP.search(data, i)
                if m is None:
                    self._tag += data[i:]
                    return
                j = m.start()
                self._tag += data[i:j]
                i = j + 1
                if data[j:j + 1] == b">":
                    self._end_tag(bytes(self._tag))
                else:
                    self._tag += data[j:j + 1]
                    self._quote = data[j:j + 1]
            else:
                j = data.find(b"<", i)
                if j < 0:
                    return
                self._in_tag, self._tag, i = True, bytearray(), j + 1

    def _end_tag(self, tag):
        self._in_tag = False
        if tag.startswith((b"?", b"!")) or tag.endswith(b"/"):
            return
        if tag.startswith(b"/"):
            self.depth = max(0, self.depth - 1)
        elif tag.split(None, 1)[:1] == [b"stream:stream"]:
            self.depth = 1
        else:
            self.depth += 1


class _Flow:
    """One direction of one connection: where its bytes go, and what was forwarded last."""

    def __init__(self, dst):
        self.dst = dst
        self.lock = threading.Lock()  # held while forwarding, and while injecting
        self.last = time.monotonic()
        self.boundary = StanzaBoundary()


class WireProxy:
    def __init__(self, name, target_port, log_dir, target_host="127.0.0.1", delay=0.0):
        """@delay: seconds each chunk is held in each direction (a slow network, for the
        benchmarks: the kernel here has no netem)."""
        self.name = name
        self.delay = delay
        self.target = (target_host, target_port)
        self.port = None
        self._lock = threading.Lock()
        self._streams = {"c2s": bytearray(), "s2c": bytearray()}
        self._listener = None
        self._sockets = []
        self._threads = []
        self._closed = False
        self._queues = {}
        self._t0 = time.monotonic()
        self._flows = {}  # direction -> _Flow of the newest connection
        self._rewrite = {"c2s": None, "s2c": None}
        self._rewritten = {"c2s": 0, "s2c": 0}
        self.connections = 0
        base = os.path.join(log_dir, f"wire-{name}")
        self.paths = {"c2s": base + ".c2s", "s2c": base + ".s2c", "log": base + ".log"}
        self._files = {key: open(path, "ab") for key, path in self.paths.items()}

    def start(self):
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop, f"proxy-{self.name}-accept")
        return self

    def _spawn(self, target, name, *args):
        t = threading.Thread(target=target, name=name, args=args, daemon=True)
        t.start()
        self._threads.append(t)

    def _accept_loop(self):
        while not self._closed:
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError as e:
                self._record("log", f"--- connect to server failed: {e}\n".encode())
                client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                if self._closed:
                    client.close()
                    server.close()
                    return
                self._sockets += [client, server]
                self.connections += 1
                n = self.connections
                flows = {"c2s": _Flow(server), "s2c": _Flow(client)}
                self._flows = flows
            self._record("log", f"--- connection {n} opened\n".encode())
            self._spawn(self._pump, f"proxy-{self.name}-c2s", client, flows["c2s"], "c2s")
            self._spawn(self._pump, f"proxy-{self.name}-s2c", server, flows["s2c"], "s2c")

    def _pump(self, src, flow, direction):
        dst = flow.dst
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._record("log", f"--- {direction} closed\n".encode())
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            with self._lock:
                hook = self._rewrite[direction]
            forwarded = hook(data) if hook is not None else data
            if forwarded != data:
                with self._lock:
                    self._rewritten[direction] += 1
            self._record(direction, data, forwarded=forwarded if forwarded != data else None)
            with flow.lock:
                flow.boundary.feed(forwarded)
                flow.last = time.monotonic()
                if self.delay > 0:
                    self._delayed(dst, forwarded)
                    continue
                try:
                    dst.sendall(forwarded)
                except OSError:
                    return

    def _delayed(self, dst, data):
        """Queues @data for @dst, to be sent @delay seconds after it arrived, in order."""
        key = id(dst)
        with self._lock:
            queue = self._queues.get(key)
            if queue is None:
                queue = self._queues[key] = (collections.deque(), threading.Condition())
                self._spawn(self._drain, f"proxy-{self.name}-delay", dst, queue)
        items, cond = queue
        with cond:
            items.append((time.monotonic() + self.delay, data))
            cond.notify()

    def _drain(self, dst, queue):
        items, cond = queue
        while not self._closed:
            with cond:
                while not items and not self._closed:
                    cond.wait(0.5)
                if self._closed:
                    return
                due, data = items.popleft()
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            try:
                dst.sendall(data)
            except OSError:
                return

    def _record(self, direction, data, forwarded=None, label=""):
        """@forwarded: what was sent on instead of @data (a rewrite), for the log only."""
        with self._lock:
            if direction != "log":
                self._streams[direction] += data
                at = time.monotonic() - self._t0
                header = f"\n--- {direction} {len(data)} bytes{label} at {at:.3f}s\n"
                logged = header.encode() + data
                if forwarded is not None:
                    logged += (f"\n--- rewritten by the test, forwarded as {len(forwarded)} "
                               "bytes:\n").encode() + forwarded
                files = [(self._files[direction], data), (self._files["log"], logged)]
            else:
                files = [(self._files["log"], data)]
            for f, chunk in files:
                if not f.closed:
                    f.write(chunk)
                    f.flush()

    # ---- a hostile server ----------------------------------------------------------------

    def set_rewrite(self, direction, hook):
        """@hook(bytes) -> bytes is applied to every chunk of @direction ("c2s"/"s2c") before
        it is forwarded (None: forward unchanged). A chunk is what one recv() returned; a
        client writes a small stanza in one piece, so a hook that looks at one stanza sees it
        whole in practice, and rewritten() tells a test whether it did."""
        if direction not in self._rewrite:
            raise ValueError(f"direction {direction!r}")
        with self._lock:
            self._rewrite[direction] = hook

    def rewritten(self, direction):
        """How many chunks of @direction the rewrite hook changed so far."""
        with self._lock:
            return self._rewritten[direction]

    def inject_s2c(self, data, idle=0.05, timeout=5.0):
        """Writes @data to the client as if the server had sent it, once the server->client
        stream is between two stanzas and has been quiet for @idle seconds (the forwarding
        lock is held meanwhile, so no server byte can come in between). Raises TimeoutError
        if that moment does not come within @timeout seconds."""
        if self.delay > 0:
            raise ValueError("inject_s2c does not support a delayed proxy")
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                flow = self._flows.get("s2c")
            if flow is None:
                raise TimeoutError(f"proxy {self.name}: no connection to inject into")
            with flow.lock:
                quiet = time.monotonic() - flow.last
                if flow.boundary.between and quiet >= idle:
                    flow.dst.sendall(data)
                    flow.boundary.feed(data)
                    flow.last = time.monotonic()
                    self._record("s2c", data, label=" INJECTED by the test")
                    return
                depth = flow.boundary.depth
            if time.monotonic() >= deadline:
                raise TimeoutError(f"proxy {self.name}: the server->client stream was never "
                                   f"quiet for {idle * 1000:.0f} ms between two stanzas "
                                   f"within {timeout:.0f} s (XML depth {depth})")
            time.sleep(0.01)

    # ---- what crossed the wire -----------------------------------------------------------

    def data(self, direction=None):
        """The bytes seen so far: one direction ("c2s"/"s2c"), or both concatenated."""
        with self._lock:
            if direction is not None:
                return bytes(self._streams[direction])
            return bytes(self._streams["c2s"]) + b"\0" + bytes(self._streams["s2c"])

    def contains(self, text):
        """Whether @text (str or bytes) appears in either direction."""
        needle = text.encode() if isinstance(text, str) else text
        with self._lock:
            return any(needle in stream for stream in self._streams.values())

    def size(self):
        with self._lock:
            return sum(len(s) for s in self._streams.values())

    def drop(self):
        """Cuts the current connections at once, as a network failure would: the server sees
        the client vanish (and tells its contacts), the client sees its connection break."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        self._record("log", b"--- connections dropped by the test\n")
        for s in sockets:
            try:
                # Linger 0: close() sends RST, as a dead peer would.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    # ---- teardown ------------------------------------------------------------------------

    def stop(self, timeout=2.0):
        with self._lock:
            self._closed = True
            sockets, self._sockets = self._sockets, []
        if self._listener is not None:
            try:
                # shutdown() wakes a thread blocked in accept(); close() alone may not.
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                self._listener.close()
            except OSError:
                pass
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        with self._lock:
            for f in self._files.values():
                f.close()
