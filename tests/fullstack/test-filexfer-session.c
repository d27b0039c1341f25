/* Full stack, file transfer (issue 11): an encrypted Jingle File Transfer session (XEP-0234 +
 * the XTLS <security/>, IBB transport, TLS) between two hubs through the loopback server. Each
 * case asserts what each user (and the glue) would see: file_offered, the stored bytes,
 * file_ended's error, the session states, and what crossed the server. */
#include <string.h>

#include "loopback.h"
#include "session-private.h"
#include "test-keys.h"
#include "xtls-error.h"

#define MAX_LEGS 5000

typedef struct
{
  XtlsLoopback *lb;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->lb = xtls_loopback_new (data);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  xtls_loopback_free (f->lb);
}

/* Recognisable plaintext: a marker repeated, then a counter pattern. */
#define MARKER "SECRET-FILE-BYTES:"

static GBytes *
make_contents (gsize size)
{
  guint8 *data = g_malloc (MAX (size, 1));

  for (gsize i = 0; i < size; i++)
    data[i] = (i % 64) < strlen (MARKER) ? (guint8)MARKER[i % 64] : (guint8)(i * 7 + i / 251);
  return g_bytes_new_take (data, size);
}

static void
assert_bytes_equal (GByteArray *got, GBytes *want)
{
  g_assert_cmpuint (got->len, ==, g_bytes_get_size (want));
  g_assert_true (memcmp (got->data, g_bytes_get_data (want, NULL), got->len) == 0);
}

/* The one file offer bob got. */
static XtlsSession *
bob_offer (XtlsLoopback *lb, guint i)
{
  g_assert_cmpuint (lb->bob->file_offers->len, >, i);
  return g_ptr_array_index (lb->bob->file_offers, i);
}

/* Runs legs until bob's first incoming file has stored at least @bytes (in mid-file). */
static void
run_until_stored (XtlsLoopback *lb, gsize bytes)
{
  guint legs = 0;

  while (lb->bob->file_offers->len == 0
         || xtls_test_peer_file (lb->bob, bob_offer (lb, 0))->stored->len < bytes)
    {
      g_assert_cmpuint (xtls_loopback_leg (lb), >, 0);
      g_assert_cmpuint (++legs, <, MAX_LEGS);
    }
}

static void
assert_complete (XtlsLoopback *lb, XtlsSession *sent, XtlsSession *got, GBytes *contents)
{
  XtlsTestFile *out = xtls_test_peer_file (lb->alice, sent);
  XtlsTestFile *in = xtls_test_peer_file (lb->bob, got);

  g_assert_cmpuint (in->ended, ==, 1);
  g_assert_no_error (in->error);
  assert_bytes_equal (in->stored, contents);
  g_assert_cmpuint (out->ended, ==, 1);
  g_assert_no_error (out->error);
  g_assert_cmpint (xtls_session_get_file_state (got), ==, XTLS_FILEXFER_STATE_COMPLETE);
  g_assert_cmpint (xtls_session_get_file_state (sent), ==, XTLS_FILEXFER_STATE_COMPLETE);
  g_assert_cmpint (xtls_session_get_state (sent), ==, XTLS_STATE_FINISHED);
  g_assert_cmpint (xtls_session_get_state (got), ==, XTLS_STATE_FINISHED);
  g_assert_null (xtls_session_get_error (sent));
  g_assert_null (xtls_session_get_error (got));
}

/* ---- pinned pair: sizes, with the hash in the offer or a late <checksum/> ----------------- */

static void
send_one (Fixture *f, gsize size, gboolean with_hash)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (size);
  XtlsSession *sent, *got;
  const XtlsFileInfo *info;
  guint offers = lb->bob->file_offers->len;
  guint legs = lb->legs;

  sent = xtls_test_peer_send_file (lb->alice, "../report \xc3\xa9.pdf", contents, with_hash);
  g_assert_nonnull (sent);
  g_assert_true (xtls_session_is_file (sent));
  g_assert_true (xtls_session_is_initiator (sent));
  xtls_loopback_run (lb, MAX_LEGS);
  g_test_message ("%" G_GSIZE_FORMAT " bytes: %u one-way legs from offer to the end", size,
                  lb->legs - legs);

  got = bob_offer (lb, offers);
  g_assert_true (xtls_session_is_file (got));
  info = xtls_session_get_file (got);
  /* The receiver sees a safe name: no path, no leading dot. */
  g_assert_cmpstr (info->name, ==, "report \xc3\xa9.pdf");
  g_assert_cmpuint (info->size, ==, size);
  g_assert_true (info->has_sha256 == with_hash);
  g_assert_cmpuint (lb->alice->decisions + lb->bob->decisions, ==, 0);
  assert_complete (lb, sent, got, contents);
  g_assert_cmpint (xtls_session_get_method (got), ==, XTLS_METHOD_X509);
  g_assert_cmpint (xtls_session_get_verification (got), ==, XTLS_VERIFICATION_KNOWN_KEY);
  g_assert_true (xtls_loopback_wire_contains (lb, "urn:xmpp:jingle:apps:file-transfer:5"));
  g_assert_true (xtls_loopback_wire_contains (lb, "senders='initiator'"));
  g_assert_true (xtls_loopback_wire_contains (lb, "<received "));
  g_assert_true (xtls_loopback_wire_contains (lb, "<success/>"));
  g_assert_cmpuint (xtls_test_peer_file (lb->alice, sent)->progress, ==, size);
  g_assert_cmpuint (xtls_test_peer_file (lb->bob, got)->progress, ==, size);
}

static void
test_pinned_sizes (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autofree char *plain = NULL;
  g_autofree char *encoded = NULL;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = 1;
  send_one (f, 0, TRUE);
  send_one (f, 1, TRUE);
  send_one (f, 1024 * 1024, TRUE);
  g_assert_false (xtls_loopback_wire_contains (lb, "<checksum"));

  /* Nothing of the file in clear on the wire: not as text, not as base64 of a block. */
  g_assert_false (xtls_loopback_wire_contains (lb, MARKER));
  encoded = g_base64_encode ((const guchar *)MARKER MARKER, 36);
  g_assert_false (xtls_loopback_wire_contains (lb, encoded));
  plain = g_base64_encode ((const guchar *)MARKER, 18);
  g_assert_false (xtls_loopback_wire_contains (lb, plain));
}

static void
test_late_checksum (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = 1;
  send_one (f, 100 * 1000 + 7, FALSE);
  g_assert_true (xtls_loopback_wire_contains (lb, "<checksum "));
  send_one (f, 0, FALSE);
}

/* ---- the receiver says no ------------------------------------------------------------------ */

static void
test_decline (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (5000);
  XtlsSession *sent, *got;
  XtlsTestFile *in, *out;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = -1;
  sent = xtls_test_peer_send_file (lb->alice, "no.bin", contents, TRUE);
  xtls_loopback_run (lb, MAX_LEGS);
  got = bob_offer (lb, 0);
  in = xtls_test_peer_file (lb->bob, got);
  out = xtls_test_peer_file (lb->alice, sent);
  g_assert_cmpuint (in->ended, ==, 1);
  g_assert_error (in->error, XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_CANCELLED);
  g_assert_cmpuint (in->stored->len, ==, 0);
  g_assert_cmpuint (out->ended, ==, 1);
  g_assert_error (out->error, XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_PEER_CANCELLED);
  g_assert_cmpuint (out->read_pos, ==, 0);
  g_assert_true (xtls_loopback_wire_contains (lb, "<decline/>"));
  g_assert_cmpint (xtls_session_get_state (sent), ==, XTLS_STATE_FINISHED);
  g_assert_error (xtls_session_get_error (sent), XTLS_ERROR, XTLS_ERROR_DECLINED);
  /* No key question, no handshake. */
  g_assert_cmpuint (lb->bob->decisions, ==, 0);
  g_assert_false (xtls_loopback_wire_contains (lb, "security-info"));
}

/* ---- hashes that do not match -------------------------------------------------------------- */

/* A server rewrites the hash in the offer: the bytes arrive through TLS intact, but they are not
 * the file that was announced. */
static XtlsWireAction
rewrite_hash (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml,
              gpointer user_data)
{
  char *hash = strstr (*xml, "algo='sha-256'>");

  if (hash != NULL && strstr (*xml, "session-initiate") != NULL)
    {
      char *digest = hash + strlen ("algo='sha-256'>");
      digest[0] = digest[0] == 'A' ? 'B' : 'A';
    }
  return XTLS_WIRE_DELIVER;
}

static void
test_hash_mismatch (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (70000);
  XtlsSession *sent, *got;
  XtlsTestFile *in, *out;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = 1;
  lb->filter = rewrite_hash;
  sent = xtls_test_peer_send_file (lb->alice, "x.bin", contents, TRUE);
  xtls_loopback_run (lb, MAX_LEGS);
  got = bob_offer (lb, 0);
  in = xtls_test_peer_file (lb->bob, got);
  out = xtls_test_peer_file (lb->alice, sent);
  g_assert_cmpuint (in->ended, ==, 1);
  g_assert_error (in->error, XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_HASH_MISMATCH);
  g_assert_true (in->deleted);
  g_assert_cmpint (xtls_session_get_state (got), ==, XTLS_STATE_FAILED);
  g_assert_cmpint (xtls_session_get_file_state (got), ==, XTLS_FILEXFER_STATE_FAILED);
  g_assert_true (xtls_loopback_wire_contains (lb, "<failed-application/>"));
  /* The sender is told it did not arrive. */
  g_assert_cmpuint (out->ended, ==, 1);
  g_assert_nonnull (out->error);
  g_assert_cmpint (xtls_session_get_file_state (sent), ==, XTLS_FILEXFER_STATE_FAILED);
}

/* The file changes on disk while it is sent: the sender notices before close_notify and the
 * receiver is told; its partial file is deleted. */
static void
test_source_changed (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (50000);
  g_autoptr (GBytes) other = make_contents (50001);
  XtlsSession *sent, *got;
  XtlsTestFile *in, *out;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = 1;
  sent = xtls_test_peer_send_file (lb->alice, "x.bin", contents, TRUE);
  out = xtls_test_peer_file (lb->alice, sent);
  g_bytes_unref (out->source);
  out->source = g_bytes_new_from_bytes (other, 1, 50000);
  xtls_loopback_run (lb, MAX_LEGS);
  got = bob_offer (lb, 0);
  in = xtls_test_peer_file (lb->bob, got);
  g_assert_cmpuint (out->ended, ==, 1);
  g_assert_error (out->error, XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_SOURCE_CHANGED);
  g_assert_cmpuint (in->ended, ==, 1);
  g_assert_nonnull (in->error);
  g_assert_true (in->deleted);
  g_assert_cmpint (xtls_session_get_state (got), !=, XTLS_STATE_PRIVATE);
}

/* The late <checksum/> never comes (dropped): the receiver's wait is bounded. */
static XtlsWireAction
drop_checksum (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml,
               gpointer user_data)
{
  return strstr (*xml, "<checksum ") != NULL ? XTLS_WIRE_DROP : XTLS_WIRE_DELIVER;
}

static void
test_checksum_never_comes (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (3000);
  XtlsSession *got;
  XtlsTestFile *in;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = 1;
  lb->filter = drop_checksum;
  xtls_test_peer_send_file (lb->alice, "x.bin", contents, FALSE);
  xtls_loopback_run (lb, MAX_LEGS);
  got = bob_offer (lb, 0);
  in = xtls_test_peer_file (lb->bob, got);
  g_assert_cmpuint (in->ended, ==, 0);
  g_assert_cmpint (xtls_session_get_file_state (got), ==, XTLS_FILEXFER_STATE_FINISHING);
  g_assert_cmpint (xtls_hub_next_deadline (lb->bob->hub), >, 0);
  xtls_loopback_advance (lb, 31 * G_USEC_PER_SEC);
  g_assert_cmpuint (in->ended, ==, 1);
  g_assert_error (in->error, XTLS_ERROR, XTLS_ERROR_TIMEOUT);
  g_assert_true (in->deleted);
}

/* The receiver's confirmation never comes (dropped, or the receiver vanished after the last
 * acknowledgement): the sender's wait is bounded too, and the file does not count as sent. */
static XtlsWireAction
drop_confirmation (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml,
                   gpointer user_data)
{
  if (from == lb->bob
      && (strstr (*xml, "<received ") != NULL || strstr (*xml, "session-terminate") != NULL
          || strstr (*xml, "<close ") != NULL))
    return XTLS_WIRE_DROP;
  return XTLS_WIRE_DELIVER;
}

static void
test_confirmation_never_comes (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (3000);
  XtlsSession *sent;
  XtlsTestFile *out;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = 1;
  lb->filter = drop_confirmation;
  sent = xtls_test_peer_send_file (lb->alice, "x.bin", contents, TRUE);
  out = xtls_test_peer_file (lb->alice, sent);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_no_error (xtls_test_peer_file (lb->bob, bob_offer (lb, 0))->error);
  g_assert_cmpuint (out->ended, ==, 0);
  g_assert_cmpint (xtls_session_get_file_state (sent), ==, XTLS_FILEXFER_STATE_FINISHING);
  xtls_loopback_advance (lb, 31 * G_USEC_PER_SEC);
  g_assert_cmpuint (out->ended, ==, 0);
  xtls_loopback_advance (lb, 30 * G_USEC_PER_SEC);
  g_assert_cmpuint (out->ended, ==, 1);
  g_assert_error (out->error, XTLS_ERROR, XTLS_ERROR_TIMEOUT);
  g_assert_cmpint (xtls_session_get_state (sent), ==, XTLS_STATE_FAILED);
}

/* A server forges the receiver's session-terminate <success/> in the middle of the transfer:
 * the file does not count as delivered. */
static void
test_forged_success (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (512 * 1024);
  g_autofree char *forged = NULL;
  XtlsSession *sent;
  XtlsTestFile *out;
  guint legs = 0;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = 1;
  sent = xtls_test_peer_send_file (lb->alice, "big.bin", contents, TRUE);
  out = xtls_test_peer_file (lb->alice, sent);
  while (out->read_pos < 100000)
    {
      g_assert_cmpuint (xtls_loopback_leg (lb), >, 0);
      g_assert_cmpuint (++legs, <, MAX_LEGS);
    }
  forged = g_strdup_printf (
      "<iq type='set' id='forged1' from='%s' to='%s'><jingle xmlns='urn:xmpp:jingle:1' "
      "action='session-terminate' sid='%s'><reason><success/></reason></jingle></iq>",
      lb->bob->jid, lb->alice->jid, xtls_session_get_sid (sent));
  g_assert_true (xtls_hub_receive (lb->alice->hub, forged, -1));
  g_assert_cmpuint (out->ended, ==, 1);
  g_assert_error (out->error, XTLS_ERROR, XTLS_ERROR_INTERRUPTED);
  g_assert_cmpint (xtls_session_get_file_state (sent), ==, XTLS_FILEXFER_STATE_FAILED);
  /* The real receiver learns that the transfer is over and drops its partial file. */
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpuint (xtls_test_peer_file (lb->bob, bob_offer (lb, 0))->ended, ==, 1);
  g_assert_true (xtls_test_peer_file (lb->bob, bob_offer (lb, 0))->deleted);
}

/* ---- cancel on either side mid-transfer ----------------------------------------------------- */

static void
cancel_mid_transfer (Fixture *f, gboolean by_sender)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (1024 * 1024);
  XtlsSession *sent, *got;
  XtlsTestFile *in, *out;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = 1;
  sent = xtls_test_peer_send_file (lb->alice, "big.bin", contents, TRUE);
  run_until_stored (lb, 100000);
  got = bob_offer (lb, 0);
  xtls_session_cancel_file (by_sender ? sent : got);
  xtls_loopback_run (lb, MAX_LEGS);
  in = xtls_test_peer_file (lb->bob, got);
  out = xtls_test_peer_file (lb->alice, sent);
  g_assert_cmpuint (in->ended, ==, 1);
  g_assert_cmpuint (out->ended, ==, 1);
  {
    const GError *mine = by_sender ? out->error : in->error;
    const GError *theirs = by_sender ? in->error : out->error;

    g_assert_error (mine, XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_CANCELLED);
    g_assert_error (theirs, XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_PEER_CANCELLED);
  }
  g_assert_true (in->deleted);
  g_assert_cmpuint (out->read_pos, <, g_bytes_get_size (contents));
  g_assert_true (xtls_loopback_wire_contains (lb, "<cancel/>"));
  g_assert_cmpint (xtls_session_get_state (sent), ==, XTLS_STATE_FINISHED);
  g_assert_cmpint (xtls_session_get_state (got), ==, XTLS_STATE_FINISHED);
  g_assert_cmpint (xtls_hub_next_deadline (lb->alice->hub), <, 0);
  g_assert_cmpint (xtls_hub_next_deadline (lb->bob->hub), <, 0);
}

static void
test_cancel_by_sender (Fixture *f, gconstpointer data)
{
  cancel_mid_transfer (f, TRUE);
}

static void
test_cancel_by_receiver (Fixture *f, gconstpointer data)
{
  cancel_mid_transfer (f, FALSE);
}

/* The sender vanishes in mid-file without a presence update: both sides give up in bounded
 * time (the sender on its unanswered data, the receiver when no byte came for the handshake
 * timeout); the partial file is deleted. Then the same with a presence update. */
static void
test_vanishes (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (512 * 1024);
  XtlsSession *sent, *got;
  XtlsTestFile *in, *out;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = 1;
  sent = xtls_test_peer_send_file (lb->alice, "big.bin", contents, TRUE);
  out = xtls_test_peer_file (lb->alice, sent);
  run_until_stored (lb, 50000);
  got = bob_offer (lb, 0);
  in = xtls_test_peer_file (lb->bob, got);
  xtls_loopback_drop_all (lb);
  xtls_loopback_advance (lb, 31 * G_USEC_PER_SEC);
  g_assert_cmpuint (out->ended, ==, 1);
  g_assert_error (out->error, XTLS_ERROR, XTLS_ERROR_TIMEOUT);
  xtls_loopback_drop_all (lb);
  g_assert_cmpuint (in->ended, ==, 0);
  xtls_loopback_advance (lb, 90 * G_USEC_PER_SEC);
  g_assert_cmpuint (in->ended, ==, 1);
  g_assert_error (in->error, XTLS_ERROR, XTLS_ERROR_TIMEOUT);
  g_assert_true (in->deleted);
  g_assert_cmpint (xtls_session_get_state (got), ==, XTLS_STATE_FAILED);

  /* Offline: at once. */
  xtls_loopback_drop_all (lb);
  lb->filter = NULL;
  sent = xtls_test_peer_send_file (lb->alice, "again.bin", contents, TRUE);
  xtls_loopback_run (lb, 6);
  xtls_hub_peer_offline (lb->bob->hub, lb->alice->jid);
  xtls_hub_peer_offline (lb->alice->hub, lb->bob->jid);
  g_assert_error (xtls_test_peer_file (lb->alice, sent)->error, XTLS_ERROR, XTLS_ERROR_PEER_GONE);
  g_assert_error (xtls_test_peer_file (lb->bob, bob_offer (lb, 1))->error, XTLS_ERROR,
                  XTLS_ERROR_PEER_GONE);
}

/* ---- alongside chat, several at once ------------------------------------------------------- */

static void
test_with_chat (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) one = make_contents (200000);
  g_autoptr (GBytes) two = make_contents (33333);
  XtlsSession *chat, *sent1, *sent2;

  xtls_loopback_pin_both (lb);
  lb->bob->file_answer = 1;
  chat = xtls_hub_start (lb->alice->hub, lb->bob->jid);
  sent1 = xtls_test_peer_send_file (lb->alice, "one.bin", one, TRUE);
  sent2 = xtls_test_peer_send_file (lb->alice, "two.bin", two, FALSE);
  g_assert_true (sent1 != sent2);
  g_assert_cmpuint (xtls_hub_count_sessions (lb->alice->hub), ==, 3);
  g_assert_true (xtls_hub_lookup (lb->alice->hub, lb->bob->jid) == chat);
  xtls_loopback_run (lb, 10);
  g_assert_cmpuint (xtls_session_send_message (chat, "while the files go"), >, 0);
  xtls_loopback_run (lb, MAX_LEGS);

  g_assert_cmpuint (lb->bob->received->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (lb->bob->received, 0), ==, "while the files go");
  g_assert_cmpint (xtls_session_get_state (chat), ==, XTLS_STATE_PRIVATE);
  g_assert_cmpuint (lb->bob->file_offers->len, ==, 2);
  g_assert_false (xtls_session_is_file (chat));
  g_assert_null (xtls_session_get_file (chat));
  for (guint i = 0; i < 2; i++)
    {
      XtlsSession *got = bob_offer (lb, i);
      gboolean first = strcmp (xtls_session_get_file (got)->name, "one.bin") == 0;

      assert_complete (lb, first ? sent1 : sent2, got, first ? one : two);
    }
  /* The chat goes on after the files. */
  g_assert_cmpuint (xtls_session_send_message (chat, "after"), >, 0);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpuint (lb->bob->received->len, ==, 2);
  g_assert_false (xtls_loopback_wire_contains (lb, MARKER));
}

/* The hub's bounds apply to file sessions: max_sessions_per_contact live ones per contact. */
static void
test_bounded (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (10);

  for (guint i = 0; i < 4; i++)
    g_assert_nonnull (xtls_test_peer_send_file (lb->alice, "f", contents, TRUE));
  g_assert_null (xtls_test_peer_send_file (lb->alice, "f", contents, TRUE));
  /* Bob has a limit of four too; he is not asked (the answer waits) but keeps them. */
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpuint (lb->bob->file_offers->len, ==, 4);
}

/* ---- what is not ours, and the usual trust decisions ---------------------------------------- */

static void
test_plain_offer_is_libpurples (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  static const char offer[]
      = "<iq type='set' id='p1' from='alice@example.org/laptop' to='bob@example.net/phone'>"
        "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' "
        "initiator='alice@example.org/laptop' sid='plain1'><content creator='initiator' "
        "name='a-file-offer' senders='initiator'><description "
        "xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file><name>a.txt</name><size>5</size>"
        "</file></description><transport xmlns='urn:xmpp:jingle:transports:ibb:1' "
        "block-size='4096' sid='ibb1'/></content></jingle></iq>";

  g_assert_false (xtls_hub_receive (lb->bob->hub, offer, -1));
  g_assert_cmpuint (xtls_hub_count_sessions (lb->bob->hub), ==, 0);
  g_assert_cmpuint (lb->bob->file_offers->len, ==, 0);
  g_assert_cmpuint (g_queue_get_length (&lb->in_flight), ==, 0);
}

/* An encrypted offer with only a SOCKS5 transport is ours (it has <security/>) and is taken even
 * by a hub without sockets: the user is asked; its accept names no candidates of its own
 * (test-filexfer-s5b.c runs the fallback that follows). */
static void
test_s5b_only_offer (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  static const char offer[]
      = "<iq type='set' id='s1' from='alice@example.org/laptop' to='bob@example.net/phone'>"
        "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' "
        "initiator='alice@example.org/laptop' sid='s5bonly'><content creator='initiator' "
        "name='a-file-offer' senders='initiator'><description "
        "xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file><name>a.txt</name><size>5</size>"
        "</file></description><transport xmlns='urn:xmpp:jingle:transports:s5b:1' sid='t1'>"
        "<candidate cid='c' host='10.0.0.1' jid='alice@example.org/laptop' port='5086' "
        "priority='1'/></transport><security xmlns='urn:xmpp:jingle:security:xtls:0'>"
        "<method name='srp'/></security></content></jingle></iq>";

  g_assert_true (xtls_hub_receive (lb->bob->hub, offer, -1));
  g_assert_cmpuint (lb->bob->file_offers->len, ==, 1);
  xtls_session_accept_file (bob_offer (lb, 0), TRUE);
  xtls_loopback_run (lb, 1);
  g_assert_false (xtls_loopback_wire_contains (lb, "<unsupported-transports/>"));
  g_assert_true (xtls_loopback_wire_contains (lb, "action='session-accept'"));
  g_assert_true (xtls_loopback_wire_contains (
      lb, "<transport xmlns='urn:xmpp:jingle:transports:s5b:1' mode='tcp' sid='t1'></transport>"));
}

/* Offers beyond the bounds are refused before anything is kept. */
static void
test_incoming_bounded (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (10);

  for (guint i = 0; i < 4; i++)
    g_assert_nonnull (xtls_test_peer_send_file (lb->alice, "f", contents, TRUE));
  xtls_loopback_run (lb, 1);
  g_assert_cmpuint (lb->bob->file_offers->len, ==, 4);
  /* A fifth one, as a hostile peer would send it past its own bound. */
  xtls_loopback_inject (
      lb, lb->alice, lb->bob,
      "<iq type='set' id='x5' from='alice@example.org/laptop' to='bob@example.net/phone'>"
      "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' "
      "initiator='alice@example.org/laptop' sid='fifth'><content creator='initiator' "
      "name='a-file-offer' senders='initiator'><description "
      "xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file><name>a.txt</name><size>5</size>"
      "</file></description><transport xmlns='urn:xmpp:jingle:transports:ibb:1' "
      "block-size='4096' sid='ibb5'/><security xmlns='urn:xmpp:jingle:security:xtls:0'>"
      "<method name='srp'/></security></content></jingle></iq>");
  xtls_loopback_run (lb, 2);
  g_assert_cmpuint (lb->bob->file_offers->len, ==, 4);
  g_assert_cmpuint (xtls_hub_count_sessions (lb->bob->hub), ==, 4);
  g_assert_true (xtls_loopback_wire_contains (lb, "resource-constraint"));
}

/* A UI without file_offered (today's libpurple glue) declines encrypted file offers. */
static void
capture (XtlsHub *hub, const char *xml, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup (xml));
}

static void
test_no_file_ui_declines (Fixture *f, gconstpointer data)
{
  static const XtlsHubOps ops = { .send = capture };
  g_autoptr (GPtrArray) sent = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  XtlsIdentity *identity = xtls_test_identity ("carol@example.com");
  XtlsTrustStore *trust = xtls_trust_store_new (NULL, &error);
  XtlsHub *hub;
  gboolean declined = FALSE;

  g_assert_no_error (error);
  hub = xtls_hub_new ("carol@example.com/pc", identity, trust, &f->lb->clock.clock, NULL, &ops,
                      sent);
  g_assert_true (xtls_hub_receive (
      hub,
      "<iq type='set' id='c1' from='alice@example.org/laptop' to='carol@example.com/pc'>"
      "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' "
      "initiator='alice@example.org/laptop' sid='tocarol'><content creator='initiator' "
      "name='a-file-offer' senders='initiator'><description "
      "xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file><name>a.txt</name><size>5</size>"
      "</file></description><transport xmlns='urn:xmpp:jingle:transports:ibb:1' "
      "block-size='4096' sid='ibbc'/><security xmlns='urn:xmpp:jingle:security:xtls:0'>"
      "<method name='srp'/></security></content></jingle></iq>",
      -1));
  for (guint i = 0; i < sent->len; i++)
    declined |= strstr (g_ptr_array_index (sent, i), "<decline/>") != NULL;
  g_assert_true (declined);
  xtls_hub_free (hub);
  xtls_trust_store_free (trust);
  xtls_identity_unref (identity);
}

static void
test_unknown_key (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (20000);
  XtlsSession *sent, *got;

  lb->bob->file_answer = 1;
  lb->alice->auto_answer = lb->bob->auto_answer = TRUE;
  lb->alice->answer = lb->bob->answer = XTLS_ANSWER_VERIFIED;
  sent = xtls_test_peer_send_file (lb->alice, "k.bin", contents, TRUE);
  xtls_loopback_run (lb, MAX_LEGS);
  got = bob_offer (lb, 0);
  g_assert_cmpuint (lb->bob->decisions, ==, 1);
  g_assert_cmpuint (lb->alice->decisions, ==, 1);
  g_assert_cmpint (lb->bob->decision, ==, XTLS_DECISION_UNKNOWN_KEY);
  assert_complete (lb, sent, got, contents);
  g_assert_cmpint (xtls_session_get_verification (got), ==, XTLS_VERIFICATION_BY_USER);
  /* Pinned now: the next file asks nothing. */
  lb->alice->decisions = lb->bob->decisions = 0;
  lb->alice->auto_answer = lb->bob->auto_answer = FALSE;
  sent = xtls_test_peer_send_file (lb->alice, "k2.bin", contents, TRUE);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_complete (lb, sent, bob_offer (lb, 1), contents);
  g_assert_cmpuint (lb->alice->decisions + lb->bob->decisions, ==, 0);
}

/* A password-verified transfer (no keys known, the users chose SRP). */
static void
test_password (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (9000);
  XtlsSession *sent;

  lb->bob->file_answer = 1;
  lb->alice->auto_answer = lb->bob->auto_answer = TRUE;
  lb->alice->answer = lb->bob->answer = XTLS_ANSWER_USE_PASSWORD;
  lb->alice->auto_password = g_strdup ("correct horse");
  lb->bob->auto_password = g_strdup ("correct horse");
  sent = xtls_test_peer_send_file (lb->alice, "p.bin", contents, FALSE);
  xtls_loopback_run (lb, MAX_LEGS);
  assert_complete (lb, sent, bob_offer (lb, 0), contents);
  g_assert_cmpint (xtls_session_get_method (sent), ==, XTLS_METHOD_SRP);
}

int
main (int argc, char **argv)
{
  static const XtlsHubConfig tls12 = { .tls_version = XTLS_TLS_VERSION_1_2 };

  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, config)                                                                    \
  g_test_add (path, Fixture, config, fixture_setup, func, fixture_teardown)
  ADD ("/filexfer-session/pinned/sizes", test_pinned_sizes, NULL);
  ADD ("/filexfer-session/pinned/sizes-tls12", test_pinned_sizes, &tls12);
  ADD ("/filexfer-session/pinned/late-checksum", test_late_checksum, NULL);
  ADD ("/filexfer-session/decline", test_decline, NULL);
  ADD ("/filexfer-session/hash/mismatch", test_hash_mismatch, NULL);
  ADD ("/filexfer-session/hash/source-changed", test_source_changed, NULL);
  ADD ("/filexfer-session/hash/checksum-never-comes", test_checksum_never_comes, NULL);
  ADD ("/filexfer-session/hash/confirmation-never-comes", test_confirmation_never_comes, NULL);
  ADD ("/filexfer-session/hostile/forged-success", test_forged_success, NULL);
  ADD ("/filexfer-session/peer/vanishes", test_vanishes, NULL);
  ADD ("/filexfer-session/cancel/by-sender", test_cancel_by_sender, NULL);
  ADD ("/filexfer-session/cancel/by-receiver", test_cancel_by_receiver, NULL);
  ADD ("/filexfer-session/with-chat", test_with_chat, NULL);
  ADD ("/filexfer-session/bounded", test_bounded, NULL);
  ADD ("/filexfer-session/plain-offer-is-libpurples", test_plain_offer_is_libpurples, NULL);
  ADD ("/filexfer-session/offer/s5b-only", test_s5b_only_offer, NULL);
  ADD ("/filexfer-session/offer/incoming-bounded", test_incoming_bounded, NULL);
  ADD ("/filexfer-session/offer/no-file-ui-declines", test_no_file_ui_declines, NULL);
  ADD ("/filexfer-session/trust/unknown-key", test_unknown_key, NULL);
  ADD ("/filexfer-session/trust/password", test_password, NULL);
  return g_test_run ();
}
