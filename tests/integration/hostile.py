"""Scenarios with a hostile server (issue 7): each client's recording proxy (wireproxy.py)
plays the part of a server that wants to read the chat. It injects a forged Jingle
session-terminate or IBB <close/> into a running private session (the server stamps 'from',
so a stanza it writes with the peer's full JID is indistinguishable from the peer's), or
rewrites the security negotiation of a pair whose keys are pinned. Every scenario then checks,
on the recorded wire, that no text typed afterwards left in clear, and what the user read.

Roles matter: alice always runs /xtls start (initiator), bob answers (responder); "-responder"
scenarios attack bob, "-initiator" ones alice. The attacked user types a message after the
forged ending; it must not reach the wire in plaintext ("Not sent (...)" in the conversation),
the notice must say the conversation "ended unexpectedly" and was "possibly interfered with"
(case-insensitive), and the state signal must be FAILED, not FINISHED. Only /xtls stop
releases the hold: the message typed after it is delivered (plaintext is the user's choice).

A "password request" is any input/fields request, or a request whose text or choices mention
a password: a pinned pair must never be offered the weaker path.

The driver (test_integration.py) hands its helpers over with scenarios(driver).
"""

import re
import time
from xml.sax.saxutils import quoteattr

from harness import (MSG_ERROR, MSG_RECV, MSG_SEND, MSG_SYSTEM, STATE_FAILED, STATE_FINISHED,
                     STATE_NEGOTIATING, STATE_PRIVATE, STATE_UNVERIFIED, HarnessError, Request)

D = None  # the driver module, set by scenarios()

JINGLE_NS = "urn:xmpp:jingle:1"
IBB_NS = "http://jabber.org/protocol/ibb"
NOT_SENT_RX = r"(not|n't) (been )?sent|could not be sent|unsent"
UNEXPECTED_RX = r"ended unexpectedly"
INTERFERED_RX = r"possibly interfered with"
X509_RX = rb"<method\s+name=(['\"])x509\1\s*/>"


# ---- reading the recorded wire ---------------------------------------------------------------


def _attrs(tag):
    return {m.group(1): m.group(3)
            for m in re.finditer(r"([\w:.-]+)\s*=\s*(['\"])(.*?)\2", tag, re.S)}


def session_ids(initiator, since):
    """(Jingle sid, IBB sid) of the last session-initiate @initiator sent after byte @since of
    its client->server record: what any server on the path can read."""
    wire = initiator.proxy.data("c2s")[since:].decode("utf-8", "replace")
    found = None
    for m in re.finditer(r"<jingle\b[^>]*>", wire):
        if _attrs(m.group(0)).get("action") == "session-initiate":
            found = m
    if found is None:
        raise HarnessError(f"{initiator.name}: no session-initiate on the recorded wire "
                           f"({initiator.proxy.paths['c2s']})")
    sid = _attrs(found.group(0)).get("sid")
    t = re.search(r"<transport\b[^>]*>", wire[found.end():])
    ibb_sid = _attrs(t.group(0)).get("sid") if t else None
    if not sid or not ibb_sid:
        raise HarnessError(f"{initiator.name}: session-initiate without sid or transport sid: "
                           f"{wire[found.start():found.start() + 600]!r}")
    return sid, ibb_sid


def stanzas(client, direction, since, action):
    """The <jingle action=@action> elements in @client's @direction record after @since."""
    wire = client.proxy.data(direction)[since:]
    rx = rb"<jingle\b[^>]*action=(['\"])" + action.encode() + rb"\1.*?</jingle>"
    return [m.group(0) for m in re.finditer(rx, wire, re.S)]


def on_wire(text, *where):
    """The record files, of the (proxy, direction) pairs in @where, that contain @text."""
    needle = text.encode()
    return [f"{p.paths[d]}" for p, d in where if needle in p.data(d)]


# ---- forged stanzas --------------------------------------------------------------------------


def _iq(sender, victim, payload):
    return (f"<iq from={quoteattr(sender.jid)} id='forged-{int(time.monotonic() * 1000)}' "
            f"type='set' to={quoteattr(victim.jid)} xml:lang='en'>{payload}</iq>").encode()


def forged_terminate(reason):
    def forge(alice, sender, victim, sid, _ibb_sid):
        return _iq(sender, victim,
                   f"<jingle xmlns='{JINGLE_NS}' action='session-terminate' "
                   f"initiator={quoteattr(alice.jid)} sid={quoteattr(sid)}>"
                   f"<reason><{reason}/></reason></jingle>")
    return forge


def forged_ibb_close(_alice, sender, victim, _sid, ibb_sid):
    return _iq(sender, victim, f"<close xmlns='{IBB_NS}' sid={quoteattr(ibb_sid)}/>")


# ---- what the user saw -----------------------------------------------------------------------


def poll(client, predicate, timeout):
    """Polls @predicate until it returns something true or @timeout passes."""
    end = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= end or not client.alive():
            return value
        client.wait_quiet(0.05)


def shown(client, since):
    """What the user read in conversations since @since, for the diagnostics."""
    kinds = ((MSG_ERROR, "error"), (MSG_SYSTEM, "system"), (MSG_SEND, "sent"),
             (MSG_RECV, "received"))
    lines = [f"[{next((k for bit, k in kinds if f & bit), f)}] {t}"
             for _c, _w, f, t in D.conv_events(client, since)]
    return "; ".join(lines) or "nothing"


def is_password_request(req):
    kind = req.kind.split("-")[0]
    return (kind in ("input", "fields") or "password" in req.text.lower()
            or req.choice_index("password") is not None)


def refuse_passwords(client, req):
    """drive() policy: closes a password request at once (so the scenario goes on; it is
    reported as a failure by password_requests()); leaves any other request open."""
    if not is_password_request(req):
        return None
    idx = req.choice_index("cancel")
    return ("choose", idx) if idx is not None else ("cancel",)


def password_requests(clients, marks):
    return [f"{c.name}: {Request(m.string)!r}" for c in clients
            for _i, m in c.find(r"^REQUEST ", marks[c]) if is_password_request(Request(m.string))]


def check_held(sc, sender, receiver, label, problems, timeout=4.0):
    """@sender types a message to @receiver; it must not cross either wire in plaintext and
    the conversation must say it was not sent."""
    text = f"{label}{sc.index}-{sc.run.token}"
    mark, rmark = sender.mark(), receiver.mark()
    where = ((sender.proxy, "c2s"), (receiver.proxy, "s2c"))
    sender.im(receiver.bare, text)

    def notice():
        return [t for _c, _w, _f, t in D.conv_events(sender, mark, MSG_ERROR | MSG_SYSTEM,
                                                     NOT_SENT_RX) if text in t]

    poll(sender, lambda: notice() or on_wire(text, *where), timeout)
    sender.wait_quiet(0.3)  # a plaintext send that is under way reaches the proxy
    leaks = on_wire(text, *where)
    if leaks:
        problems.append(f"{sender.name}: {text!r} went out IN PLAINTEXT (found in "
                        f"{', '.join(leaks)}). {sender.name} read: {shown(sender, mark)}")
    if not notice():
        got = " (it arrived)" if D.received_tokens(receiver, re.escape(text), rmark) else ""
        problems.append(f"{sender.name}: no 'Not sent' notice for {text!r} within "
                        f"{timeout:.0f} s{got}. {sender.name} read: {shown(sender, mark)}")


def check_released(sc, victim, peer, problems):
    """/xtls stop, then a message: the user's explicit choice releases the hold."""
    text = f"after-stop{sc.index}-{sc.run.token}"
    mark, pmark = victim.mark(), peer.mark()
    victim.cmd(peer.bare, "xtls stop")
    # A session the plugin restarted meanwhile ends asynchronously: wait as a user would.
    running = (str(STATE_NEGOTIATING), str(STATE_UNVERIFIED), str(STATE_PRIVATE))
    poll(victim, lambda: victim.ipc("get-state", peer.jid) not in running, 5.0)
    victim.im(peer.bare, text)
    try:
        D.wait_received(peer, text, pmark, timeout=5)
    except HarnessError:
        problems.append(f"{victim.name}: after /xtls stop, {text!r} did not reach {peer.name} "
                        f"within 5 s (the user's choice did not release the hold). "
                        f"{victim.name} read: {shown(victim, mark)}")
        return
    how = "in plaintext" if on_wire(text, (victim.proxy, "c2s")) else "through a tunnel"
    sc.note(f"after /xtls stop, {victim.name}'s message reached {peer.name} {how}")


def fail(problems, what):
    if problems:
        raise HarnessError(f"{what}:\n  " + "\n  ".join(problems))


# ---- forged endings of a running private session -----------------------------------------


def forged_ending(sc, victim_role, forge, what):
    alice, bob = D.make_pair(sc)
    D.note_private(sc)
    offset = len(alice.proxy.data("c2s"))
    D.start_private(sc, alice, bob, D.policy_verified)
    D.exchange(sc, alice, bob, "before")
    sid, ibb_sid = session_ids(alice, offset)
    victim, peer = (bob, alice) if victim_role == "responder" else (alice, bob)
    marks = D.marks_of(alice, bob)
    try:
        victim.proxy.inject_s2c(forge(alice, peer, victim, sid, ibb_sid))
    except (TimeoutError, OSError) as e:
        raise HarnessError(f"could not inject the forged {what}: {e}")
    problems = []

    ended = poll(victim, lambda: victim.find(
        D.rx_state(peer.bare, f"{STATE_FINISHED}|{STATE_FAILED}"), marks[victim]), 5.0)
    if not ended:
        problems.append(f"{victim.name}: no FINISHED/FAILED state within 5 s of the forged "
                        f"{what}. {victim.describe(since=marks[victim])}")
    elif int(ended[0][1].group(2)) != STATE_FAILED:
        problems.append(f"{victim.name}: the forged {what} ended the session as FINISHED, "
                        f"expected FAILED: {ended[0][1].string!r}")

    def warned():
        return [t for _c, _w, _f, t in D.conv_events(victim, marks[victim],
                                                     MSG_ERROR | MSG_SYSTEM, UNEXPECTED_RX)
                if re.search(INTERFERED_RX, t, re.I)]

    if not poll(victim, warned, 1.0):
        problems.append(f"{victim.name}: no notice that the conversation 'ended unexpectedly' "
                        f"and was 'possibly interfered with'. {victim.name} read: "
                        f"{shown(victim, marks[victim])}")

    check_held(sc, victim, peer, "held", problems)
    states = [m.string for _i, m in peer.find(r"^SIGNAL state ", marks[peer])]
    sc.note(f"{peer.name} (not attacked) after the forgery: {' | '.join(states) or 'no change'}")
    check_released(sc, victim, peer, problems)
    fail(problems, f"forged {what} delivered to the {victim_role} ({victim.name})")


def scenario(victim_role, forge, what):
    def run(sc):
        forged_ending(sc, victim_role, forge, what)
    run.__doc__ = (f"(h) A forged {what} sent to the {victim_role} in a private session:\n"
                   "FAILED, 'ended unexpectedly / possibly interfered with', the next message "
                   "held until /xtls stop.")
    return run


# ---- rewritten negotiation of a pinned pair -----------------------------------------------


def pinned_pair(sc):
    """A first contact verified on both sides, then stopped: both keys are pinned."""
    alice, bob = D.make_pair(sc)
    D.note_private(sc)
    D.start_private(sc, alice, bob, D.policy_verified)
    D.exchange(sc, alice, bob, "pin")
    marks = D.marks_of(alice, bob)
    alice.cmd(bob.bare, "xtls stop")
    alice.wait_for(D.rx_state(bob.bare, STATE_FINISHED), 10, since=marks[alice])
    bob.wait_for(D.rx_state(alice.bare, STATE_FINISHED), 10, since=marks[bob])
    return alice, bob


def start_attacked(sc, alice, bob, problems, timeout=8.0):
    """alice starts again; waits until the session has ended on both sides, which must be
    FAILED. Password requests are closed at once (and reported); PRIVATE is a failure."""
    marks = D.marks_of(alice, bob)
    alice.cmd(bob.bare, "xtls start")
    pairs = ((alice, bob), (bob, alice))
    ended = f"{STATE_FINISHED}|{STATE_FAILED}"
    done = lambda: all(c.has(D.rx_state(p.bare, ended), marks[c]) for c, p in pairs)
    try:
        D.drive([alice, bob], done, refuse_passwords, timeout=timeout, since=marks,
                fail_on={alice: D.rx_state(bob.bare, STATE_PRIVATE),
                         bob: D.rx_state(alice.bare, STATE_PRIVATE)})
    except HarnessError as e:
        problems.append(f"the session did not end on both sides: {e}")
    for c, p in pairs:
        end = c.find(D.rx_state(p.bare, ended), marks[c])
        if end and int(end[0][1].group(2)) != STATE_FAILED:
            problems.append(f"{c.name}: ended as FINISHED, expected FAILED: {end[0][1].string!r}")
    return marks


def told(clients_peers, marks, problems):
    """Each client got FAILED with a reason and an error notice in the conversation."""
    for c, peer in clients_peers:
        failed = c.find(D.rx_state(peer.bare, STATE_FAILED), marks[c])
        if failed and (failed[0][1].group(3) or "-") == "-":
            problems.append(f"{c.name}: FAILED without a reason: {failed[0][1].string!r}")
        if not D.conv_events(c, marks[c], MSG_ERROR):
            problems.append(f"{c.name}: no error notice in the conversation; read: "
                            f"{shown(c, marks[c])}")


def scenario_security_info_srp(sc):
    """(h) Pinned pair; alice's security-info <method name='x509'/> is rewritten to 'srp' on
    its way: nobody is asked for a password, both sides FAIL and are told, and messages typed
    afterwards do not leave in plaintext."""
    alice, bob = pinned_pair(sc)
    offset = len(alice.proxy.data("c2s"))
    rx = rb"<jingle\b[^>]*action=(['\"])security-info\1.*?</jingle>"
    alice.proxy.set_rewrite("c2s", lambda chunk: re.sub(
        rx, lambda m: re.sub(X509_RX, b"<method name='srp'/>", m.group(0)), chunk, flags=re.S))
    problems = []
    marks = start_attacked(sc, alice, bob, problems)
    sent = stanzas(alice, "c2s", offset, "security-info")
    if alice.proxy.rewritten("c2s") == 0:
        raise HarnessError("test defect: the security-info rewrite never matched (alice sent "
                           f"{sent[:1] or 'no security-info'}); nothing was tested. "
                           + "\n  ".join(problems))
    if not any(re.search(X509_RX, s) for s in sent):
        problems.append(f"alice did not choose x509 on a pinned pair: {sent[:1]}")
    told(((alice, bob), (bob, alice)), marks, problems)
    check_held(sc, bob, alice, "srp-held-b", problems)  # first: alice's may restart a session
    check_held(sc, alice, bob, "srp-held-a", problems)
    problems[:0] = [f"asked for a password: {r}" for r in password_requests((alice, bob), marks)]
    fail(problems, "security-info rewritten x509 -> srp on a pinned pair")


def scenario_accept_strip_x509(sc):
    """(h) Pinned pair; bob's session-accept loses its fingerprint and x509 method on its way:
    alice is not asked for a password, the session FAILS with a visible reason on both sides,
    and messages typed afterwards do not leave in plaintext."""
    alice, bob = pinned_pair(sc)
    offset = len(bob.proxy.data("c2s"))
    rx = rb"<jingle\b[^>]*action=(['\"])session-accept\1.*?</jingle>"

    def strip(m):
        j = re.sub(rb"<fingerprint\b[^>]*>[^<]*</fingerprint>", b"", m.group(0))
        return re.sub(X509_RX, b"", j)

    bob.proxy.set_rewrite("c2s", lambda chunk: re.sub(rx, strip, chunk, flags=re.S))
    problems = []
    marks = start_attacked(sc, alice, bob, problems)
    sent = stanzas(bob, "c2s", offset, "session-accept")
    if bob.proxy.rewritten("c2s") == 0:
        raise HarnessError("test defect: the session-accept rewrite never matched (bob sent "
                           f"{sent[:1] or 'no session-accept'}); nothing was tested. "
                           + "\n  ".join(problems))
    if not any(re.search(X509_RX, s) and b"<fingerprint" in s for s in sent):
        problems.append(f"bob's honest accept offered no x509 + fingerprint: {sent[:1]}")
    told(((alice, bob), (bob, alice)), marks, problems)
    check_held(sc, bob, alice, "strip-held-b", problems)  # first: alice's may restart a session
    check_held(sc, alice, bob, "strip-held-a", problems)
    problems[:0] = [f"asked for a password: {r}" for r in password_requests((alice, bob), marks)]
    fail(problems, "session-accept stripped of x509 and fingerprint on a pinned pair")


def scenario_stranger_offer(sc):
    """(h) carol is not in bob's buddy list and asks him for a private conversation: bob's
    client refuses it as a client without XTLS would (<service-unavailable/>), with no dialog
    and no conversation window on bob's side; carol is told it could not start."""
    run = sc.run
    alice, bob = D.make_pair(sc)  # bob's roster holds alice, not carol
    c_user, c_pw = f"carol{sc.index}", f"cpw-{run.token}"
    run.prosody.register(c_user, c_pw)
    carol = sc.client("carol", c_user, "desk", c_pw)
    D.check_plugin(carol)
    carol.wait_for(r"^READY$", 20, since=0)
    b_mark, c_mark = bob.mark(), carol.mark()
    offset = len(bob.proxy.data("c2s"))
    carol.send(f"cmd {bob.jid} xtls start")
    carol.wait_for(D.rx_state(bob.bare, STATE_FAILED), 20, since=c_mark)
    problems = []
    answers = bob.proxy.data("c2s")[offset:]
    if b"service-unavailable" not in answers:
        problems.append("bob's client did not answer the offer with <service-unavailable/>")
    if re.search(rb"action=(['\"])session-accept\1", answers):
        problems.append("bob's client accepted an offer from a stranger")
    for kind, rx in (("dialog", r"^REQUEST "), ("conversation", rf"^CONV \S*{c_user}"),
                     ("state", rf"^SIGNAL state \S*{c_user}")):
        found = bob.find(rx, b_mark)
        if found:
            problems.append(f"bob got a {kind} for the stranger: {found[0][1].string!r}")
    if not D.conv_events(carol, c_mark, MSG_ERROR):
        problems.append(f"carol was not told that it failed; read: {shown(carol, c_mark)}")
    fail(problems, "offer from someone outside the buddy list")


def scenarios(driver):
    """The driver's SCENARIOS entries (tag, name, function, time limit in s)."""
    global D
    D = driver
    out = []
    for what, forge, name in (("session-terminate <cancel/>", forged_terminate("cancel"),
                               "terminate-cancel"),
                              ("session-terminate <success/>", forged_terminate("success"),
                               "terminate-success"),
                              ("IBB <close/>", forged_ibb_close, "ibb-close")):
        for role in ("responder", "initiator"):
            out.append(("hostile", f"hostile-{name}-{role}", scenario(role, forge, what), 30))
    out.append(("hostile", "hostile-security-info-srp", scenario_security_info_srp, 30))
    out.append(("hostile", "hostile-accept-strip-x509", scenario_accept_strip_x509, 30))
    out.append(("hostile", "hostile-stranger-offer", scenario_stranger_offer, 30))
    return out
