"""Encrypted file transfer through libpurple's transfer API (issue 11): Send File in a private
conversation goes through an XTLS file session (Jingle file-transfer:5 with <security/>, IBB,
TLS), not libpurple's SOCKS5/IBB; the receiver gets the usual accept step, the file under its
name only once verified, and nothing under that name when the transfer is cancelled. With
encryption required and a contact without the plugin, nothing leaves until the user chooses.

What the clients see are libpurple's own transfer events (xtls-client-xfers.c: XFER request,
progress, done, sent, failed), exactly as for libpurple's transfers: a UI cannot tell the
difference except from the conversation's sentences (matched loosely, case-insensitive).

The driver (test_integration.py) hands its helpers over with scenarios(driver).
"""

import base64
import hashlib
import os
import random
import re
import time

from harness import MSG_ERROR, HarnessError, Request

D = None  # the driver module, set by scenarios()

# libpurple's own transfer: an SI offer (XEP-0096) and SOCKS5 streamhosts (XEP-0065). Their
# namespaces alone are in every disco#info answer (features), so the elements are matched.
SI_OFFER_RX = re.compile(rb"<si\b[^>]*http://jabber\.org/protocol/si")
STREAMHOST_RX = re.compile(rb"<streamhost\b|<query\b[^>]*http://jabber\.org/protocol/bytestreams")
FT5_NS = b"urn:xmpp:jingle:apps:file-transfer:5"
XTLS_NS = b"urn:xmpp:jingle:security:xtls:0"
IBB_BLOCK = 4096  # libpurple's IBB block size (si.c): where a plain IBB transfer cuts the file


def write_random(sc, label, size):
    """A file of @size random bytes in the run directory; returns (path, bytes)."""
    path = os.path.join(sc.run.dir, f"{label}-{sc.index}-{sc.run.token}.bin")
    payload = random.randbytes(size) if hasattr(random, "randbytes") else os.urandom(size)
    with open(path, "wb") as f:
        f.write(payload)
    return path, payload


def clear_samples(payload, count=24):
    """Byte strings that a plaintext transfer of @payload would put on the wire: raw slices
    (SOCKS5, or a server log) and base64 of the first 48 bytes of IBB blocks (libpurple cuts
    the file at multiples of IBB_BLOCK; 48 bytes are 64 base64 characters, no padding)."""
    rnd = random.Random(len(payload))
    blocks = max(1, len(payload) // IBB_BLOCK)
    out = []
    for _ in range(count):
        off = rnd.randrange(0, blocks) * IBB_BLOCK
        chunk = payload[off:off + 48]
        if len(chunk) == 48:
            out.append(base64.b64encode(chunk))
            out.append(chunk[:32])
    return out


def check_wire(sc, clients, payload):
    """Nothing of @payload in clear on any recorded connection, no libpurple transfer (SI
    offer, SOCKS5 streamhosts), and the encrypted offer itself is there."""
    problems = []
    samples = clear_samples(payload)
    for c in clients:
        wire = c.proxy.data()
        for rx, what in ((SI_OFFER_RX, "a libpurple SI file offer"),
                         (STREAMHOST_RX, "SOCKS5 bytestreams (libpurple's transfer)")):
            if rx.search(wire):
                problems.append(f"{what} on {c.name}'s wire")
        leaked = [s for s in samples if s in wire]
        if leaked:
            problems.append(f"{len(leaked)} of {len(samples)} samples of the file in clear on "
                            f"{c.name}'s wire ({c.proxy.paths['log']})")
    sender = clients[0]
    c2s = sender.proxy.data("c2s")
    if FT5_NS not in c2s or XTLS_NS not in c2s:
        problems.append(f"{sender.name} sent no encrypted file offer (file-transfer:5 with the "
                        "xtls security element)")
    if problems:
        raise HarnessError("; ".join(problems))


IBB_ONLY = ("XTLS_S5B_DIRECT", "XTLS_S5B_PROXY")


def ibb_only(on):
    """Clients started while on offer no SOCKS5 candidates: files go over IBB, slow enough on
    loopback for a test to interrupt one in mid-file (over a direct connection 16 MiB take
    about half a second)."""
    for knob in IBB_ONLY:
        if on:
            os.environ[knob] = "0"
        else:
            os.environ.pop(knob, None)


def private_pair(sc, note=True, ibb=False):
    ibb_only(ibb)
    try:
        alice, bob = D.make_pair(sc)
    finally:
        ibb_only(False)
    if note:  # wire-secrecy-all checks these wires too (not the 50 MiB ones: memory)
        D.note_private(sc)
    D.start_private(sc, alice, bob, D.policy_verified)
    return alice, bob


def received_path(bob, name):
    return os.path.join(bob.download_dir, name)


def leftovers(bob, name):
    """Files in bob's download directory that belong to @name (the final one or a partial)."""
    if not os.path.isdir(bob.download_dir):
        return []
    return sorted(f for f in os.listdir(bob.download_dir) if f.startswith(name))


def send_private(sc, size, limit):
    """alice sends @size random bytes in a private conversation; returns the seconds from
    sendfile to bob's verified file."""
    alice, bob = private_pair(sc, note=size < 8 * 1024 * 1024)
    path, payload = write_random(sc, "private", size)
    name = os.path.basename(path)
    marks = D.marks_of(alice, bob)
    t0 = time.monotonic()
    alice.send(f"sendfile {bob.bare} {path}")
    bob.wait_for(rf"^XFER request {re.escape(alice.bare)}\S* {re.escape(name)} {size}$", 20,
                 since=marks[bob])
    m = bob.wait_for(rf"^XFER (done|failed) {re.escape(name)}\b ?(\d*)", limit, since=marks[bob])
    elapsed = time.monotonic() - t0
    if m.group(1) != "done":
        raise HarnessError(f"bob: the transfer failed: {m.string!r}. {bob.describe()}\n"
                           f"{alice.describe()}")
    got_path = received_path(bob, name)
    with open(got_path, "rb") as f:
        got = f.read()
    if hashlib.sha256(got).digest() != hashlib.sha256(payload).digest():
        raise HarnessError(f"received file differs: {len(got)} bytes vs {len(payload)} sent")
    if leftovers(bob, name) != [name]:
        raise HarnessError(f"bob's download directory holds {leftovers(bob, name)}, expected "
                           f"only {name} (a partial file left behind?)")
    if os.stat(got_path).st_mode & 0o077:
        raise HarnessError(f"the received file is readable by others: mode "
                           f"{oct(os.stat(got_path).st_mode & 0o777)}")
    alice.wait_for(rf"^XFER sent {re.escape(name)} {size}$", 30, since=marks[alice])
    # What each user reads: the offer with the sender's trust, and the private end.
    D.wait_conv(bob, rf"{re.escape(name)}.*encrypted.*verified", marks[bob],
                what="the offer, encrypted, with the sender's identity verified")
    D.wait_conv(bob, rf"{re.escape(name)} was received privately", marks[bob],
                what="that the file arrived privately")
    D.wait_conv(alice, rf"{re.escape(name)} was sent privately", marks[alice],
                what="that the file was sent privately")
    progress = [int(m.group(1)) for _i, m in
                bob.find(rf"^XFER progress {re.escape(name)} (\d+)$", marks[bob])]
    # Over a direct SOCKS5 connection 1 MiB arrives in ~20 ms: start and end are all there is.
    need = 3 if size > 4 * 1024 * 1024 else 2
    if len(progress) < need or progress != sorted(progress) or progress[-1] != size:
        raise HarnessError(f"bob's transfer window got {len(progress)} progress updates "
                           f"({progress[:12]}): expected a rising series")
    if not alice.has(rf"^XFER progress {re.escape(name)} ", marks[alice]):
        raise HarnessError("alice's transfer window got no progress update")
    check_wire(sc, [alice, bob], payload)
    sc.note(f"{size} bytes in {elapsed:.2f} s ({size / elapsed / 1048576:.2f} MiB/s), "
            f"{len(progress)} progress updates at bob")
    return elapsed


def scenario_private_file_1mib(sc):
    """A 1 MiB random file sent in a private conversation arrives byte-identical (mode 0600,
    no partial file left), progress on both sides, 'sent/received privately' in both
    conversations, nothing of it in clear on either wire and no libpurple SI/SOCKS5 transfer."""
    send_private(sc, 1024 * 1024, 60)


def scenario_private_file_50mib(sc):
    """The same with 50 MiB, within 60 s (IBB through Prosody on loopback, TLS inside)."""
    elapsed = send_private(sc, 50 * 1024 * 1024, 90)
    if elapsed > 60:
        raise HarnessError(f"50 MiB took {elapsed:.1f} s (limit 60 s)")


def cancel_mid_transfer(sc, canceller):
    """@canceller ("alice" or "bob") cancels a 16 MiB private transfer after 1 MiB; returns
    (alice, bob, name, payload) once both transfers have ended."""
    alice, bob = private_pair(sc, ibb=True)
    who = alice if canceller == "alice" else bob
    other = bob if who is alice else alice
    size = 16 * 1024 * 1024
    path, payload = write_random(sc, "cancel", size)
    name = os.path.basename(path)
    marks = D.marks_of(alice, bob)
    who.send(f"xfercancel {name} {1024 * 1024}")
    who.wait_for(r"^XFERCANCEL ", 5, since=marks[who])
    alice.send(f"sendfile {bob.bare} {path}")
    who.wait_for(rf"^XFER cancelling {re.escape(name)} (\d+)$", 40, since=marks[who])
    m = who.wait_for(rf"^XFER (failed|done|sent) {re.escape(name)}\b ?(\d*)", 20, since=marks[who])
    if m.group(1) != "failed" or m.group(2) != "1":
        raise HarnessError(f"{who.name}: expected their own cancel, got {m.string!r}")
    m = other.wait_for(rf"^XFER (failed|done|sent) {re.escape(name)}\b ?(\d*)", 30,
                       since=marks[other])
    if m.group(1) != "failed" or m.group(2) != "0":
        raise HarnessError(f"{other.name}: expected a transfer cancelled by the other side, got "
                           f"{m.string!r}")
    D.wait_conv(other, r"cancel", marks[other], what="that the other side cancelled")
    bob.wait_quiet(0.5)
    if leftovers(bob, name):
        raise HarnessError(f"after the cancel bob's download directory holds "
                           f"{leftovers(bob, name)}")
    check_wire(sc, [alice, bob], payload)
    return alice, bob, name, payload


def scenario_private_file_cancel_receiver(sc):
    """bob cancels a 16 MiB private transfer after 1 MiB: nothing is left under the final
    name nor as a partial file, alice's transfer ends as failed (cancelled by bob, her
    conversation says so) and bob's as cancelled by himself."""
    cancel_mid_transfer(sc, "bob")


def scenario_private_file_cancel_sender(sc):
    """alice cancels after 1 MiB: bob's transfer fails, his conversation says it was cancelled,
    and his partial file is deleted."""
    cancel_mid_transfer(sc, "alice")


def start_and_wait_progress(sc, size):
    alice, bob = private_pair(sc, ibb=True)
    path, payload = write_random(sc, "offline", size)
    name = os.path.basename(path)
    marks = D.marks_of(alice, bob)
    alice.send(f"sendfile {bob.bare} {path}")
    bob.wait_for(rf"^XFER progress {re.escape(name)} [1-9]\d*$", 40, since=marks[bob])
    return alice, bob, name, marks


def scenario_private_file_receiver_signs_off(sc):
    """bob signs off in the middle of a 16 MiB transfer: his partial file is deleted and his
    conversation says the transfer stopped because he went offline (not that anyone
    cancelled); alice's transfer fails, and she is not told it was sent."""
    alice, bob, name, marks = start_and_wait_progress(sc, 16 * 1024 * 1024)
    bob.send("offline")
    bob.wait_for(r"^SIGNED-OFF$", 15, since=marks[bob])
    m = bob.wait_for(rf"^XFER (failed|done) {re.escape(name)}\b ?(\d*)", 5, since=marks[bob])
    if m.group(1) != "failed":
        raise HarnessError(f"bob: {m.string!r} although he signed off mid-file")
    D.wait_conv(bob, rf"transfer of {re.escape(name)} stopped.*offline", marks[bob],
                flags_any=MSG_ERROR, what="that the transfer stopped because bob went offline")
    if leftovers(bob, name):
        raise HarnessError(f"bob signed off mid-file; his download directory holds "
                           f"{leftovers(bob, name)}")
    m = alice.wait_for(rf"^XFER (failed|sent) {re.escape(name)}\b ?(\d*)", 60, since=marks[alice])
    if m.group(1) != "failed":
        raise HarnessError(f"alice: {m.string!r} although bob went offline mid-file")
    if D.conv_events(alice, marks[alice], pattern=rf"{re.escape(name)} was sent privately"):
        raise HarnessError("alice was told the file was sent privately")


def scenario_private_file_receiver_vanishes(sc):
    """bob's client dies in the middle of a transfer (no goodbye): alice's transfer fails with
    a sentence saying that bob went offline, and nothing is under the final name at bob."""
    alice, bob, name, marks = start_and_wait_progress(sc, 16 * 1024 * 1024)
    bob.kill()
    sc.clients.remove(bob)  # it died on purpose: no exit code to check at teardown
    m = alice.wait_for(rf"^XFER (failed|sent) {re.escape(name)}\b ?(\d*)", 90, since=marks[alice])
    if m.group(1) != "failed":
        raise HarnessError(f"alice: {m.string!r} although bob vanished mid-file")
    D.wait_conv(alice, rf"transfer of {re.escape(name)} failed: .*(offline|stopped answering|connection to your contact was lost)",
                marks[alice], flags_any=MSG_ERROR, what="why the transfer failed")
    if name in leftovers(bob, name):
        raise HarnessError(f"bob vanished mid-file, yet {name} exists under its final name")


def scenario_private_file_unload_mid_transfer(sc):
    """bob unloads the plugin in the middle of a private transfer: his client keeps running,
    his partial file is deleted and his conversation says the transfer stopped; the jabber
    prpl's entries are back: a file bob sends afterwards is libpurple's own transfer (an SI
    offer on his wire), as it is without the plugin."""
    alice, bob, name, marks = start_and_wait_progress(sc, 16 * 1024 * 1024)
    bob.send("unload")
    bob.wait_for(r"^PLUGIN unloaded$", 15, since=marks[bob])
    bob.ping()
    D.wait_conv(bob, rf"transfer of {re.escape(name)} stopped", marks[bob], flags_any=MSG_ERROR,
                what="that the transfer stopped")
    if leftovers(bob, name):
        raise HarnessError(f"bob unloaded the plugin mid-file; his download directory holds "
                           f"{leftovers(bob, name)}")
    alice.wait_for(rf"^XFER failed {re.escape(name)}\b", 30, since=marks[alice])
    path, payload = write_random(sc, "after-unload", 64 * 1024 + 1)
    wire_mark = len(bob.proxy.data("c2s"))
    bob.send(f"sendfile {alice.jid} {path}")
    alice.wait_for(rf"^XFER done {re.escape(os.path.basename(path))}\b", 40, since=marks[alice])
    if not SI_OFFER_RX.search(bob.proxy.data("c2s")[wire_mark:]):
        raise HarnessError("after unload bob's Send File did not go through libpurple's own SI "
                           "transfer: the prpl's send_file was not restored")


def scenario_private_file_dialogs(sc):
    """bob answers libpurple's own requests, as in Pidgin: the first offer he cancels in the
    accept request (alice's transfer fails as cancelled by bob, nothing at bob); the second he
    accepts and saves under a name of his choice, where it arrives identical."""
    alice, bob = private_pair(sc)
    bob.send("xferask on")
    bob.wait_for(r"^XFERASK on$", 5)
    path, payload = write_random(sc, "dialogs", 300 * 1024 + 5)
    name = os.path.basename(path)
    for accept in (False, True):
        marks = D.marks_of(alice, bob)
        alice.send(f"sendfile {bob.bare} {path}")
        m = bob.wait_for(r"^REQUEST \d+ action .*", 20, since=marks[bob])
        req = Request(m.string)
        if name not in req.text or "wants to send you" not in req.text:
            raise HarnessError(f"bob: unexpected request {req!r}")
        D.wait_conv(bob, rf"offers the file {re.escape(name)}.*encrypted.*verified", marks[bob],
                    what="the offer, encrypted and verified, before the dialog is answered")
        idx = req.choice_index("accept") if accept else req.choice_index("cancel")
        if idx is None:
            raise HarnessError(f"bob: no Accept/Cancel in {req!r}")
        bob.answer(req.id, idx)
        if not accept:
            m = alice.wait_for(rf"^XFER (failed|sent) {re.escape(name)}\b ?(\d*)", 20,
                               since=marks[alice])
            if m.group(1) != "failed" or m.group(2) != "0":
                raise HarnessError(f"alice: {m.string!r} although bob declined")
            D.wait_conv(alice, r"cancel", marks[alice], what="that bob declined")
            if leftovers(bob, name):
                raise HarnessError(f"bob declined, yet holds {leftovers(bob, name)}")
            continue
        m = bob.wait_for(r"^REQUEST \d+ file .*", 10, since=marks[bob])
        dest = os.path.join(bob.download_dir, "chosen-name.bin")
        bob.answer_input(Request(m.string).id, dest)
        m = bob.wait_for(rf"^XFER (done|failed) (\S+)", 30, since=marks[bob])
        if m.group(1) != "done" or m.group(2) != "chosen-name.bin":
            raise HarnessError(f"bob: {m.string!r}")
        with open(dest, "rb") as f:
            if f.read() != payload:
                raise HarnessError("the file bob saved under his chosen name differs")
        if sorted(os.listdir(bob.download_dir)) != ["chosen-name.bin"]:
            raise HarnessError(f"bob's download directory: {sorted(os.listdir(bob.download_dir))}")
    check_wire(sc, [alice, bob], payload)


def file_policy(name, answer):
    """A request policy for a file session's key question: it must name the file @name; then
    @answer: "verified", "cancel" (the button), or ("password", secret)."""

    def policy(client, req):
        kind = req.kind.split("-")[0]
        if kind in ("action", "choice") and "really" in req.primary.lower():
            if name not in req.text:
                raise HarnessError(f"{client.name}: the key question does not name the file "
                                   f"{name}: {req!r}")
            idx = {"verified": lambda: req.choice_index("i have verified"),
                   "cancel": lambda: req.choice_index("cancel")}.get(
                       answer, lambda: req.choice_index("shared password"))()
            if idx is None:
                raise HarnessError(f"{client.name}: no such button in {req!r}")
            return ("choose", idx)
        if kind == "input" and answer[0] == "password" and "password" in req.text.lower():
            return ("input", answer[1])
        raise HarnessError(f"{client.name}: unexpected request {req!r}")

    return policy


def send_asking(sc, alice, bob, path, policies, expect_done, timeout=40.0):
    """alice sends @path; the key questions are answered by @policies {client: policy} until
    alice's transfer has ended; returns (alice's XFER line match, the requests answered)."""
    name = os.path.basename(path)
    marks = D.marks_of(alice, bob)
    alice.send(f"sendfile {bob.bare} {path}")
    ended = rf"^XFER (failed|sent) {re.escape(name)}\b ?(\d*)"

    def policy(client, req):
        return policies.get(client, D.policy_none)(client, req)

    answered = D.drive([alice, bob], lambda: alice.has(ended, marks[alice])
                       and (not expect_done or bob.has(rf"^XFER done {re.escape(name)}\b",
                                                       marks[bob])),
                       policy, timeout=timeout, since=marks)
    return alice.find(ended, marks[alice])[0][1], answered, marks


def scenario_file_unverified_contact(sc):
    """Encryption required, no key known on either side and no private conversation: alice's
    file goes out encrypted or not at all, and both users get the chat's key question, naming
    the file. (1) bob cancels his: alice's transfer fails, nothing is at bob's. (2) Both choose
    a shared password and type it: the file arrives identical. (3) Asked again, both compare
    the safety code. (4) The keys are pinned now: the next file asks nothing. Nothing of the files crossed the wire in clear."""
    alice, bob = D.make_pair(sc)
    D.wait_caps(sc, alice, bob)
    alice.cmd(bob.bare, "xtls require")
    path, payload = write_random(sc, "unverified", 100 * 1024)
    name = os.path.basename(path)

    m, answered, marks = send_asking(sc, alice, bob, path,
                                     {alice: file_policy(name, "verified"),
                                      bob: file_policy(name, "cancel")}, expect_done=False)
    if m.group(1) != "failed":
        raise HarnessError(f"alice: {m.string!r} although bob cancelled his key question")
    if not any(n == bob.name for n, _r, _a in answered):
        raise HarnessError(f"bob was not asked about alice's key: {answered}")
    D.wait_conv(bob, rf"offers the file {re.escape(name)}.*not verified yet", marks[bob],
                what="the offer, saying that alice is not verified yet")
    if leftovers(bob, name):
        raise HarnessError(f"bob cancelled, yet holds {leftovers(bob, name)}")

    secret = ("password", "blue whale on the phone")
    m, answered, marks = send_asking(sc, alice, bob, path,
                                     {alice: file_policy(name, secret),
                                      bob: file_policy(name, secret)}, expect_done=True)
    if m.group(1) != "sent":
        raise HarnessError(f"alice: {m.string!r} after both typed the same password")
    # Deciding together: bob's choice of a password may turn alice's open question into the
    # password question, so she need not have clicked; both must have typed it.
    asked = {(n, r.kind.split("-")[0]) for n, r, _a in answered}
    if not {(alice.name, "input"), (bob.name, "action"), (bob.name, "input")} <= asked:
        raise HarnessError(f"expected bob's key question and a password each, got {asked}")
    with open(received_path(bob, name), "rb") as f:
        if f.read() != payload:
            raise HarnessError("the file bob received after the password differs")
    os.unlink(received_path(bob, name))

    # A password proves one file's connection (no certificates in it, nothing to pin): the
    # next file asks again, and comparing the safety code pins both keys.
    m, answered, marks = send_asking(sc, alice, bob, path,
                                     {alice: file_policy(name, "verified"),
                                      bob: file_policy(name, "verified")}, expect_done=True)
    if m.group(1) != "sent":
        raise HarnessError(f"alice: {m.string!r} after both verified the safety code")
    if sorted({n for n, _r, _a in answered}) != sorted({alice.name, bob.name}):
        raise HarnessError(f"expected a question to each after a password transfer: {answered}")
    os.unlink(received_path(bob, name))

    m, answered, marks = send_asking(sc, alice, bob, path, {}, expect_done=True)
    if m.group(1) != "sent":
        raise HarnessError(f"alice: {m.string!r} to a verified contact")
    D.wait_conv(bob, rf"offers the file {re.escape(name)}.*identity is verified", marks[bob],
                what="the next offer, with alice verified")
    wire = alice.proxy.data() + bob.proxy.data()
    if SI_OFFER_RX.search(wire) or any(x in wire for x in clear_samples(payload)):
        raise HarnessError("a file went out through libpurple or in clear")


def scenario_file_sender_forgot_key(sc):
    """alice forgot bob's key (bob still knows hers) and requires encryption: her file's own
    session meets bob's key as unknown and asks her, naming the file, while bob is asked
    nothing; she compares and answers "I have verified this", and the file arrives."""
    alice, bob = private_pair(sc)
    marks = D.marks_of(alice, bob)
    alice.cmd(bob.bare, "xtls stop")
    alice.wait_for(D.rx_state(bob.bare, "4"), 10, since=marks[alice])
    alice.cmd(bob.bare, "xtls forget")
    alice.cmd(bob.bare, "xtls require")
    path, payload = write_random(sc, "forgot", 100 * 1024)
    name = os.path.basename(path)
    m, answered, marks = send_asking(sc, alice, bob, path,
                                     {alice: file_policy(name, "verified")}, expect_done=True)
    if m.group(1) != "sent":
        raise HarnessError(f"alice: {m.string!r} after she verified bob")
    if [n for n, _r, _a in answered] != [alice.name]:
        raise HarnessError(f"expected one question, to alice: {answered}")
    with open(received_path(bob, name), "rb") as f:
        if f.read() != payload:
            raise HarnessError("the file bob received differs")
    check_wire(sc, [alice, bob], payload)


def scenario_file_bot_cannot_ask(sc):
    """alice is a bot without request UI ops and requires encryption; they know no keys. bob
    accepts the file and verifies her key; alice's own key question then has nobody to ask:
    it is cancelled at once with a sentence (not left waiting 30 minutes), her transfer fails,
    and nothing is at bob's."""
    run = sc.run
    a_user, b_user = f"alice{sc.index}", f"bob{sc.index}"
    a_pw, b_pw = f"apw-{run.token}", f"bpw-{run.token}"
    run.topology.make_pair(a_user, a_pw, b_user, b_pw)
    alice = sc.client("alice", a_user, "lap", a_pw, args=("--no-request-ui",))
    bob = sc.client("bob", b_user, "phone", b_pw)
    for c in (alice, bob):
        D.check_plugin(c)
        c.wait_for(r"^READY$", 20, since=0)
    D.wait_online(alice, bob)
    D.wait_online(bob, alice)
    D.wait_caps(sc, alice, bob)
    alice.cmd(bob.bare, "xtls require")
    path, payload = write_random(sc, "bot", 50 * 1024)
    name = os.path.basename(path)
    # bob (who has a UI) verifies alice's key when his question comes; then alice's comes.
    m, _answered, marks = send_asking(sc, alice, bob, path,
                                      {bob: file_policy(name, "verified")}, expect_done=False)
    D.wait_conv(alice, r"cannot ask: the file was not sent", marks[alice], flags_any=MSG_ERROR,
                what="that the bot could not be asked and nothing was sent")
    if m.group(1) != "failed":
        raise HarnessError(f"alice: {m.string!r} with nobody to verify bob's key")
    if alice.has(r"^REQUEST ", marks[alice]):
        raise HarnessError("alice has no request UI, yet a REQUEST appeared")
    bob.wait_for(rf"^XFER failed {re.escape(name)}\b", 20, since=marks[bob])
    if leftovers(bob, name):
        raise HarnessError(f"bob holds {leftovers(bob, name)}")
    check_wire(sc, [alice, bob], payload)


def scenario_private_file_disk_full(sc):
    """bob's disk is full (his client may write at most 1 MiB to a file): a 4 MiB private
    transfer fails on his side with a sentence saying the file could not be saved, his
    partial file is deleted, and alice's transfer fails too (not 'sent privately')."""
    run = sc.run
    a_user, b_user = f"alice{sc.index}", f"bob{sc.index}"
    a_pw, b_pw = f"apw-{run.token}", f"bpw-{run.token}"
    run.topology.make_pair(a_user, a_pw, b_user, b_pw)
    ibb_only(True)  # mid-file, as above
    try:
        alice = sc.client("alice", a_user, "lap", a_pw)
        bob = sc.client("bob", b_user, "phone", b_pw, args=["--max-file-size", str(1024 * 1024)])
    finally:
        ibb_only(False)
    for c in (alice, bob):
        D.check_plugin(c)
        c.wait_for(r"^READY$", 20, since=0)
    D.wait_online(alice, bob)
    D.wait_online(bob, alice)
    D.note_private(sc)
    D.start_private(sc, alice, bob, D.policy_verified)
    path, payload = write_random(sc, "diskfull", 4 * 1024 * 1024)
    name = os.path.basename(path)
    marks = D.marks_of(alice, bob)
    alice.send(f"sendfile {bob.bare} {path}")
    m = bob.wait_for(rf"^XFER (failed|done) {re.escape(name)}\b ?(\d*)", 40, since=marks[bob])
    if m.group(1) != "failed":
        raise HarnessError(f"bob: {m.string!r} with a full disk")
    D.wait_conv(bob, rf"transfer of {re.escape(name)} failed: the file could not be saved",
                marks[bob], flags_any=MSG_ERROR, what="that the file could not be saved")
    if leftovers(bob, name):
        raise HarnessError(f"the disk was full; bob's download directory holds "
                           f"{leftovers(bob, name)}")
    m = alice.wait_for(rf"^XFER (failed|sent) {re.escape(name)}\b ?(\d*)", 40, since=marks[alice])
    if m.group(1) != "failed":
        raise HarnessError(f"alice: {m.string!r} although bob could not save the file")
    if D.conv_events(alice, marks[alice], pattern=rf"{re.escape(name)} was sent privately"):
        raise HarnessError("alice was told the file was sent privately")
    D.wait_conv(alice, rf"transfer of {re.escape(name)} failed: .*did not arrive intact.*stored",
                marks[alice], flags_any=MSG_ERROR, what="why the transfer failed at bob's")


def answer_plain_question(alice, since, choose_send):
    """The 'send without encryption?' request: answers it; returns the Request."""
    m = alice.wait_for(r"^REQUEST \d+ action .*", 10, since=since)
    req = Request(m.string)
    if not re.search(r"without encryption|unencrypted", req.text, re.I):
        raise HarnessError(f"alice: unexpected request {req!r}")
    keep = req.choice_index("not send")
    send = req.choice_index("send unencrypted", "unencrypted")
    if keep is None or send is None or keep == send:
        raise HarnessError(f"alice: the request lacks 'Do not send' / 'Send unencrypted': {req!r}")
    alice.answer(req.id, send if choose_send else keep)
    return req


def scenario_required_no_plugin(sc):
    """With /xtls require and a contact without the plugin, Send File sends nothing: alice is
    told ('not sent') and asked whether to send unencrypted; 'Do not send' leaves bob without
    any offer and the wire without a libpurple transfer or the file's bytes. Choosing 'Send
    unencrypted' the second time hands the file to libpurple, and it arrives."""
    alice, bob = D.make_pair(sc, bob_plugin=False)
    D.wait_caps(sc, alice, bob)
    alice.cmd(bob.bare, "xtls require")
    path, payload = write_random(sc, "required", 200 * 1024 + 7)
    name = os.path.basename(path)
    marks = D.marks_of(alice, bob)
    alice.send(f"sendfile {bob.bare} {path}")
    answer_plain_question(alice, marks[alice], choose_send=False)
    D.wait_conv(alice, r"not sent", marks[alice], flags_any=MSG_ERROR,
                what="that the file was not sent")
    alice.wait_quiet(2.0)
    if bob.has(r"^XFER ", marks[bob]):
        raise HarnessError(f"bob saw a transfer although alice chose not to send: "
                           f"{bob.describe(since=marks[bob])}")
    wire = alice.proxy.data() + bob.proxy.data()
    for rx in (SI_OFFER_RX, STREAMHOST_RX, re.compile(re.escape(FT5_NS))):
        if rx.search(wire):
            raise HarnessError(f"/{rx.pattern.decode()}/ on the wire although nothing was to be "
                               "sent")
    if any(s in wire for s in clear_samples(payload)):
        raise HarnessError("bytes of the file crossed the wire")

    mark_a, mark_b = alice.mark(), bob.mark()
    alice.send(f"sendfile {bob.bare} {path}")
    answer_plain_question(alice, mark_a, choose_send=True)
    m = bob.wait_for(rf"^XFER (done|failed) (\S+) ?(\d*)$", 60, since=mark_b)
    if m.group(1) != "done":
        raise HarnessError(f"bob: the unencrypted transfer the user chose failed: {m.string!r}")
    with open(os.path.join(bob.download_dir, m.group(2)), "rb") as f:
        if f.read() != payload:
            raise HarnessError("the unencrypted transfer arrived different")
    if not SI_OFFER_RX.search(alice.proxy.data("c2s")):
        raise HarnessError("the file the user chose to send unencrypted did not go through "
                           "libpurple's own transfer (no SI offer on alice's wire)")


def scenarios(driver):
    """The driver's SCENARIOS entries (tag, name, function, time limit in s)."""
    global D
    D = driver
    return [
        ("xtls", "private-file-1mib", scenario_private_file_1mib, 90),
        ("xtls", "private-file-50mib", scenario_private_file_50mib, 150),
        ("xtls", "private-file-cancel-receiver", scenario_private_file_cancel_receiver, 90),
        ("xtls", "private-file-cancel-sender", scenario_private_file_cancel_sender, 90),
        ("xtls", "private-file-receiver-signs-off", scenario_private_file_receiver_signs_off, 90),
        ("xtls", "private-file-receiver-vanishes", scenario_private_file_receiver_vanishes, 120),
        ("xtls", "private-file-dialogs", scenario_private_file_dialogs, 90),
        ("xtls", "private-file-disk-full", scenario_private_file_disk_full, 90),
        ("xtls", "file-unverified-contact", scenario_file_unverified_contact, 60),
        ("xtls", "file-sender-forgot-key", scenario_file_sender_forgot_key, 60),
        ("xtls", "file-bot-cannot-ask", scenario_file_bot_cannot_ask, 60),
        ("xtls", "private-file-unload-mid-transfer", scenario_private_file_unload_mid_transfer,
         90),
        ("xtls", "private-file-required-no-plugin", scenario_required_no_plugin, 90),
    ]
