/* Full stack: two hubs (Jingle + IBB + TLS + inner stream) through the loopback server.
 * Each case asserts what each user would see: states, reasons, delivered messages, and what
 * crossed the server. */
#include <string.h>

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

static void
test_unknown_key_waits (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s = alice_starts (f);
  XtlsSession *bs;

  g_assert_cmpuint (xtls_session_send_message (s, "hello bob"), >, 0);
  xtls_loopback_run (lb, MAX_LEGS);
  /* Bob does not know alice's key: he is asked, and everything waits for him. */
  bs = xtls_test_peer_session (lb->bob);
  assert_state (lb->bob, XTLS_STATE_UNVERIFIED);
  g_assert_cmpint (xtls_session_get_pending_decision (bs), ==, XTLS_DECISION_UNKNOWN_KEY);
  g_assert_cmpstr (xtls_session_get_peer_fingerprint (bs), ==,
                   xtls_identity_get_fingerprint (lb->alice->identity));
  assert_state (lb->alice, XTLS_STATE_NEGOTIATING);
  g_assert_cmpuint (lb->bob->received->len, ==, 0);

  /* Waiting for a person is not a timeout (ack deadlines were met). */
  xtls_loopback_advance (lb, 200 * G_USEC_PER_SEC);
  assert_state (lb->bob, XTLS_STATE_UNVERIFIED);

  /* Bob compared fingerprints; then alice is asked about bob's key. */
  xtls_session_decide (bs, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_UNVERIFIED);
  g_assert_cmpint (xtls_session_get_pending_decision (s), ==, XTLS_DECISION_UNKNOWN_KEY);
  xtls_session_decide (s, XTLS_ANSWER_VERIFIED);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_state (lb->alice, XTLS_STATE_PRIVATE);
  assert_state (lb->bob, XTLS_STATE_PRIVATE);
  g_assert_cmpuint (lb->bob->received->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (lb->bob->received, 0), ==, "hello bob");
  /* Verified keys are pinned for next time. */
  g_assert_cmpstr (xtls_trust_store_lookup (lb->alice->trust, "bob@example.net"), ==,
                   xtls_identity_get_fingerprint (lb->bob->identity));
  g_assert_cmpstr (xtls_trust_store_lookup (lb->bob->trust, "alice@example.org"), ==,
                   xtls_identity_get_fingerprint (lb->alice->identity));
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
  const char *mixed = "a<b>&c\r\n\td \xc3\xa9 ]]> \"q\" 'a' \x0c\x01 \xef\xbf\xbf end";
  /* What XML cannot carry (C0 controls, U+FFFF, invalid UTF-8) arrives as U+FFFD. */
  const char *mixed_seen = "a<b>&c\r\n\td \xc3\xa9 ]]> \"q\" 'a' \xef\xbf\xbd\xef\xbf\xbd "
                           "\xef\xbf\xbd end";
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
  ADD ("/session/unknown/waits-for-user", test_unknown_key_waits, NULL);
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
