/* Full stack against hostile or broken peers: every case must end with the protocol's error or
 * a timeout, tell the user in words, deliver nothing forged, and leak nothing (this suite also
 * runs under AddressSanitizer). */
#include <string.h>

#include "loopback.h"
#include "session-private.h"
#include "xtls-error.h"

#define MAX_LEGS 400

typedef struct
{
  XtlsLoopback *lb;
  /* filter state */
  guint data_seen;
  guint target; /* which data stanza from alice to tamper with (1-based) */
  const char *replacement;
  char *captured;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->lb = xtls_loopback_new (data);
  f->target = 1;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  xtls_loopback_free (f->lb);
  g_free (f->captured);
}

static void
go_private (Fixture *f)
{
  xtls_loopback_pin_both (f->lb);
  xtls_hub_start (f->lb->alice->hub, f->lb->bob->jid);
  xtls_loopback_run (f->lb, MAX_LEGS);
  g_assert_cmpint (xtls_session_get_state (xtls_test_peer_session (f->lb->alice)), ==,
                   XTLS_STATE_PRIVATE);
  g_assert_cmpint (xtls_session_get_state (xtls_test_peer_session (f->lb->bob)), ==,
                   XTLS_STATE_PRIVATE);
}

static XtlsTrustState
state_of (XtlsTestPeer *peer)
{
  return xtls_session_get_state (xtls_test_peer_session (peer));
}

static void
assert_error (XtlsTestPeer *peer, gint code)
{
  XtlsSession *s = xtls_test_peer_session (peer);
  g_assert_cmpint (xtls_session_get_state (s), ==, XTLS_STATE_FAILED);
  g_assert_error (xtls_session_get_error (s), XTLS_ERROR, code);
}

static gboolean
is_ibb_data (const char *xml)
{
  return strstr (xml, "<data") != NULL && strstr (xml, "http://jabber.org/protocol/ibb") != NULL;
}

/* Replaces the text of the <data/> element in @xml. */
static char *
with_data_payload (const char *xml, const char *payload)
{
  const char *open = strstr (xml, "<data");
  const char *start = open != NULL ? strchr (open, '>') : NULL;
  const char *end = strstr (xml, "</data>");

  g_assert_nonnull (start);
  g_assert_nonnull (end);
  return g_strdup_printf ("%.*s%s%s", (int)(start + 1 - xml), xml, payload, end);
}

static XtlsWireAction
tamper_data (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml, gpointer data)
{
  Fixture *f = data;

  if (from != lb->alice || !is_ibb_data (*xml) || ++f->data_seen != f->target)
    return XTLS_WIRE_DELIVER;
  {
    char *tampered = with_data_payload (*xml, f->replacement);
    g_free (*xml);
    *xml = tampered;
  }
  return XTLS_WIRE_DELIVER;
}

static XtlsWireAction
duplicate_data (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml, gpointer data)
{
  Fixture *f = data;

  if (from == lb->alice && is_ibb_data (*xml) && ++f->data_seen == f->target)
    return XTLS_WIRE_DUPLICATE;
  return XTLS_WIRE_DELIVER;
}

static XtlsWireAction
hold_data (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml, gpointer data)
{
  Fixture *f = data;

  if (from == lb->alice && is_ibb_data (*xml) && ++f->data_seen == f->target)
    return XTLS_WIRE_HOLD;
  return XTLS_WIRE_DELIVER;
}

static XtlsWireAction
capture_data (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml, gpointer data)
{
  Fixture *f = data;

  if (from == lb->alice && is_ibb_data (*xml) && f->captured == NULL)
    f->captured = g_strdup (*xml);
  return XTLS_WIRE_DELIVER;
}

/* ---- IBB --------------------------------------------------------------------------------- */

static void
test_seq_wrap_long_transfer (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s;
  const guint n = 12;
  const gsize size = 100 * 1000;

  go_private (f);
  s = xtls_test_peer_session (lb->alice);
  /* 16-byte blocks: 1.2 MB of messages is ~75,000 data IQs, past the 16-bit seq. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *body = g_strnfill (size, 'a' + i);
      g_assert_cmpuint (xtls_session_send_message (s, body), >, 0);
    }
  xtls_loopback_run (lb, 1000000);
  g_assert_cmpuint (lb->bob->received->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      const char *body = g_ptr_array_index (lb->bob->received, i);
      g_assert_cmpuint (strlen (body), ==, size);
      g_assert_cmpint (body[0], ==, 'a' + i);
      g_assert_cmpint (body[size - 1], ==, 'a' + i);
    }
  g_assert_true (xtls_loopback_wire_contains (lb, "seq='65535'")
                 || xtls_loopback_wire_contains (lb, "seq=\"65535\""));
  g_assert_cmpint (state_of (lb->alice), ==, XTLS_STATE_PRIVATE);
  g_assert_cmpint (state_of (lb->bob), ==, XTLS_STATE_PRIVATE);
}

static void
test_duplicate_seq (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  go_private (f);
  f->target = 1;
  lb->filter = duplicate_data;
  lb->filter_data = f;
  xtls_session_send_message (xtls_test_peer_session (lb->alice), "once only");
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_true (xtls_loopback_wire_contains (lb, "unexpected-request"));
  assert_error (lb->bob, XTLS_ERROR_IBB_UNEXPECTED);
  g_assert_cmpint (state_of (lb->alice), ==, XTLS_STATE_FAILED);
  g_assert_true (xtls_loopback_wire_contains (lb, "<failed-transport/>"));
  /* The first copy was delivered before the duplicate broke the stream; never twice. */
  g_assert_cmpuint (lb->bob->received->len, <=, 1);
}

static void
test_out_of_order_seq (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autofree char *big = g_strnfill (20000, 'z');

  go_private (f);
  f->target = 1;
  lb->filter = hold_data;
  lb->filter_data = f;
  xtls_session_send_message (xtls_test_peer_session (lb->alice), big);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_true (xtls_loopback_wire_contains (lb, "unexpected-request"));
  assert_error (lb->bob, XTLS_ERROR_IBB_UNEXPECTED);
  g_assert_cmpint (state_of (lb->alice), ==, XTLS_STATE_FAILED);
  g_assert_cmpuint (lb->bob->received->len, ==, 0);
}

static void
test_bad_base64 (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  go_private (f);
  f->replacement = "!!not*base64==";
  lb->filter = tamper_data;
  lb->filter_data = f;
  xtls_session_send_message (xtls_test_peer_session (lb->alice), "hello");
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_true (xtls_loopback_wire_contains (lb, "bad-request"));
  assert_error (lb->bob, XTLS_ERROR_IBB_BAD_REQUEST);
  g_assert_cmpint (state_of (lb->alice), ==, XTLS_STATE_FAILED);
  g_assert_cmpuint (lb->bob->received->len, ==, 0);
}

static void
test_oversized_chunk (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autofree guint8 *raw = g_malloc0 (XTLS_IBB_DEFAULT_BLOCK_SIZE + 1);
  g_autofree char *b64 = g_base64_encode (raw, XTLS_IBB_DEFAULT_BLOCK_SIZE + 1);

  go_private (f);
  f->replacement = b64;
  lb->filter = tamper_data;
  lb->filter_data = f;
  xtls_session_send_message (xtls_test_peer_session (lb->alice), "hello");
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_true (xtls_loopback_wire_contains (lb, "bad-request"));
  assert_error (lb->bob, XTLS_ERROR_IBB_BAD_REQUEST);
}

static void
test_unknown_and_ended_sid (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  guint unclaimed;

  lb->filter = capture_data;
  lb->filter_data = f;
  go_private (f);
  g_assert_nonnull (f->captured);

  /* A sid we never created is not ours: it is left to libpurple (which answers 440). */
  unclaimed = lb->bob->unclaimed->len;
  xtls_loopback_inject (lb, lb->alice, lb->bob,
                        "<iq type='set' id='x1' from='alice@example.org/laptop' "
                        "to='bob@example.net/phone'><data xmlns='http://jabber.org/protocol/ibb' "
                        "sid='nosuchsid' seq='0'>AAAA</data></iq>");
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpuint (lb->bob->unclaimed->len, ==, unclaimed + 1);
  g_assert_cmpint (state_of (lb->bob), ==, XTLS_STATE_PRIVATE);

  /* After the session ended, data for its sid gets item-not-found from us. */
  xtls_session_stop (xtls_test_peer_session (lb->alice));
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpint (state_of (lb->bob), ==, XTLS_STATE_FINISHED);
  g_assert_false (xtls_loopback_wire_contains (lb, "item-not-found"));
  lb->filter = NULL;
  xtls_loopback_inject (lb, lb->alice, lb->bob, f->captured);
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_true (xtls_loopback_wire_contains (lb, "item-not-found"));
  g_assert_cmpuint (lb->bob->unclaimed->len, ==, unclaimed + 1);
}

static void
test_spoofed_sender (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  lb->filter = capture_data;
  lb->filter_data = f;
  go_private (f);
  lb->filter = NULL;
  /* The right sid from the wrong JID is not ours, and does not disturb the session. */
  {
    g_autoptr (GString) spoof = g_string_new (f->captured);
    g_string_replace (spoof, "alice@example.org/laptop", "mallory@example.com/x", 0);
    xtls_hub_receive (lb->bob->hub, spoof->str, -1);
  }
  g_assert_cmpint (state_of (lb->bob), ==, XTLS_STATE_PRIVATE);
  xtls_session_send_message (xtls_test_peer_session (lb->alice), "still fine");
  xtls_loopback_run (lb, MAX_LEGS);
  g_assert_cmpuint (lb->bob->received->len, ==, 1);
}

/* ---- TLS ---------------------------------------------------------------------------------- */

static void
test_garbage_instead_of_tls (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autofree char *garbage
      = g_base64_encode ((const guint8 *)"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
  XtlsSession *s;

  xtls_loopback_pin_both (lb);
  f->replacement = garbage;
  f->target = 1; /* the ClientHello */
  lb->filter = tamper_data;
  lb->filter_data = f;
  s = xtls_hub_start (lb->alice->hub, lb->bob->jid);
  xtls_session_send_message (s, "must not leak");
  xtls_loopback_run (lb, MAX_LEGS);
  assert_error (lb->bob, XTLS_ERROR_TLS);
  g_assert_cmpint (state_of (lb->alice), ==, XTLS_STATE_FAILED);
  g_assert_true (xtls_loopback_wire_contains (lb, "<security-error/>"));
  g_assert_cmpuint (lb->alice->unsent_ids->len, ==, 1);
}

static void
test_vanish_mid_handshake (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *s;

  xtls_loopback_pin_both (lb);
  s = xtls_hub_start (lb->alice->hub, lb->bob->jid);
  xtls_session_send_message (s, "are you there");
  xtls_loopback_leg (lb); /* initiate */
  xtls_loopback_leg (lb); /* accept */
  xtls_loopback_leg (lb); /* security-info, open, ClientHello reach bob */
  /* Bob's machine is gone: nothing from him arrives any more. */
  xtls_loopback_drop_all (lb);
  g_assert_cmpint (state_of (lb->alice), ==, XTLS_STATE_NEGOTIATING);
  g_assert_cmpint (xtls_hub_next_deadline (lb->alice->hub), >, 0);
  xtls_loopback_advance (lb, 31 * G_USEC_PER_SEC);
  assert_error (lb->alice, XTLS_ERROR_TIMEOUT);
  g_assert_cmpuint (lb->alice->unsent_ids->len, ==, 1);
  /* Bob's side, waiting for the rest of the handshake, gives up too. */
  xtls_loopback_drop_all (lb);
  xtls_loopback_advance (lb, 121 * G_USEC_PER_SEC);
  assert_error (lb->bob, XTLS_ERROR_TIMEOUT);
  g_assert_cmpint (xtls_hub_next_deadline (lb->alice->hub), ==, -1);
  g_assert_cmpint (xtls_hub_next_deadline (lb->bob->hub), ==, -1);
}

static void
test_peer_stops_answering_when_private (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  go_private (f);
  xtls_session_send_message (xtls_test_peer_session (lb->alice), "into the void");
  xtls_loopback_drop_all (lb);
  xtls_loopback_advance (lb, 29 * G_USEC_PER_SEC);
  g_assert_cmpint (state_of (lb->alice), ==, XTLS_STATE_PRIVATE);
  xtls_loopback_advance (lb, 2 * G_USEC_PER_SEC);
  assert_error (lb->alice, XTLS_ERROR_TIMEOUT);
}

/* ---- Inner stream ------------------------------------------------------------------------ */

static void
test_inner_hostile (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *raw;
    gint code;
    const char *stream_condition;
  } cases[] = {
    { "<message><body>x</bod></message>", XTLS_ERROR_NOT_WELL_FORMED, "not-well-formed" },
    { "<message><body>&lol9;</body></message>", XTLS_ERROR_RESTRICTED_XML, NULL },
    { "<?evil pi?><message/>", XTLS_ERROR_RESTRICTED_XML, "restricted-xml" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      XtlsLoopback *lb = xtls_loopback_new (NULL);
      XtlsSession *bs;

      g_test_message ("case %u", i);
      xtls_loopback_pin_both (lb);
      xtls_hub_start (lb->alice->hub, lb->bob->jid);
      xtls_loopback_run (lb, MAX_LEGS);
      g_assert_true (xtls_session_write_inner_raw (xtls_test_peer_session (lb->alice), cases[i].raw,
                                                   strlen (cases[i].raw)));
      xtls_loopback_run (lb, MAX_LEGS);
      bs = xtls_test_peer_session (lb->bob);
      g_assert_cmpint (xtls_session_get_state (bs), ==, XTLS_STATE_FAILED);
      /* An undefined entity may be reported as either restriction or malformation. */
      if (cases[i].code == XTLS_ERROR_RESTRICTED_XML)
        g_assert_true (
            g_error_matches (xtls_session_get_error (bs), XTLS_ERROR, XTLS_ERROR_RESTRICTED_XML)
            || g_error_matches (xtls_session_get_error (bs), XTLS_ERROR,
                                XTLS_ERROR_NOT_WELL_FORMED));
      else
        g_assert_error (xtls_session_get_error (bs), XTLS_ERROR, cases[i].code);
      g_assert_true (xtls_loopback_wire_contains (lb, "<failed-application/>"));
      g_assert_cmpint (xtls_session_get_state (xtls_test_peer_session (lb->alice)), ==,
                       XTLS_STATE_FAILED);
      g_assert_cmpuint (lb->bob->received->len, ==, 0);
      xtls_loopback_free (lb);
    }
}

static void
test_ten_megabyte_stanza (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  gsize size = 10 * 1024 * 1024;
  g_autofree char *body = g_strnfill (size, 'M');

  g_autofree char *stanza = NULL;

  go_private (f);
  /* Our own sender refuses it (issue 8)... */
  g_assert_cmpuint (xtls_session_send_message (xtls_test_peer_session (lb->alice), body), ==, 0);
  /* ...a hostile one writes it anyway. */
  stanza = g_strdup_printf ("<message type='chat'><body>%s</body></message>", body);
  g_assert_true (
      xtls_session_write_inner_raw (xtls_test_peer_session (lb->alice), stanza, strlen (stanza)));
  xtls_loopback_run (lb, 100000);
  assert_error (lb->bob, XTLS_ERROR_POLICY_VIOLATION);
  g_assert_cmpuint (lb->bob->received->len, ==, 0);
  g_assert_true (xtls_loopback_wire_contains (lb, "<failed-application/>"));
  g_assert_cmpint (state_of (lb->alice), ==, XTLS_STATE_FAILED);
}

static void
test_outer_entity_bomb (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  const char *bomb
      = "<?xml version='1.0'?><!DOCTYPE iq [<!ENTITY a 'aaaaaaaaaa'>"
        "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>"
        "<!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'><!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>"
        "<!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'><!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>]>"
        "<iq type='set' id='b1' from='alice@example.org/laptop'><jingle xmlns='urn:xmpp:jingle:1' "
        "action='session-initiate' sid='&g;'/></iq>";

  go_private (f);
  g_assert_false (xtls_hub_receive (lb->bob->hub, bomb, -1));
  g_assert_cmpint (state_of (lb->bob), ==, XTLS_STATE_PRIVATE);
}

static gboolean
wire_has_both (XtlsLoopback *lb, const char *a, const char *b)
{
  for (guint i = 0; i < lb->wire_log->len; i++)
    {
      const char *xml = g_ptr_array_index (lb->wire_log, i);
      if (strstr (xml, a) != NULL && strstr (xml, b) != NULL)
        return TRUE;
    }
  return FALSE;
}

/* ---- Historical peers (PROTOCOL.md §7) ----------------------------------------------------- */

static void
test_kaa_offer (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  GBytes *der = xtls_identity_get_certificate (lb->alice->identity);
  g_autofree char *sha1 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, der);
  g_autofree char *offer = g_strdup_printf (
      "<iq type='set' id='kaa1' from='alice@example.org/laptop' to='bob@example.net/phone'>"
      "<jingle xmlns='urn:xmpp:tmp:jingle' action='session-initiate' "
      "initiator='alice@example.org/laptop' sid='kaasid1'>"
      "<content creator='initiator' name='xmlstream'>"
      "<description xmlns='urn:xmpp:tmp:jingle:apps:xmlstream'/>"
      "<transport xmlns='urn:xmpp:jingle:transports:ibb:0' block-size='4096' sid='kaaibb'/>"
      "<security xmlns='urn:xmpp:jingle:security:xtls:0'>"
      "<fingerprint algo='sha1'>%s</fingerprint><method name='x509'/><method name='srp'/>"
      "</security></content></jingle></iq>",
      sha1);
  XtlsSession *bs;

  xtls_loopback_inject (lb, lb->alice, lb->bob, offer);
  xtls_loopback_leg (lb);
  bs = xtls_test_peer_session (lb->bob);
  g_assert_nonnull (bs);
  /* Parsed: acknowledged, SHA-1 fingerprint understood, bob is asked about the key. */
  g_assert_cmpint (xtls_session_get_state (bs), ==, XTLS_STATE_UNVERIFIED);
  g_assert_cmpstr (xtls_session_get_peer_fingerprint (bs), ==, sha1);
  g_assert_cmpint (xtls_session_get_pending_decision (bs), ==, XTLS_DECISION_UNKNOWN_KEY);
  /* Bob declines; the reply is in the peer's namespace (PROTOCOL.md §1). */
  xtls_session_decide (bs, XTLS_ANSWER_CANCEL);
  xtls_loopback_leg (lb);
  g_assert_true (wire_has_both (lb, "session-terminate", "urn:xmpp:tmp:jingle"));
  g_assert_false (wire_has_both (lb, "session-terminate", "urn:xmpp:jingle:1"));
}

static void
test_offer_without_security (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  XtlsSession *bs;

  xtls_loopback_inject (
      lb, lb->alice, lb->bob,
      "<iq type='set' id='n1' from='alice@example.org/laptop' to='bob@example.net/phone'>"
      "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' "
      "initiator='alice@example.org/laptop' sid='plainsid'>"
      "<content creator='initiator' name='xmlstream'>"
      "<description xmlns='urn:xmpp:jingle:apps:xmlstream:0'/>"
      "<transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='ibbplain'/>"
      "</content></jingle></iq>");
  xtls_loopback_leg (lb);
  bs = xtls_test_peer_session (lb->bob);
  g_assert_nonnull (bs);
  /* An unencrypted xmlstream is never accepted. */
  g_assert_cmpint (xtls_session_get_state (bs), ==, XTLS_STATE_FAILED);
  xtls_loopback_leg (lb);
  g_assert_true (xtls_loopback_wire_contains (lb, "<security-error/>"));
  g_assert_false (xtls_loopback_wire_contains (lb, "session-accept"));
}

static void
test_other_jingle_passes_through (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;

  /* Voice calls and file transfers are libpurple's business. */
  g_assert_false (xtls_hub_receive (
      lb->bob->hub,
      "<iq type='set' id='rtp1' from='alice@example.org/laptop' to='bob@example.net/phone'>"
      "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' "
      "initiator='alice@example.org/laptop' sid='call1'><content creator='initiator' "
      "name='voice'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'/>"
      "</content></jingle></iq>",
      -1));
  g_assert_false (xtls_hub_receive (
      lb->bob->hub,
      "<iq type='set' id='ft1' from='alice@example.org/laptop' to='bob@example.net/phone'>"
      "<open xmlns='http://jabber.org/protocol/ibb' sid='filexfer' block-size='4096'/></iq>",
      -1));
  g_assert_false (xtls_hub_receive (lb->bob->hub,
                                    "<iq type='result' id='purple123' "
                                    "from='alice@example.org/laptop'/>",
                                    -1));
  g_assert_null (xtls_test_peer_session (lb->bob));
  g_assert_cmpuint (g_queue_get_length (&lb->in_flight), ==, 0);
}

/* File offers without <security/> stay libpurple's exactly as before XEP-0234 was parsed, and
 * so does a malformed one (a parse error) and a transport action for a sid not ours; only an
 * offer with <security/> (tests/fullstack/test-filexfer-session.c) is taken. */
static void
test_file_offers_pass_through (Fixture *f, gconstpointer data)
{
  static const char *const offers[] = {
    "<iq type='set' id='jft2' from='alice@example.org/laptop' to='bob@example.net/phone'>"
    "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' "
    "initiator='alice@example.org/laptop' sid='file2'><content creator='initiator' "
    "name='a-file-offer'><description xmlns='urn:xmpp:jingle:apps:file-transfer:4'><file>"
    "<name>a.txt</name><size>5</size></file></description><transport "
    "xmlns='urn:xmpp:jingle:transports:s5b:1' sid='s1'><candidate cid='c' host='10.0.0.1' "
    "jid='alice@example.org/laptop' port='5086' priority='1'/></transport></content>"
    "</jingle></iq>",
    "<iq type='set' id='jft3' from='alice@example.org/laptop' to='bob@example.net/phone'>"
    "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' "
    "initiator='alice@example.org/laptop' sid='file3'><content creator='initiator' "
    "name='a-file-offer'><description xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file>"
    "<name>a.txt</name><size>lots</size></file></description></content></jingle></iq>",
    "<iq type='set' id='jft4' from='alice@example.org/laptop' to='bob@example.net/phone'>"
    "<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' "
    "initiator='alice@example.org/laptop' sid='file2'><content creator='initiator' "
    "name='a-file-offer'><transport xmlns='urn:xmpp:jingle:transports:s5b:1' sid='s1'>"
    "<candidate-used cid='c'/></transport></content></jingle></iq>",
  };
  XtlsLoopback *lb = f->lb;

  for (gsize i = 0; i < G_N_ELEMENTS (offers); i++)
    g_assert_false (xtls_hub_receive (lb->bob->hub, offers[i], -1));
  g_assert_null (xtls_test_peer_session (lb->bob));
  g_assert_cmpuint (g_queue_get_length (&lb->in_flight), ==, 0);
}

int
main (int argc, char **argv)
{
  static const XtlsHubConfig tiny_blocks = { .block_size = 16 };

  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, config)                                                                    \
  g_test_add (path, Fixture, config, fixture_setup, func, fixture_teardown)
  ADD ("/hostile/ibb/seq-wrap-long-transfer", test_seq_wrap_long_transfer, &tiny_blocks);
  ADD ("/hostile/ibb/duplicate-seq", test_duplicate_seq, NULL);
  ADD ("/hostile/ibb/out-of-order-seq", test_out_of_order_seq, NULL);
  ADD ("/hostile/ibb/bad-base64", test_bad_base64, NULL);
  ADD ("/hostile/ibb/oversized-chunk", test_oversized_chunk, NULL);
  ADD ("/hostile/ibb/unknown-and-ended-sid", test_unknown_and_ended_sid, NULL);
  ADD ("/hostile/ibb/spoofed-sender", test_spoofed_sender, NULL);
  ADD ("/hostile/tls/garbage-instead-of-tls", test_garbage_instead_of_tls, NULL);
  ADD ("/hostile/peer/vanishes-mid-handshake", test_vanish_mid_handshake, NULL);
  ADD ("/hostile/peer/stops-answering", test_peer_stops_answering_when_private, NULL);
  ADD ("/hostile/xml/inner-stream-violations", test_inner_hostile, NULL);
  ADD ("/hostile/xml/ten-megabyte-stanza", test_ten_megabyte_stanza, NULL);
  ADD ("/hostile/xml/outer-entity-bomb", test_outer_entity_bomb, NULL);
  ADD ("/hostile/jingle/kaa-dialect-offer", test_kaa_offer, NULL);
  ADD ("/hostile/jingle/offer-without-security", test_offer_without_security, NULL);
  ADD ("/hostile/jingle/other-applications-pass-through", test_other_jingle_passes_through, NULL);
  ADD ("/hostile/jingle/file-offers-pass-through", test_file_offers_pass_through, NULL);
  return g_test_run ();
}
