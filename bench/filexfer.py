#!/usr/bin/env python3
"""Encrypted file transfer against libpurple's own (issue 11): two headless libpurple clients
with the plugin, a real Prosody on loopback (with mod_proxy65 when this Prosody has it), the
delay proxy of the integration tests in front of each client.

Per run, a fresh pair of clients and a fresh random file of --size MiB, alice -> bob:
  libpurple      Send File with no private conversation: libpurple's own transfer
                 (SOCKS5 bytestreams, XEP-0065, directly between the clients on loopback;
                 unencrypted)
  xtls           the same Send File in a private conversation (x509 pinned, TLS 1.3):
                 the plugin's encrypted transfer on the transport it negotiates
  xtls over IBB  the same with XTLS_S5B_DIRECT=0 XTLS_S5B_PROXY=0 (In-Band Bytestreams through the
                 server: TLS + base64 + one IQ per 4 KiB, CPU-bound on loopback)
Time is from "sendfile" until the receiver has the complete file (and, for xtls, checked
its SHA-256); every received file is compared with the sent one. Median of --runs
interleaved runs. It prints figures and asserts nothing (a transfer that fails is reported).

    bench/run.sh --filexfer [--size 50] [--runs 3] [--delays 0,20]
"""
import argparse
import hashlib
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from bench import Pair, Run, Variant  # noqa: E402
from harness import kill_all_children  # noqa: E402
from prosody import Prosody  # noqa: E402


def send_file(pair, path, size, timeout):
    """Seconds from sendfile until bob's XFER done; raises if it fails or differs."""
    name = os.path.basename(path)
    mark = pair.bob.mark()
    t0 = time.monotonic()
    pair.alice.send(f"sendfile {pair.bob.jid} {path}")
    m = pair.bob.wait_for(rf"^XFER (done|failed) {re.escape(name)}\b", timeout, since=mark)
    t1 = pair.bob.times[pair.bob.cursor - 1]
    if m.group(1) != "done":
        raise RuntimeError(f"transfer failed: {m.string}")
    got = os.path.join(pair.bob.download_dir, name)
    with open(got, "rb") as f, open(path, "rb") as g:
        if hashlib.sha256(f.read()).digest() != hashlib.sha256(g.read()).digest():
            raise RuntimeError("received file differs")
    os.unlink(got)
    return t1 - t0


def one(prosody, run, index, delay, mode, size_mib, workdir):
    path = os.path.join(workdir, f"file-{index}-{mode}.bin")
    with open(path, "wb") as f:
        for _ in range(size_mib):
            f.write(os.urandom(1024 * 1024))
    for knob in ("XTLS_S5B_DIRECT", "XTLS_S5B_PROXY"):
        if mode == "xtls-ibb":
            os.environ[knob] = "0"  # no candidates: the plugin falls back to IBB
        else:
            os.environ.pop(knob, None)
    try:
        with Pair(prosody, run, f"f{index}{mode[0]}", delay) as p:
            if mode != "libpurple":
                p.pin_keys()
                p.go_private()
            return send_file(p, path, size_mib, timeout=60 + size_mib * 8)
    finally:
        os.environ.pop("XTLS_S5B_DIRECT", None)
        os.environ.pop("XTLS_S5B_PROXY", None)
        os.unlink(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", default=f"build={os.path.join(HERE, '..', 'build')}")
    ap.add_argument("--size", type=int, default=50, help="MiB")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--delays", default="0,20")
    ap.add_argument("--modes", default="libpurple,xtls,xtls-ibb")
    args = ap.parse_args()
    variant = Variant(args.variant)
    delays = [float(d) for d in args.delays.split(",")]
    modes = args.modes.split(",")
    workdir = tempfile.mkdtemp(prefix="xtls-bench-ft-")
    prosody = Prosody(os.path.join(workdir, "prosody"))
    secs = {(d, m): [] for d in delays for m in modes}
    errors = {}
    index = 0
    try:
        prosody.start()
        run = Run(variant, workdir)
        for rep in range(args.runs):
            for d in delays:
                for m in modes:
                    index += 1
                    try:
                        secs[(d, m)].append(one(prosody, run, index, d, m, args.size, workdir))
                    except Exception as e:  # noqa: BLE001 - reported, not hidden
                        errors[(d, m)] = str(e)[:200]
            print(f"# run {rep + 1}/{args.runs} done", file=sys.stderr, flush=True)
    finally:
        prosody.stop()
        kill_all_children()
        shutil.rmtree(workdir, ignore_errors=True)

    mib = args.size
    print(f"# {args.size} MiB file alice -> bob, median of {args.runs} interleaved runs, real "
          f"Prosody on loopback, delay proxy per client")
    print("| | " + " | ".join(f"{d:.0f} ms one-way delay" for d in delays) + " |")
    print("|---|" + "---|" * len(delays))

    def rate(d, m):
        if not secs[(d, m)]:
            return f"failed ({errors.get((d, m), 'no run')})"
        t = statistics.median(secs[(d, m)])
        return f"{mib / t:.1f} MiB/s ({t:.2f} s)"

    def ratio(d, m):
        if not secs[(d, m)] or not secs[(d, "libpurple")]:
            return "-"
        r = statistics.median(secs[(d, 'libpurple')]) / statistics.median(secs[(d, m)])
        return f"{r:.2f}x" if r >= 0.1 else f"{r:.4f}x (1/{1 / r:.0f})"

    names = {"libpurple": "libpurple's own transfer (unencrypted)",
             "xtls": "XTLS encrypted transfer", "xtls-ibb": "XTLS encrypted, over IBB"}
    for m in modes:
        print(f"| {names.get(m, m)} | " + " | ".join(rate(d, m) for d in delays) + " |")
    for m in modes:
        if m != "libpurple" and "libpurple" in modes:
            print(f"| {names.get(m, m)} / libpurple's | "
                  + " | ".join(ratio(d, m) for d in delays) + " |")


if __name__ == "__main__":
    main()
