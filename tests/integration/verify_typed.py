"""Verifying by hand and several devices through the public API (issue 12 items 5 and 6),
with real headless libpurple clients on a real Prosody: "verify-typed" (a fingerprint or
safety code the user typed) and "list-devices", the same calls the Pidgin UI makes.

- A fingerprint typed before any conversation is stored as the key to expect: the first
  session with exactly that key is private with no question on alice's side; a different key
  ends the first session as a changed key (FAILED, never PRIVATE).
- Once a key is known, a typed safety code or fingerprint that matches is accepted, one that
  does not is refused and stores nothing; a safety code with no key to check is refused.
- list-devices names each online resource with its client from caps, best first.

The driver (test_integration.py) hands its helpers over with scenarios(driver).
"""

import hashlib

from harness import STATE_FAILED, STATE_PRIVATE, HarnessError

D = None  # the driver module, set by scenarios()

# XTLS_API_TYPED_* (xtls-api.h)
INVALID, MATCHED, EXPECTED, MISMATCH, NEED_KEY = "0", "1", "2", "3", "4"


def grouped_upper(fpr):
    """How a person reads a fingerprint out: groups of four, any case."""
    return " ".join(fpr[i:i + 4] for i in range(0, len(fpr), 4)).upper()


def pinned(client, bare, field=1):
    """@bare's fingerprint (or, with @field 2, how it was verified) in the known peers."""
    for item in client.ipc("list-known-peers").split("|"):
        fields = item.split(" ")
        if len(fields) == 4 and fields[0] == bare:
            return fields[field]
    return None


def typed(client, bare, text, want, what):
    got = client.ipc("verify-typed", bare, text)
    if got != want:
        raise HarnessError(f"{client.name}: verify-typed {what} gave {got}, expected {want}")


def scenario_expected_then_private(sc):
    """alice types bob's fingerprint before they ever talked: stored (EXPECTED), and the first
    session is private without any request on alice's side; then a matching safety code is
    accepted, a wrong fingerprint and garbage are refused, and the pin is unchanged."""
    alice, bob = D.make_pair(sc)
    D.note_private(sc)
    bob_fpr = bob.ipc("get-fingerprint").lower()
    typed(alice, bob.bare, "the fingerprint is 1234", INVALID, "garbage")
    typed(alice, bob.bare, grouped_upper(bob_fpr), EXPECTED, "bob's fingerprint, no key yet")
    if pinned(alice, bob.bare) != bob_fpr or pinned(alice, bob.bare, 2) != "typed":
        raise HarnessError(f"alice: the expected fingerprint is not stored as typed: "
                           f"{alice.ipc('list-known-peers')!r}")

    def policy(client, req):
        # bob has never seen alice's key: he is asked, and says verified. alice must not be.
        if client is bob:
            return D.policy_verified(client, req)
        raise HarnessError(f"alice was asked although she had typed bob's key: {req!r}")

    D.wait_caps(sc, alice, bob)
    marks = D.marks_of(alice, bob)
    alice.cmd(bob.bare, "xtls start")
    D.drive([alice, bob], D.both_in_state(alice, bob, STATE_PRIVATE, marks), policy, timeout=40,
            since=marks, fail_on={alice: D.rx_state(bob.bare, STATE_FAILED),
                                  bob: D.rx_state(alice.bare, STATE_FAILED)})
    sc.run.reached_private = True
    D.exchange(sc, alice, bob, "typed")

    code = alice.ipc("get-safety-code", bob.bare)
    typed(alice, bob.bare, code, MATCHED, "the safety code")
    wrong = hashlib.sha256(b"someone in the middle").hexdigest()
    typed(alice, bob.bare, wrong, MISMATCH, "a wrong fingerprint")
    if pinned(alice, bob.bare) != bob_fpr:
        raise HarnessError("alice: a refused fingerprint changed the pin")
    mark = alice.mark()
    alice.cmd(bob.bare, "xtls verify " + grouped_upper(bob_fpr))
    D.wait_conv(alice, r"matches", mark, what="/xtls verify with the right fingerprint")


def scenario_expected_wrong_key(sc):
    """alice types a fingerprint that is not bob's before any conversation: the first session
    fails as a changed key (loud), it never becomes private; a safety code typed for a contact
    who has shown no key is refused (NEED_KEY)."""
    alice, bob = D.make_pair(sc)
    wrong = hashlib.sha256(b"not bob's key").hexdigest()
    typed(alice, bob.bare, wrong, EXPECTED, "a wrong fingerprint, no key yet")
    stranger = f"nobody{sc.index}@{bob.bare.split('@')[1]}"
    typed(alice, stranger, "0123 4567 8901 2345 6789 0123 4567 8901 2345 6789", NEED_KEY,
          "a safety code with no key to check")
    D.wait_caps(sc, alice, bob)
    marks = D.marks_of(alice, bob)
    alice.cmd(bob.bare, "xtls start")

    def policy(client, req):
        return D.policy_verified(client, req) if client is bob else None

    D.drive([alice, bob], lambda: alice.has(D.rx_state(bob.bare, STATE_FAILED), marks[alice]),
            policy, timeout=40, since=marks,
            fail_on={alice: D.rx_state(bob.bare, STATE_PRIVATE)})
    if alice.ipc("get-failure", bob.bare) != "1":  # XTLS_API_FAILURE_KEY_CHANGED
        raise HarnessError(f"alice: the failure is {alice.ipc('get-failure', bob.bare)}, "
                           "not a changed key")


def scenario_list_devices(sc):
    """list-devices gives bob's online resource with its client's name from caps ("Pidgin":
    libpurple announces the pidgin.im caps node) and whether it supports XTLS; the start line
    names that device, and so does the notice when bob's client quits and ends the session."""
    alice, bob = D.make_pair(sc)
    D.note_private(sc)
    D.wait_caps(sc, alice, bob)
    got = alice.ipc("list-devices", bob.bare)
    want = f"{bob.jid}\\tPidgin\\t1"
    if got not in (want, want.replace("\\t", "\t")):
        raise HarnessError(f"alice: list-devices {bob.bare} gave {got!r}, expected {want!r}")
    for c, peer in ((alice, bob), (bob, alice)):
        c.ipc("trust", peer.bare, peer.ipc("get-fingerprint"))
    mark = alice.mark()
    D.start_private(sc, alice, bob, D.policy_none)
    device = "\u201cphone\u201d \\(Pidgin\\)"
    D.wait_conv(alice, rf"starting a private conversation with .* on their device {device}", mark,
                what="the start line naming bob's device")
    mark = alice.mark()
    bob.stop()
    D.wait_conv(alice, rf"ended the private conversation on their device {device}", mark,
                what="the end naming the device that quit")


def scenarios(driver):
    """The driver's SCENARIOS entries (tag, name, function, time limit in s)."""
    global D
    D = driver
    return [("xtls", "verify-typed-expected", scenario_expected_then_private, 90),
            ("xtls", "verify-typed-wrong-key", scenario_expected_wrong_key, 90),
            ("xtls", "list-devices", scenario_list_devices, 60)]
