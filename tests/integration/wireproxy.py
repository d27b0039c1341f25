"""A recording TCP proxy between one client and Prosody's c2s port.

Each client gets its own proxy, so what a client's connection carried can be checked on its
own. Both directions are kept in memory as contiguous byte streams (client->server "c2s",
server->client "s2c") and written to files in the run directory:

    wire-NAME.c2s, wire-NAME.s2c   the raw streams (a text split across two TCP reads is
                                   still contiguous here)
    wire-NAME.log                  both directions interleaved, with a header per chunk

Threads and blocking sockets: two pump threads per connection, an accept thread per proxy;
all are daemon threads and stop() closes every socket, so nothing outlives the driver.
"""

import collections
import os
import socket
import struct
import threading
import time


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
            self._record("log", f"--- connection {n} opened\n".encode())
            self._spawn(self._pump, f"proxy-{self.name}-c2s", client, server, "c2s")
            self._spawn(self._pump, f"proxy-{self.name}-s2c", server, client, "s2c")

    def _pump(self, src, dst, direction):
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
            self._record(direction, data)
            if self.delay > 0:
                self._delayed(dst, data)
                continue
            try:
                dst.sendall(data)
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

    def _record(self, direction, data):
        with self._lock:
            if direction != "log":
                self._streams[direction] += data
                header = f"\n--- {direction} {len(data)} bytes at {time.monotonic() - self._t0:.3f}s\n"
                files = [(self._files[direction], data), (self._files["log"], header.encode() + data)]
            else:
                files = [(self._files["log"], data)]
            for f, chunk in files:
                if not f.closed:
                    f.write(chunk)
                    f.flush()

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
