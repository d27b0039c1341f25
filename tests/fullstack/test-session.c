/* Full stack: two hubs (Jingle + IBB + TLS + inner stream) through the loopback server.
 * Each case asserts what each user would see: states, reasons, delivered messages, and what
 * crossed the server. */
#include <string.h>

#include "fingerprint.h"
#include "loopback.h"
#include "session-private.h"
#include "xtls-error.h"

#define MAX_LEGS 200

typedef struct
{
  XtlsLoopback *lb;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  const XtlsHubConfig *config = data;
  f->lb = xtls_loopback_new (config);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  xtls_loopback_free (f->lb);
}

static XtlsSession *
alice_starts (Fixture *f)
{
  XtlsSession *s = xtls_hub_start (f->lb->alice->hub, f->lb->bob->jid);
  g_assert_nonnull (s);
  g_assert_cmpint (xtls_session_get_state (s), ==, XTLS_STATE_NEGOTIATING);
  return s;
}

static void
assert_state (XtlsTestPeer *peer, XtlsTrustState state)
{
  XtlsSession *s = xtls_test_peer_session (peer);
  g_assert_nonnull (s);
  g_assert_cmpstr (xtls_trust_state_to_string (xtls_session_get_state (s)), ==,
                   xtls_trust_state_to_string (state));
}

static void
assert_failed_with (XtlsTestPeer *peer, gint code)
{
  XtlsSession *s = xtls_test_peer_session (peer);
  g_assert_nonnull (s);
  g_assert_cmpint (xtls_session_get_state (s), ==, XTLS_STATE_FAILED);
  g_assert_error (xtls_session_get_error (s), XTLS_ERROR, code);
  /* The user reads a sentence, not an error code. */
  g_assert_cmpuint (strlen (xtls_error_describe (xtls_session_get_error (s))), >, 20);
}

static void
send_many (XtlsTestPeer *from, XtlsTestPeer *to, guint n, const char *prefix)
{
  XtlsSession *s = xtls_hub_lookup (from->hub, to->jid);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *body = g_strdup_printf ("%s %u <&> \xc3\xa9", prefix, i);
      g_assert_cmpuint (xtls_session_send_message (s, body), >, 0);
    }
}

static void
assert_received_in_order (XtlsTestPeer *peer, guint n, const char *prefix)
{
  g_assert_cmpuint (peer->received->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *body = g_strdup_printf ("%s %u <&> \xc3\xa9", prefix, i);
      g_assert_cmpstr (g_ptr_array_index (peer->received, i), ==, body);
    }
}

/* ---- x509 with pinned keys ------------------------------------------------------------- */

static void
test_x509_pinned (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s;

  xtls_loopback_pin_both (lb);
  s = alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
  g_assert_cmpint (xtls_session_get_method (s), ==, XTLS_METHOD_X509);
  g_assert_cmpuint (lb->alice->decisions + lb->bob->decisions, ==, 0);
  g_assert_true (g_str_has_prefix (xtls_session_get_tls_description (s), "TLS1.3"));

  send_many (lb->alice, lb->bob, 100, "from alice");
  send_many (lb->bob, lb->alice, 100, "from bob");
  xtls_loopback_run (lb, MAX_LEGS);
  assert_received_in_order (lb->bob, 100, "from alice");
  assert_received_in_order (lb->alice, 100, "from bob");
  g_assert_cmpuint (lb->alice->sent_ids->len, ==, 100);
  g_assert_cmpuint (lb->alice->unsent_ids->len, ==, 0);

  /* The server saw base64 noise only. */
  g_assert_false (xtls_loopback_wire_contains (lb, "from alice"));
  g_assert_false (xtls_loopback_wire_contains (lb, "from bob"));
  g_assert_true (xtls_loopback_wire_contains (lb, "http://jabber.org/protocol/ibb"));

  /* Polite end: both see "finished" without an error. */
  xtls_session_stop (s);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_FINISHED);
  assert_state (lb->bob, XTLS_STATE_FINISHED);
  g_assert_null (xtls_session_get_error (xtls_test_peer_session (lb->bob)));
  g_assert_true (xtls_loopback_wire_contains (lb, "<success/>"));
}

static void
test_x509_tls12 (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s;

  xtls_loopback_pin_both (lb);
  s = alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  g_assert_true (g_str_has_prefix (xtls_session_get_tls_description (s), "TLS1.2"));
  send_many (lb->alice, lb->bob, 10, "twelve");
  xtls_loopback_run (lb, MAX_LEGS);
  assert_received_in_order (lb->bob, 10, "twelve");
}

/* ---- SRP, then certificates exchanged and pinned, then x509 ----------------------------- */

static void
test_srp_then_x509 (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s;

  /* First contact: both choose the shared password. */
  lb->alice->auto_answer = lb->bob->auto_answer = TRUE;
  lb->alice->answer = lb->bob->answer = XTLS_ANSWER_USE_PASSWORD;
  lb->alice->auto_password = g_strdup ("correct horse battery staple");
  lb->bob->auto_password = g_strdup ("correct horse battery staple");
  s = alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
  g_assert_cmpint (xtls_session_get_method (s), ==, XTLS_METHOD_SRP);
  g_assert_true (g_str_has_prefix (xtls_session_get_tls_description (s), "TLS1.2"));
  g_assert_false (xtls_loopback_wire_contains (lb, "correct horse"));

  /* Certificates were exchanged inside the tunnel and pinned, as verified by password. */
  g_assert_cmpstr (xtls_trust_store_lookup (lb->alice->trust, "bob@example.net"), ==,
                   xtls_identity_get_fingerprint (lb->bob->identity));
  g_assert_cmpstr (xtls_trust_store_lookup (lb->bob->trust, "alice@example.org"), ==,
                   xtls_identity_get_fingerprint (lb->alice->identity));
  /* Never over the server connection. */
  g_assert_false (xtls_loopback_wire_contains (lb, "pubkey"));

  send_many (lb->alice, lb->bob, 5, "srp");
  xtls_loopback_run (lb, MAX_LEGS);
  assert_received_in_order (lb->bob, 5, "srp");
  xtls_session_stop (s);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->bob, XTLS_STATE_FINISHED);

  /* The second session is private via x509 without any prompt. */
  lb->alice->decisions = lb->bob->decisions = 0;
  s = alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
  g_assert_cmpint (xtls_session_get_method (s), ==, XTLS_METHOD_X509);
  g_assert_cmpuint (lb->alice->decisions + lb->bob->decisions, ==, 0);
}

static void
test_srp_wrong_password (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s;

  lb->alice->auto_answer = lb->bob->auto_answer = TRUE;
  lb->alice->answer = lb->bob->answer = XTLS_ANSWER_USE_PASSWORD;
  lb->alice->auto_password = g_strdup ("tuesday");
  lb->bob->auto_password = g_strdup ("thursday");
  s = alice_starts (f);
  g_assert_cmpuint (xtls_session_send_message (s, "typed too early"), >, 0);
  xtls_loopback_run (lb, MAX_LEGS);

  /* Both users are told the passwords did not match; nothing was delivered. */
  assert_failed_with (lb->alice, XTLS_ERROR_BAD_PASSWORD);
  assert_failed_with (lb->bob, XTLS_ERROR_BAD_PASSWORD);
  g_assert_true (xtls_loopback_wire_contains (lb, "<security-error/>"));
  g_assert_cmpuint (lb->bob->received->len, ==, 0);
  g_assert_cmpuint (lb->alice->unsent_ids->len, ==, 1);
  g_assert_cmpuint (lb->alice->sent_ids->len, ==, 0);
  g_assert_false (xtls_loopback_wire_contains (lb, "typed too early"));
  /* Nothing was pinned from a failed session. */
  g_assert_null (xtls_trust_store_lookup (lb->alice->trust, "bob@example.net"));
  g_assert_null (xtls_trust_store_lookup (lb->bob->trust, "alice@example.org"));
}

/* ---- Keys that do not match ----------------------------------------------------------- */

/* Rewrites the fingerprint bob announces in his session-accept to alice's expectation, so the
 * certificate in the handshake no longer matches what was announced (a man in the middle). */
static XtlsWireAction
swap_bob_fingerprint (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml,
                      gpointer user_data)
{
  const char *fake = user_data;
  const char *real = xtls_identity_get_fingerprint (lb->bob->identity);
  char *at;

  if (from == lb->bob && strstr (*xml, "session-accept") != NULL
      && (at = strstr (*xml, real)) != NULL)
    memcpy (at, fake, strlen (real));
  return XTLS_WIRE_DELIVER;
}

static void
test_cert_differs_from_announced (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (XtlsIdentity) mallory = xtls_identity_generate (XTLS_KEY_ED25519, "mallory", NULL);
  const char *fake = xtls_identity_get_fingerprint (mallory);
  g_autoptr (GError) error = NULL;

  /* Alice has pinned the fingerprint the attacker announces, so only the TLS check can
   * notice that bob's real certificate differs from it. */
  g_assert_true (xtls_trust_store_pin (lb->alice->trust, "bob@example.net", fake,
                                       XTLS_VERIFIED_FINGERPRINT, 0, &error));
  g_assert_true (xtls_trust_store_pin (lb->bob->trust, "alice@example.org",
                                       xtls_identity_get_fingerprint (lb->alice->identity),
                                       XTLS_VERIFIED_FINGERPRINT, 0, &error));
  lb->filter = swap_bob_fingerprint;
  lb->filter_data = (gpointer)fake;
  alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);

  assert_failed_with (lb->alice, XTLS_ERROR_CERT_MISMATCH);
  g_assert_cmpint (xtls_session_get_state (xtls_test_peer_session (lb->bob)), ==,
                   XTLS_STATE_FAILED);
  g_assert_true (xtls_loopback_wire_contains (lb, "<security-error/>"));
}

static void
test_key_changed (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (XtlsIdentity) old_bob = xtls_identity_generate (XTLS_KEY_ED25519, "bob", NULL);
  g_autoptr (GError) error = NULL;
  XtlsSession *s;

  xtls_loopback_pin_both (lb);
  /* Alice verified an older key of bob's. */
  g_assert_true (xtls_trust_store_pin (lb->alice->trust, "bob@example.net",
                                       xtls_identity_get_fingerprint (old_bob),
                                       XTLS_VERIFIED_FINGERPRINT, 0, &error));
  lb->alice->auto_answer = TRUE;
  lb->alice->answer = XTLS_ANSWER_USE_PASSWORD;
  lb->alice->auto_password = g_strdup ("would be a silent downgrade");
  s = alice_starts (f);
  g_assert_cmpuint (xtls_session_send_message (s, "secret plans"), >, 0);
  xtls_loopback_run (lb, MAX_LEGS);

  /* Refused loudly, no silent fall back to SRP, no prompt, nothing sent. */
  assert_failed_with (lb->alice, XTLS_ERROR_KEY_CHANGED);
  g_assert_cmpuint (lb->alice->decisions, ==, 0);
  g_assert_cmpint (xtls_session_get_method (s), ==, 0);
  g_assert_true (xtls_loopback_wire_contains (lb, "<security-error/>"));
  assert_failed_with (lb->bob, XTLS_ERROR_SECURITY);
  g_assert_cmpuint (lb->alice->unsent_ids->len, ==, 1);
  g_assert_false (xtls_loopback_wire_contains (lb, "secret plans"));
  /* The old pin stays: the user decides, not the attacker. */
  g_assert_cmpstr (xtls_trust_store_lookup (lb->alice->trust, "bob@example.net"), ==,
                   xtls_identity_get_fingerprint (old_bob));
}

static void
test_key_changed_responder (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (XtlsIdentity) old_alice = xtls_identity_generate (XTLS_KEY_ED25519, "alice", NULL);
  g_autoptr (GError) error = NULL;

  xtls_loopback_pin_both (lb);
  g_assert_true (xtls_trust_store_pin (lb->bob->trust, "alice@example.org",
                                       xtls_identity_get_fingerprint (old_alice),
                                       XTLS_VERIFIED_FINGERPRINT, 0, &error));
  alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_failed_with (lb->bob, XTLS_ERROR_KEY_CHANGED);
  assert_failed_with (lb->alice, XTLS_ERROR_SECURITY);
  g_assert_cmpuint (lb->bob->decisions, ==, 0);
}

/* ---- Unknown keys: the user decides --------------------------------------------------- */

/* Advances the clock by @minutes, one minute at a time, delivering what each minute sends (the
 * keepalives of a side whose user is deciding). */
static void
advance_minutes (XtlsLoopback *lb, guint minutes)
{
  for (guint i = 0; i < minutes; i++)
    {
      xtls_loopback_advance (lb, 60 * G_USEC_PER_SEC);
      xtls_loopback_run (lb, MAX_LEGS);
    }
}

static const char *
pin_of (XtlsTestPeer *peer, const char *bare)
{
  return xtls_trust_store_lookup (peer->trust, bare);
}

/* Both users are asked at once and read the same code; nothing is pinned or sent yet. */
static void
assert_both_asked_same_code (XtlsLoopback *lb)
{
  XtlsSession *as = xtls_test_peer_session (lb->alice);
  XtlsSession *bs = xtls_test_peer_session (lb->bob);
  const char *af = xtls_identity_get_fingerprint (lb->alice->identity);
  const char *bf = xtls_identity_get_fingerprint (lb->bob->identity);
  g_autofree char *alice_code = NULL;
  g_autofree char *bob_code = NULL;

  g_assert_cmpint (xtls_session_get_pending_decision (as), ==, XTLS_DECISION_UNKNOWN_KEY);
  g_assert_cmpint (xtls_session_get_pending_decision (bs), ==, XTLS_DECISION_UNKNOWN_KEY);
  assert_state (lb->alice, XTLS_STATE_UNVERIFIED);
  assert_state (lb->bob, XTLS_STATE_UNVERIFIED);
  g_assert_cmpstr (xtls_session_get_peer_fingerprint (as), ==, bf);
  g_assert_cmpstr (xtls_session_get_peer_fingerprint (bs), ==, af);
  alice_code = xtls_fingerprint_safety_code (af, xtls_session_get_peer_fingerprint (as));
  bob_code = xtls_fingerprint_safety_code (bf, xtls_session_get_peer_fingerprint (bs));
  g_assert_cmpstr (alice_code, ==, bob_code);
  g_assert_null (pin_of (lb->alice, "bob@example.net"));
  g_assert_null (pin_of (lb->bob, "alice@example.org"));
  g_assert_null (xtls_session_get_tls_description (as));
  g_assert_null (xtls_session_get_tls_description (bs));
}

/* Issue 12 item 1: bob announces his key in the accept at once, so both read the code on the
 * phone at the same moment; each click pins only that user's own view; the handshake waits
 * for both. Item 2: nobody times out at the old 5-minute deadline while a person reads. */
static void
test_together_responder_first (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s = alice_starts (f);
  XtlsSession *bs;

  g_assert_cmpuint (xtls_session_send_message (s, "hello bob"), >, 0);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_both_asked_same_code (lb);
  g_assert_cmpuint (lb->bob->received->len, ==, 0);
  g_assert_true (
      xtls_loopback_wire_contains (lb, "<deciding xmlns='urn:xmpp:tmp:xtls:decide:0'/>"));

  /* Ten minutes on the phone: both questions are still open, on both sides. */
  advance_minutes (lb, 10);
  assert_both_asked_same_code (lb);

  /* Bob compared the code: his click pins alice's key for him only. No handshake completes:
   * alice's user has not decided. */
  bs = xtls_test_peer_session (lb->bob);
  xtls_session_decide (bs, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpstr (pin_of (lb->bob, "alice@example.org"), ==,
                   xtls_identity_get_fingerprint (lb->alice->identity));
  g_assert_null (pin_of (lb->alice, "bob@example.net"));
  g_assert_cmpint (xtls_session_get_pending_decision (s), ==, XTLS_DECISION_UNKNOWN_KEY);
  assert_state (lb->bob, XTLS_STATE_NEGOTIATING);
  g_assert_true (xtls_session_awaits_peer_user (bs));
  g_assert_false (xtls_session_awaits_peer_user (s));
  g_assert_null (xtls_session_get_tls_description (bs));
  g_assert_cmpuint (lb->bob->received->len, ==, 0);

  /* Alice is still reading after another ten minutes; bob's side waits for her. */
  advance_minutes (lb, 10);
  assert_state (lb->bob, XTLS_STATE_NEGOTIATING);
  assert_state (lb->alice, XTLS_STATE_UNVERIFIED);

  xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
  g_assert_cmpint (xtls_session_get_method (s), ==, XTLS_METHOD_X509);
  g_assert_cmpuint (lb->bob->received->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (lb->bob->received, 0), ==, "hello bob");
  g_assert_cmpstr (pin_of (lb->alice, "bob@example.net"), ==,
                   xtls_identity_get_fingerprint (lb->bob->identity));
  g_assert_false (xtls_loopback_wire_contains (lb, "hello bob"));
}

/* Alice decides first: her click pins bob's key for her; nothing is chosen or sent until bob
 * decides; bob accepts for this session only and pins nothing. */
static void
test_together_initiator_first (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s = alice_starts (f);

  g_assert_cmpuint (xtls_session_send_message (s, "after both"), >, 0);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_both_asked_same_code (lb);
  xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpstr (pin_of (lb->alice, "bob@example.net"), ==,
                   xtls_identity_get_fingerprint (lb->bob->identity));
  g_assert_null (pin_of (lb->bob, "alice@example.org"));
  assert_state (lb->alice, XTLS_STATE_NEGOTIATING);
  g_assert_true (xtls_session_awaits_peer_user (s));
  g_assert_false (xtls_loopback_wire_contains (lb, "action='security-info'"));

  advance_minutes (lb, 12); /* past the old 5-minute deadline, twice */
  assert_state (lb->alice, XTLS_STATE_NEGOTIATING);
  g_assert_cmpint (xtls_session_get_pending_decision (xtls_test_peer_session (lb->bob)), ==,
                   XTLS_DECISION_UNKNOWN_KEY);
  g_assert_cmpuint (lb->bob->received->len, ==, 0);

  xtls_session_decide (xtls_test_peer_session (lb->bob), XTLS_ANSWER_ACCEPT_ONCE);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_UNVERIFIED);
  g_assert_false (xtls_session_awaits_peer_user (s));
  g_assert_nonnull (xtls_session_get_tls_description (xtls_test_peer_session (lb->bob)));
  g_assert_null (pin_of (lb->bob, "alice@example.org"));
  g_assert_cmpuint (lb->bob->received->len, ==, 1);
}

/* The password, chosen on either side while both key questions are open: the other side's
 * question becomes the password question; nothing was pinned; SRP pins afterwards. */
static void
together_password (Fixture *f, gboolean bob_chooses)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s = alice_starts (f);
  XtlsSession *bs;
  XtlsSession *chooser, *other_s;

  xtls_loopback_run (lb, MAX_LEGS);
  assert_both_asked_same_code (lb);
  bs = xtls_test_peer_session (lb->bob);
  chooser = bob_chooses ? bs : s;
  other_s = bob_chooses ? s : bs;
  xtls_session_decide (chooser, XTLS_ANSWER_USE_PASSWORD);
  xtls_loopback_run (lb, MAX_LEGS);
  /* Both password questions are open together; neither key was pinned. */
  g_assert_cmpint (xtls_session_get_pending_decision (chooser), ==, XTLS_DECISION_PASSWORD);
  g_assert_cmpint (xtls_session_get_pending_decision (other_s), ==, XTLS_DECISION_PASSWORD);
  g_assert_cmpint ((bob_chooses ? lb->alice : lb->bob)->decision, ==, XTLS_DECISION_PASSWORD);
  g_assert_null (pin_of (lb->alice, "bob@example.net"));
  g_assert_null (pin_of (lb->bob, "alice@example.org"));

  advance_minutes (lb, 7);
  g_assert_cmpint (xtls_session_get_pending_decision (other_s), ==, XTLS_DECISION_PASSWORD);

  xtls_session_supply_password (other_s, "purple otters");
  xtls_loopback_run (lb, MAX_LEGS);
  /* The chooser is still typing five minutes later: no handshake deadline runs out meanwhile,
   * on either side, and nothing completes before the chooser typed. */
  advance_minutes (lb, 5);
  g_assert_null (xtls_session_get_tls_description (s));
  g_assert_null (xtls_session_get_tls_description (bs));
  g_assert_cmpint (xtls_session_get_pending_decision (chooser), ==, XTLS_DECISION_PASSWORD);
  g_assert_true (xtls_session_is_live (other_s));
  xtls_session_supply_password (chooser, "purple otters");
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
  g_assert_cmpint (xtls_session_get_method (s), ==, XTLS_METHOD_SRP);
  g_assert_cmpint (xtls_session_get_verification (bs), ==, XTLS_VERIFICATION_PASSWORD);
  g_assert_cmpstr (pin_of (lb->alice, "bob@example.net"), ==,
                   xtls_identity_get_fingerprint (lb->bob->identity));
  g_assert_cmpstr (pin_of (lb->bob, "alice@example.org"), ==,
                   xtls_identity_get_fingerprint (lb->alice->identity));
}

static void
test_together_password_responder (Fixture *f, gconstpointer data)
{
  together_password (f, TRUE);
}

static void
test_together_password_initiator (Fixture *f, gconstpointer data)
{
  together_password (f, FALSE);
}

/* A cancel on either side while the other still reads: both questions close, the other user
 * is told the truth, nothing is pinned, the waiting message is reported not sent. */
static void
together_cancel (Fixture *f, gboolean bob_cancels)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s = alice_starts (f);
  XtlsSession *bs;

  xtls_session_send_message (s, "never leaves");
  xtls_loopback_run (lb, MAX_LEGS);
  assert_both_asked_same_code (lb);
  bs = xtls_test_peer_session (lb->bob);
  xtls_session_decide (bob_cancels ? bs : s, XTLS_ANSWER_CANCEL);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_false (xtls_session_awaits_user (s));
  g_assert_false (xtls_session_awaits_user (bs));
  g_assert_error (xtls_session_get_error (bob_cancels ? bs : s), XTLS_ERROR, XTLS_ERROR_CANCELLED);
  g_assert_error (xtls_session_get_error (bob_cancels ? s : bs), XTLS_ERROR, XTLS_ERROR_DECLINED);
  g_assert_true (xtls_loopback_wire_contains (lb, bob_cancels ? "<decline/>" : "<cancel/>"));
  g_assert_null (pin_of (lb->alice, "bob@example.net"));
  g_assert_null (pin_of (lb->bob, "alice@example.org"));
  g_assert_cmpuint (lb->alice->unsent_ids->len, ==, 1);
  g_assert_false (xtls_loopback_wire_contains (lb, "never leaves"));
}

static void
test_together_responder_declines (Fixture *f, gconstpointer data)
{
  together_cancel (f, TRUE);
}

static void
test_together_initiator_cancels (Fixture *f, gconstpointer data)
{
  together_cancel (f, FALSE);
}

/* A question left open for longer than a phone call ends, with a sentence that says who
 * stopped waiting: the one who never answered is told so, the other that the contact gave
 * up, never "stopped answering". */
static void
test_together_decision_bound (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s = alice_starts (f);
  XtlsSession *bs;

  xtls_loopback_run (lb, MAX_LEGS);
  bs = xtls_test_peer_session (lb->bob);
  xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  advance_minutes (lb, 29);
  assert_state (lb->alice, XTLS_STATE_NEGOTIATING);
  g_assert_true (xtls_session_awaits_user (bs));
  advance_minutes (lb, 2);
  assert_failed_with (lb->bob, XTLS_ERROR_NO_DECISION);
  assert_failed_with (lb->alice, XTLS_ERROR_TIMEOUT);
  g_assert_true (xtls_loopback_wire_contains (lb, "<timeout/>"));
}

/* Alice's user reads; bob's side gives up after its own bound: alice is told her contact
 * stopped waiting for her, not that her contact stopped answering. */
static void
test_together_peer_gave_up (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *bs;

  alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  bs = xtls_test_peer_session (lb->bob);
  xtls_session_decide (bs, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  advance_minutes (lb, 20);
  g_assert_true (xtls_session_awaits_user (xtls_test_peer_session (lb->alice)));
  /* Bob's user stops the session while alice still reads. */
  xtls_session_stop (bs);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_error (xtls_session_get_error (xtls_test_peer_session (lb->alice)), XTLS_ERROR,
                  XTLS_ERROR_DECLINED);
  g_assert_false (xtls_session_awaits_user (xtls_test_peer_session (lb->alice)));
}

/* The peer's client vanishes while we wait for its user: its keepalives stop, and we end after
 * three missed ones, saying the contact stopped answering (which is then true). */
static XtlsWireAction
drop_from_bob (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml,
               gpointer user_data)
{
  return from == lb->bob ? XTLS_WIRE_DROP : XTLS_WIRE_DELIVER;
}

static void
test_together_peer_vanishes (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s = alice_starts (f);

  xtls_loopback_run (lb, MAX_LEGS);
  xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  lb->filter = drop_from_bob;
  advance_minutes (lb, 2);
  assert_state (lb->alice, XTLS_STATE_NEGOTIATING);
  advance_minutes (lb, 2);
  assert_failed_with (lb->alice, XTLS_ERROR_TIMEOUT);
}

/* A hostile peer that says "still deciding" forever keeps a session no longer than two full
 * questions (61 minutes), then three minutes of silence end it. */
static XtlsWireAction
drop_terminate_from_bob (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml,
                         gpointer user_data)
{
  return from == lb->bob && strstr (*xml, "session-terminate") != NULL ? XTLS_WIRE_DROP
                                                                       : XTLS_WIRE_DELIVER;
}

static void
test_together_endless_keepalives (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s = alice_starts (f);
  g_autofree char *keepalive = NULL;

  xtls_loopback_run (lb, MAX_LEGS);
  xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  lb->filter = drop_terminate_from_bob;
  keepalive = g_strdup_printf ("<iq type='set' id='ka' from='%s' to='%s'><jingle "
                               "xmlns='urn:xmpp:jingle:1' action='session-info' sid='%s'>"
                               "<deciding xmlns='urn:xmpp:tmp:xtls:decide:0'/></jingle></iq>",
                               lb->bob->jid, lb->alice->jid, xtls_session_get_sid (s));
  for (guint minute = 0; minute < 70; minute++)
    {
      if (minute == 55)
        assert_state (lb->alice, XTLS_STATE_NEGOTIATING); /* bob's own end was dropped */
      xtls_loopback_inject (lb, lb->bob, lb->alice, keepalive);
      advance_minutes (lb, 1);
    }
  assert_failed_with (lb->alice, XTLS_ERROR_TIMEOUT);
}

/* A peer that does not decide together (its initiate carries no <decide-together/>): bob asks
 * before he accepts, as before; alice's wait for the accept fits a phone call. */
static XtlsWireAction
strip_together (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml,
                gpointer user_data)
{
  const char *marker = "<decide-together xmlns='urn:xmpp:tmp:xtls:decide:0'/>";
  char *at = strstr (*xml, marker);

  if (at != NULL)
    {
      char *rewritten = g_strdup_printf ("%.*s%s", (int)(at - *xml), *xml, at + strlen (marker));
      g_free (*xml);
      *xml = rewritten;
    }
  return XTLS_WIRE_DELIVER;
}

static void
test_together_older_peer (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s;
  XtlsSession *bs;

  lb->filter = strip_together;
  s = alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  bs = xtls_test_peer_session (lb->bob);
  g_assert_cmpint (xtls_session_get_pending_decision (bs), ==, XTLS_DECISION_UNKNOWN_KEY);
  assert_state (lb->alice, XTLS_STATE_NEGOTIATING);
  g_assert_false (xtls_loopback_wire_contains (lb, "action='session-accept'"));
  advance_minutes (lb, 10); /* bob reads longer than the old accept deadline */
  assert_state (lb->alice, XTLS_STATE_NEGOTIATING);
  xtls_session_decide (bs, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpint (xtls_session_get_pending_decision (s), ==, XTLS_DECISION_UNKNOWN_KEY);
  g_assert_false (xtls_loopback_wire_contains (lb, "<deciding"));
  xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
}

/* XEP-0166 §7.2 while both read: an empty session-info (a ping) is acknowledged, one with a
 * payload we do not know gets <unsupported-info/>; neither disturbs the session. */
static void
test_together_unknown_session_info (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s = alice_starts (f);
  g_autofree char *ping = NULL;
  g_autofree char *ringing = NULL;

  xtls_loopback_run (lb, MAX_LEGS);
  ping = g_strdup_printf ("<iq type='set' id='ping1' from='%s' to='%s'><jingle "
                          "xmlns='urn:xmpp:jingle:1' action='session-info' sid='%s'/></iq>",
                          lb->alice->jid, lb->bob->jid, xtls_session_get_sid (s));
  ringing = g_strdup_printf (
      "<iq type='set' id='ring1' from='%s' to='%s'><jingle xmlns='urn:xmpp:jingle:1' "
      "action='session-info' sid='%s'><ringing xmlns='urn:xmpp:jingle:apps:rtp:info:1'/>"
      "</jingle></iq>",
      lb->alice->jid, lb->bob->jid, xtls_session_get_sid (s));
  xtls_loopback_inject (lb, lb->alice, lb->bob, ping);
  xtls_loopback_inject (lb, lb->alice, lb->bob, ringing);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_true (xtls_loopback_wire_contains (lb, "type='result' id='ping1'"));
  g_assert_true (xtls_loopback_wire_contains (lb, "<unsupported-info"));
  g_assert_true (xtls_loopback_wire_contains (lb, "<feature-not-implemented"));
  assert_both_asked_same_code (lb);
  xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
  xtls_session_decide (xtls_test_peer_session (lb->bob), XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
}

/* Bob asks at the offer (the initiate did not say it decides together) and never answers:
 * his own 30-minute bound ends it before alice's accept deadline, and each is told the truth. */
static void
test_together_offer_bound (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  lb->filter = strip_together;
  alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_true (xtls_session_awaits_user (xtls_test_peer_session (lb->bob)));
  advance_minutes (lb, 29);
  assert_state (lb->alice, XTLS_STATE_NEGOTIATING);
  assert_state (lb->bob, XTLS_STATE_UNVERIFIED);
  advance_minutes (lb, 2);
  assert_failed_with (lb->bob, XTLS_ERROR_NO_DECISION);
  assert_failed_with (lb->alice, XTLS_ERROR_TIMEOUT);
}

/* A server strips <deciding/> from bob's early accept: alice goes ahead after her own click,
 * but bob's side holds the handshake until bob decided (fail closed). */
static XtlsWireAction
strip_deciding (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml,
                gpointer user_data)
{
  const char *marker = "<deciding xmlns='urn:xmpp:tmp:xtls:decide:0'/>";
  char *at = strstr (*xml, marker);

  if (at != NULL && strstr (*xml, "session-accept") != NULL)
    {
      char *rewritten = g_strdup_printf ("%.*s%s", (int)(at - *xml), *xml, at + strlen (marker));
      g_free (*xml);
      *xml = rewritten;
    }
  return XTLS_WIRE_DELIVER;
}

static void
test_together_marker_stripped (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s;
  XtlsSession *bs;

  lb->filter = strip_deciding;
  s = alice_starts (f);
  xtls_session_send_message (s, "held back");
  xtls_loopback_run (lb, MAX_LEGS);
  bs = xtls_test_peer_session (lb->bob);
  xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_true (xtls_loopback_wire_contains (lb, "action='security-info'"));
  g_assert_null (xtls_session_get_tls_description (bs));
  g_assert_null (xtls_session_get_tls_description (s));
  g_assert_cmpuint (lb->bob->received->len, ==, 0);
  g_assert_cmpint (xtls_session_get_pending_decision (bs), ==, XTLS_DECISION_UNKNOWN_KEY);
  /* Alice's handshake waits for bob's user as long as he says he is reading. */
  advance_minutes (lb, 10);
  g_assert_true (xtls_session_is_live (s));
  g_assert_null (xtls_session_get_tls_description (bs));
  xtls_session_decide (bs, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
  g_assert_cmpuint (lb->bob->received->len, ==, 1);
}

static void
test_unknown_key_accept_once (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  lb->alice->auto_answer = lb->bob->auto_answer = TRUE;
  lb->alice->answer = lb->bob->answer = XTLS_ANSWER_ACCEPT_ONCE;
  alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  /* Encrypted, but shown as unverified, and nothing pinned. */
  assert_state (lb->alice, XTLS_STATE_UNVERIFIED);
  assert_state (lb->bob, XTLS_STATE_UNVERIFIED);
  g_assert_nonnull (xtls_session_get_tls_description (xtls_test_peer_session (lb->alice)));
  g_assert_null (xtls_trust_store_lookup (lb->alice->trust, "bob@example.net"));
  g_assert_null (xtls_trust_store_lookup (lb->bob->trust, "alice@example.org"));
  send_many (lb->alice, lb->bob, 3, "once");
  xtls_loopback_run (lb, MAX_LEGS);
  assert_received_in_order (lb->bob, 3, "once");
}

static void
test_unknown_key_cancel (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s;

  lb->bob->auto_answer = TRUE;
  lb->bob->answer = XTLS_ANSWER_CANCEL;
  s = alice_starts (f);
  xtls_session_send_message (s, "never leaves");
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpint (xtls_session_get_state (xtls_test_peer_session (lb->bob)), ==,
                   XTLS_STATE_FAILED);
  g_assert_error (xtls_session_get_error (xtls_test_peer_session (lb->bob)), XTLS_ERROR,
                  XTLS_ERROR_CANCELLED);
  /* Alice is told bob declined; her message is reported as not sent. */
  g_assert_error (xtls_session_get_error (s), XTLS_ERROR, XTLS_ERROR_DECLINED);
  g_assert_cmpuint (lb->alice->unsent_ids->len, ==, 1);
  g_assert_false (xtls_loopback_wire_contains (lb, "never leaves"));
}

/* ---- Both start at once ---------------------------------------------------------------- */

static void
test_tie_break (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *a, *b;

  xtls_loopback_pin_both (lb);
  a = xtls_hub_start (lb->alice->hub, lb->bob->jid);
  b = xtls_hub_start (lb->bob->hub, lb->alice->jid);
  xtls_session_send_message (a, "alice typed first");
  xtls_session_send_message (b, "bob typed first");
  xtls_loopback_run (lb, MAX_LEGS);

  /* One session, private on both sides, no error shown, nothing lost. */
  a = xtls_test_peer_session (lb->alice);
  b = xtls_test_peer_session (lb->bob);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
  g_assert_cmpstr (xtls_session_get_sid (a), ==, xtls_session_get_sid (b));
  g_assert_true (xtls_session_is_initiator (a) != xtls_session_is_initiator (b));
  for (guint i = 0; i < lb->alice->states->len; i++)
    g_assert_cmpint (g_array_index (lb->alice->states, XtlsTrustState, i), !=, XTLS_STATE_FAILED);
  for (guint i = 0; i < lb->bob->states->len; i++)
    g_assert_cmpint (g_array_index (lb->bob->states, XtlsTrustState, i), !=, XTLS_STATE_FAILED);
  g_assert_cmpuint (lb->bob->received->len, ==, 1);
  g_assert_cmpuint (lb->alice->received->len, ==, 1);
  g_assert_true (xtls_loopback_wire_contains (lb, "tie-break"));
}

/* ---- Ends ------------------------------------------------------------------------------ */

static void
test_peer_offline (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  xtls_loopback_pin_both (lb);
  alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  xtls_hub_peer_offline (lb->alice->hub, lb->bob->jid);
  assert_failed_with (lb->alice, XTLS_ERROR_PEER_GONE);
  g_assert_cmpuint (xtls_session_send_message (xtls_test_peer_session (lb->alice), "late"), ==, 0);
}

static void
test_stop_while_negotiating (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s = alice_starts (f);

  xtls_session_send_message (s, "pending one");
  xtls_loopback_leg (lb); /* bob has the offer and asks his user */
  xtls_session_stop (s);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_FINISHED);
  g_assert_cmpuint (lb->alice->unsent_ids->len, ==, 1);
  g_assert_cmpint (xtls_session_get_state (xtls_test_peer_session (lb->bob)), ==,
                   XTLS_STATE_FINISHED);
  g_assert_error (xtls_session_get_error (xtls_test_peer_session (lb->bob)), XTLS_ERROR,
                  XTLS_ERROR_DECLINED);
}

/* Sign-off or unload: the session ends at once, politely, and nobody is told it "failed". */
static void
test_account_goes_away (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s;

  xtls_loopback_pin_both (lb);
  s = alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  xtls_session_send_message (s, "last words");
  xtls_session_stop_now (s);
  /* Finished at once, without waiting for bob's acknowledgements. */
  assert_state (lb->alice, XTLS_STATE_FINISHED);
  g_assert_null (xtls_session_get_error (s));
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->bob, XTLS_STATE_FINISHED);
  g_assert_null (xtls_session_get_error (xtls_test_peer_session (lb->bob)));
  /* What was written before the end still arrives. */
  g_assert_cmpuint (lb->bob->received->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (lb->bob->received, 0), ==, "last words");
}

static void
test_restart_after_finish (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  xtls_loopback_pin_both (lb);
  for (guint round = 0; round < 3; round++)
    {
      XtlsSession *s = alice_starts (f);
      xtls_loopback_run (lb, MAX_LEGS);
      assert_state (lb->bob, XTLS_STATE_PRIVATE);
      xtls_session_send_message (s, "again");
      xtls_loopback_run (lb, MAX_LEGS);
      xtls_session_stop (xtls_test_peer_session (lb->bob));
      xtls_loopback_run (lb, MAX_LEGS);
      assert_state (lb->alice, XTLS_STATE_FINISHED);
    }
  g_assert_cmpuint (lb->bob->received->len, ==, 3);
}

/* ---- message size: the sender refuses what the receiver could not take ---------------- */

static void
test_largest_body (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  gsize max = xtls_session_max_body_bytes ();
  /* The worst case for escaping ('&' -> "&amp;"), the size limit exactly, and a mix of what
   * libxml2 escapes or may mangle: markup, CR, tab, form feed, non-ASCII. */
  g_autofree char *worst = g_strnfill (max, '&');
  g_autofree char *angles = g_strnfill (max, '<');
  g_autofree char *invalid = g_strnfill (max, '\xff'); /* each becomes U+FFFD */
  g_autofree char *over = g_strnfill (max + 1, 'x');
  const char *mixed = "\x01"
                      "a<b>&c\r\n\td \xc3\xa9 ]]> \"q\" 'a' \x0c\x01 \xef\xbf\xbf "
                      "\xef\xbf\xbe\xef\xbf\xbd\xef\xbc\x81 end\x1f";
  /* What XML cannot carry (C0 controls, U+FFFE, U+FFFF, invalid UTF-8) arrives as U+FFFD;
   * U+FFFD itself and U+FF01 (also EF-led) arrive as they are. */
  const char *mixed_seen = "\xef\xbf\xbd"
                           "a<b>&c\r\n\td \xc3\xa9 ]]> \"q\" 'a' "
                           "\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd"
                           "\xef\xbc\x81 end\xef\xbf\xbd";
  g_autoptr (GString) replaced = g_string_new (NULL);
  XtlsSession *s;

  g_assert_cmpuint (max, ==, XTLS_MAX_BODY_BYTES);
  xtls_loopback_pin_both (lb);
  s = alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);

  g_assert_cmpuint (xtls_session_send_message (s, worst), >, 0);
  g_assert_cmpuint (xtls_session_send_message (s, angles), >, 0);
  g_assert_cmpuint (xtls_session_send_message (s, mixed), >, 0);
  g_assert_cmpuint (xtls_session_send_message (s, invalid), >, 0);
  /* One byte more is refused by the sender, before anything is queued. */
  g_assert_cmpuint (xtls_session_send_message (s, over), ==, 0);
  xtls_loopback_run (lb, MAX_LEGS);

  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
  g_assert_cmpuint (lb->bob->received->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (lb->bob->received, 0), ==, worst);
  g_assert_cmpstr (g_ptr_array_index (lb->bob->received, 1), ==, angles);
  g_assert_cmpstr (g_ptr_array_index (lb->bob->received, 2), ==, mixed_seen);
  for (gsize i = 0; i < max; i++)
    g_string_append (replaced, "\xef\xbf\xbd");
  g_assert_cmpstr (g_ptr_array_index (lb->bob->received, 3), ==, replaced->str);
  g_assert_cmpuint (lb->alice->sent_ids->len, ==, 4);
  g_assert_cmpuint (lb->alice->unsent_ids->len, ==, 0);

  /* The session goes on. */
  g_assert_cmpuint (xtls_session_send_message (s, "still here"), >, 0);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpuint (lb->bob->received->len, ==, 5);
}

/* ---- a slow server: acknowledgements keep the session alive -------------------------- */

/* The server passes one of alice's stanzas per 2 s leg (a shaper like ejabberd's): a full IBB
 * window of 16 waits ~32 s for its last acknowledgement, longer than the 30 s ack timeout,
 * while bob answers each IQ as it arrives. The session must not count that as a dead peer. */
static void
test_shaped_server (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autofree char *big = g_strnfill (100 * 1024, 'b');
  XtlsSession *s;

  xtls_loopback_pin_both (lb);
  s = alice_starts (f);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  lb->leg_latency_us = 2 * G_USEC_PER_SEC;
  lb->shaped = lb->alice;
  lb->shaped_per_leg = 1;
  g_assert_cmpuint (xtls_session_send_message (s, big), >, 0);
  /* What is still on its way can be shown as progress. */
  g_assert_cmpuint (xtls_session_get_unacknowledged_bytes (s), >=, 100 * 1024);
  xtls_loopback_run (lb, 20);
  g_assert_cmpuint (xtls_session_get_unacknowledged_bytes (s), <, 100 * 1024);
  g_assert_cmpuint (xtls_session_get_unacknowledged_bytes (s), >, 0);
  xtls_loopback_run (lb, 400);
  g_assert_cmpuint (xtls_session_get_unacknowledged_bytes (s), ==, 0);

  g_assert_cmpint (lb->clock.now, >, 60 * G_USEC_PER_SEC); /* it really was slow */
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
  g_assert_cmpuint (lb->bob->received->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (lb->bob->received, 0), ==, big);
}

int
main (int argc, char **argv)
{
  static const XtlsHubConfig tls12 = { .tls_version = XTLS_TLS_VERSION_1_2 };

  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, config)                                                                    \
  g_test_add (path, Fixture, config, fixture_setup, func, fixture_teardown)
  ADD ("/session/x509/pinned-100-each-way", test_x509_pinned, NULL);
  ADD ("/session/x509/tls12", test_x509_tls12, &tls12);
  ADD ("/session/srp/then-pinned-x509", test_srp_then_x509, NULL);
  ADD ("/session/srp/wrong-password", test_srp_wrong_password, NULL);
  ADD ("/session/keys/cert-differs-from-announced", test_cert_differs_from_announced, NULL);
  ADD ("/session/keys/changed-initiator-side", test_key_changed, NULL);
  ADD ("/session/keys/changed-responder-side", test_key_changed_responder, NULL);
  ADD ("/session/together/responder-decides-first", test_together_responder_first, NULL);
  ADD ("/session/together/initiator-decides-first", test_together_initiator_first, NULL);
  ADD ("/session/together/password-from-responder", test_together_password_responder, NULL);
  ADD ("/session/together/password-from-initiator", test_together_password_initiator, NULL);
  ADD ("/session/together/responder-declines", test_together_responder_declines, NULL);
  ADD ("/session/together/initiator-cancels", test_together_initiator_cancels, NULL);
  ADD ("/session/together/decision-bound", test_together_decision_bound, NULL);
  ADD ("/session/together/peer-stops-while-we-read", test_together_peer_gave_up, NULL);
  ADD ("/session/together/peer-vanishes", test_together_peer_vanishes, NULL);
  ADD ("/session/together/older-peer", test_together_older_peer, NULL);
  ADD ("/session/together/marker-stripped", test_together_marker_stripped, NULL);
  ADD ("/session/together/offer-bound", test_together_offer_bound, NULL);
  ADD ("/session/together/unknown-session-info", test_together_unknown_session_info, NULL);
  ADD ("/session/together/endless-keepalives", test_together_endless_keepalives, NULL);
  ADD ("/session/unknown/accept-once", test_unknown_key_accept_once, NULL);
  ADD ("/session/unknown/cancel", test_unknown_key_cancel, NULL);
  ADD ("/session/tie-break", test_tie_break, NULL);
  ADD ("/session/end/peer-offline", test_peer_offline, NULL);
  ADD ("/session/end/stop-while-negotiating", test_stop_while_negotiating, NULL);
  ADD ("/session/end/account-goes-away", test_account_goes_away, NULL);
  ADD ("/session/end/restart-after-finish", test_restart_after_finish, NULL);
  ADD ("/session/limit/largest-body-arrives", test_largest_body, NULL);
  ADD ("/session/slow-server/acks-keep-it-alive", test_shaped_server, NULL);
  return g_test_run ();
}
