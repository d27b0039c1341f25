/* Full stack, encrypted file transfer over SOCKS5 bytestreams (XEP-0260 over XEP-0065, issue
 * 11): two hubs through the loopback server plus in-memory sockets and a simulated proxy
 * (loopback-net.h). Each case asserts what the users and the glue see (the stored bytes,
 * file_ended's error, open sockets) and what crossed the server and the sockets. */
#include <string.h>

#include "loopback-net.h"
#include "loopback.h"
#include "s5b-transport.h"
#include "session-private.h"
#include "xtls-error.h"

#define MAX_STEPS 20000
#define MARKER "SECRET-FILE-BYTES:"
#define NS_IBB_DATA "http://jabber.org/protocol/ibb"

typedef struct
{
  XtlsLoopback *lb;
  XtlsLoopbackNet *net;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->lb = xtls_loopback_new (data);
  f->net = xtls_loopback_net_new (f->lb);
  xtls_loopback_pin_both (f->lb);
  f->lb->bob->file_answer = 1;
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  xtls_loopback_free (f->lb);
}

static GBytes *
make_contents (gsize size)
{
  guint8 *data = g_malloc (MAX (size, 1));

  for (gsize i = 0; i < size; i++)
    data[i] = (i % 64) < strlen (MARKER) ? (guint8)MARKER[i % 64] : (guint8)(i * 7 + i / 251);
  return g_bytes_new_take (data, size);
}

static XtlsSession *
bob_offer (XtlsLoopback *lb)
{
  g_assert_cmpuint (lb->bob->file_offers->len, ==, 1);
  return g_ptr_array_index (lb->bob->file_offers, 0);
}

/* Runs legs (and, when nothing is in flight, lets a second pass) until both ends reported
 * file_ended. */
static void
run_until_ended (XtlsLoopback *lb, XtlsSession *sent)
{
  for (guint i = 0; i < MAX_STEPS; i++)
    {
      XtlsTestFile *out = xtls_test_peer_file (lb->alice, sent);
      XtlsTestFile *in
          = lb->bob->file_offers->len > 0 ? xtls_test_peer_file (lb->bob, bob_offer (lb)) : NULL;
      if (out->ended > 0 && (in == NULL || in->ended > 0) && g_queue_is_empty (&lb->in_flight)
          && !xtls_loopback_net_busy (lb->net))
        return;
      if (xtls_loopback_leg (lb) == 0)
        xtls_loopback_advance (lb, G_USEC_PER_SEC);
    }
  g_assert_not_reached ();
}

static void
assert_complete (XtlsLoopback *lb, XtlsSession *sent, GBytes *contents)
{
  XtlsSession *got = bob_offer (lb);
  XtlsTestFile *out = xtls_test_peer_file (lb->alice, sent);
  XtlsTestFile *in = xtls_test_peer_file (lb->bob, got);

  g_assert_cmpuint (in->ended, ==, 1);
  g_assert_no_error (in->error);
  g_assert_cmpuint (out->ended, ==, 1);
  g_assert_no_error (out->error);
  /* Byte-identical. */
  g_assert_cmpmem (in->stored->data, in->stored->len, g_bytes_get_data (contents, NULL),
                   g_bytes_get_size (contents));
  g_assert_cmpint (xtls_session_get_state (sent), ==, XTLS_STATE_FINISHED);
  g_assert_cmpint (xtls_session_get_state (got), ==, XTLS_STATE_FINISHED);
  g_assert_null (xtls_session_get_error (sent));
  g_assert_null (xtls_session_get_error (got));
}

/* Nothing of the file in clear on any socket or on the server. */
static void
assert_nothing_in_clear (Fixture *f)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *)MARKER, strlen (MARKER));

  g_assert_false (xtls_loopback_net_crossed (f->net, MARKER, strlen (MARKER)));
  g_assert_false (xtls_loopback_wire_contains (f->lb, MARKER));
  g_assert_false (xtls_loopback_wire_contains (f->lb, b64));
}

/* Every socket either hub opened or accepted has been closed again. */
static void
assert_sockets_closed (Fixture *f)
{
  g_assert_cmpuint (xtls_loopback_net_open_count (f->net, f->lb->alice), ==, 0);
  g_assert_cmpuint (xtls_loopback_net_open_count (f->net, f->lb->bob), ==, 0);
}

/* ---- the bytestream works ----------------------------------------------------------------- */

/* Both listen on a reachable address: the file goes over a direct connection, byte-identical,
 * encrypted, and nothing of it travels in IBB. */
static void
test_direct (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (1024 * 1024);
  XtlsSession *sent;
  guint legs = lb->legs;

  xtls_loopback_net_listen (f->net, lb->alice, "192.0.2.1", 5001, XTLS_NET_OPEN);
  xtls_loopback_net_listen (f->net, lb->bob, "198.51.100.2", 5002, XTLS_NET_OPEN);
  sent = xtls_test_peer_send_file (lb->alice, "big.bin", contents, TRUE);
  run_until_ended (lb, sent);
  g_test_message ("1 MiB over a direct SOCKS5 bytestream: %u legs", lb->legs - legs);
  assert_complete (lb, sent, contents);
  g_assert_true (xtls_loopback_wire_contains (lb, "urn:xmpp:jingle:transports:s5b:1"));
  g_assert_true (xtls_loopback_wire_contains (lb, "<candidate-used "));
  g_assert_false (xtls_loopback_wire_contains (lb, NS_IBB_DATA));
  g_assert_false (xtls_loopback_wire_contains (lb, "transport-replace"));
  /* The whole file (and TLS around it) went through the sockets. */
  g_assert_cmpuint (f->net->direct, >, 1024 * 1024);
  g_assert_cmpuint (f->net->activations, ==, 0);
  assert_nothing_in_clear (f);
  assert_sockets_closed (f);
}

/* TLS 1.2 over the same bytestream. */
static void
test_direct_small (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (70001);
  XtlsSession *sent;

  xtls_loopback_net_listen (f->net, lb->bob, "198.51.100.2", 5002, XTLS_NET_OPEN);
  sent = xtls_test_peer_send_file (lb->alice, "s.bin", contents, FALSE);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  /* Only bob listens: alice is the SOCKS5 client of bob's candidate. */
  g_assert_false (xtls_loopback_wire_contains (lb, NS_IBB_DATA));
  g_assert_cmpuint (f->net->accepted, ==, 1);
  assert_nothing_in_clear (f);
  assert_sockets_closed (f);
}

/* No direct path (refused both ways); alice knows the server's proxy: bob connects to it, alice
 * connects too and activates it (XEP-0260 §2.4), the file is relayed. */
static void
test_proxy (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (300 * 1000 + 3);
  XtlsSession *sent;

  xtls_loopback_net_listen (f->net, lb->alice, "192.0.2.1", 5001, XTLS_NET_REFUSE);
  xtls_loopback_net_listen (f->net, lb->bob, "198.51.100.2", 5002, XTLS_NET_REFUSE);
  xtls_loopback_net_use_proxy (f->net, lb->alice, XTLS_PROXY_OK);
  sent = xtls_test_peer_send_file (lb->alice, "p.bin", contents, TRUE);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  g_assert_cmpuint (f->net->activations, ==, 1);
  g_assert_true (xtls_loopback_wire_contains (lb, "<activate>bob@example.net/phone</activate>"));
  g_assert_true (xtls_loopback_wire_contains (lb, "<activated "));
  g_assert_true (xtls_loopback_wire_contains (lb, "type='proxy'"));
  g_assert_cmpuint (f->net->relayed, >, 300 * 1000);
  g_assert_false (xtls_loopback_wire_contains (lb, NS_IBB_DATA));
  assert_nothing_in_clear (f);
  assert_sockets_closed (f);
}

/* ---- fallback to IBB (XEP-0260 §2.6) --------------------------------------------------------- */

static void
assert_fell_back (Fixture *f)
{
  g_assert_true (xtls_loopback_wire_contains (f->lb, "action='transport-replace'"));
  g_assert_true (xtls_loopback_wire_contains (f->lb, "action='transport-accept'"));
  g_assert_true (xtls_loopback_wire_contains (f->lb, NS_IBB_DATA));
}

/* Every candidate refused: both send candidate-error, the initiator replaces the transport with
 * IBB, the file arrives all the same. */
static void
test_all_fail (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (50000);
  XtlsSession *sent;

  xtls_loopback_net_listen (f->net, lb->alice, "192.0.2.1", 5001, XTLS_NET_REFUSE);
  xtls_loopback_net_listen (f->net, lb->bob, "198.51.100.2", 5002, XTLS_NET_REFUSE);
  sent = xtls_test_peer_send_file (lb->alice, "f.bin", contents, TRUE);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  g_assert_true (xtls_loopback_wire_contains (lb, "<candidate-error/>"));
  assert_fell_back (f);
  assert_nothing_in_clear (f);
  assert_sockets_closed (f);
}

/* A firewall swallows the connection: the attempt is bounded by the SOCKS5 timeout, then the
 * transfer falls back. */
static void
test_blackhole (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (5000);
  XtlsSession *sent;
  gint64 start = xtls_clock_now (&lb->clock.clock);

  xtls_loopback_net_listen (f->net, lb->alice, "192.0.2.1", 5001, XTLS_NET_BLACKHOLE);
  sent = xtls_test_peer_send_file (lb->alice, "b.bin", contents, TRUE);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  assert_fell_back (f);
  /* Not before the attempt's deadline, and not much after it. */
  g_assert_cmpint (xtls_clock_now (&lb->clock.clock) - start, >=, XTLS_S5B_DEFAULT_TIMEOUT_US);
  g_assert_cmpint (xtls_clock_now (&lb->clock.clock) - start, <, 3 * XTLS_S5B_DEFAULT_TIMEOUT_US);
}

/* The proxy refuses to activate: alice says <proxy-error/> and the transfer falls back. */
static void
test_proxy_refuses (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (8000);
  XtlsSession *sent;

  xtls_loopback_net_use_proxy (f->net, lb->alice, XTLS_PROXY_REFUSE_ACTIVATE);
  sent = xtls_test_peer_send_file (lb->alice, "r.bin", contents, TRUE);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  g_assert_cmpuint (f->net->activations, ==, 1);
  g_assert_true (xtls_loopback_wire_contains (lb, "<proxy-error/>"));
  assert_fell_back (f);
  assert_sockets_closed (f);
}

static XtlsWireAction
drop_candidate_used (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, char **xml,
                     gpointer user_data)
{
  return from == lb->bob && strstr (*xml, "<candidate-used ") != NULL ? XTLS_WIRE_DROP
                                                                      : XTLS_WIRE_DELIVER;
}

/* Bob's candidate-used is lost: bob's side of the bytestream works (alice has nothing to
 * report but candidate-error), alice's check times out and she replaces the transport; bob
 * drops the bytestream it had and the file goes over IBB. */
static void
test_peer_report_lost (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (7000);
  XtlsSession *sent;

  xtls_loopback_net_listen (f->net, lb->alice, "192.0.2.1", 5001, XTLS_NET_OPEN);
  lb->filter = drop_candidate_used;
  sent = xtls_test_peer_send_file (lb->alice, "lost-report.bin", contents, TRUE);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  assert_fell_back (f);
  g_assert_cmpuint (f->net->accepted, ==, 1);
  assert_sockets_closed (f);
}

/* ---- peers that do not (fully) speak SOCKS5 -------------------------------------------------- */

/* Bob's client does not advertise s5b: alice offers IBB as before, nothing about SOCKS5 is
 * sent, no socket is opened. */
static void
test_peer_only_ibb (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (12345);
  XtlsSession *sent;

  f->net->supports_bob = FALSE;
  xtls_loopback_net_listen (f->net, lb->alice, "192.0.2.1", 5001, XTLS_NET_OPEN);
  sent = xtls_test_peer_send_file (lb->alice, "i.bin", contents, TRUE);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  g_assert_false (xtls_loopback_wire_contains (lb, "urn:xmpp:jingle:transports:s5b:1"));
  g_assert_true (xtls_loopback_wire_contains (lb, "urn:xmpp:jingle:transports:ibb:1"));
  g_assert_cmpuint (f->net->connects, ==, 0);
}

/* Bob's hub has no sockets at all (no net ops) but gets a SOCKS5 offer: it answers with no
 * candidates and candidate-error, and the transfer falls back to IBB. */
static void
test_responder_without_net (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (4000);
  XtlsSession *sent;

  xtls_hub_set_net (lb->bob->hub, NULL, NULL);
  xtls_loopback_net_listen (f->net, lb->alice, "192.0.2.1", 5001, XTLS_NET_OPEN);
  sent = xtls_test_peer_send_file (lb->alice, "n.bin", contents, TRUE);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  assert_fell_back (f);
  g_assert_cmpuint (f->net->connects, ==, 0);
}

/* ---- hostile input -------------------------------------------------------------------------- */

/* A "proxy" that answers SOCKS5 with an HTTP error: the attempt fails cleanly, the transfer
 * falls back. */
static void
test_hostile_proxy (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (6000);
  XtlsSession *sent;

  xtls_loopback_net_use_proxy (f->net, lb->alice, XTLS_PROXY_HOSTILE);
  sent = xtls_test_peer_send_file (lb->alice, "h.bin", contents, TRUE);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  assert_fell_back (f);
  g_assert_cmpuint (f->net->activations, ==, 0);
  assert_sockets_closed (f);
}

/* Connections to our listener that are not SOCKS5, or name no bytestream of ours, are refused
 * and closed; they do not disturb a transfer. */
static void
test_hostile_listener (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (30000);
  static const guint8 junk[] = "GET / HTTP/1.1\r\n\r\n";
  guint8 request[5 + 40 + 2] = { 0x05, 0x01, 0x00, 0x03, 40 };
  static const guint8 greeting[] = { 0x05, 0x01, 0x00 };
  static const guint8 refused[] = { 0x05, 0x02 };
  XtlsSession *sent;
  guint a, b, c;

  xtls_loopback_net_listen (f->net, lb->bob, "198.51.100.2", 5002, XTLS_NET_OPEN);
  sent = xtls_test_peer_send_file (lb->alice, "l.bin", contents, TRUE);
  xtls_loopback_leg (lb);
  /* Garbage instead of a greeting. */
  a = xtls_hub_net_accepted (lb->bob->hub);
  g_assert_cmpuint (a, !=, 0);
  xtls_hub_net_receive (lb->bob->hub, a, junk, sizeof junk - 1);
  /* A well-formed request for a hash that names nothing. */
  b = xtls_hub_net_accepted (lb->bob->hub);
  memset (request + 5, 'a', 40);
  xtls_hub_net_receive (lb->bob->hub, b, greeting, sizeof greeting);
  xtls_hub_net_receive (lb->bob->hub, b, request, sizeof request);
  g_assert_true (xtls_loopback_net_crossed (f->net, refused, sizeof refused));
  /* One that never says anything: bounded by the SOCKS5 deadline. */
  c = xtls_hub_net_accepted (lb->bob->hub);
  g_assert_cmpuint (c, !=, 0);
  g_assert_cmpint (xtls_hub_next_deadline (lb->bob->hub), >, 0);
  /* Reports for connections that are gone, or never were, are ignored. */
  xtls_hub_net_receive (lb->bob->hub, a, junk, sizeof junk - 1);
  xtls_hub_net_closed (lb->bob->hub, 9999, "reset");
  xtls_hub_net_drained (lb->bob->hub, 9999);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  g_assert_false (xtls_loopback_wire_contains (lb, NS_IBB_DATA));
  /* Even an endless stream of accepts stays bounded. */
  for (guint i = 0; i < 100; i++)
    xtls_hub_net_accepted (lb->bob->hub);
  g_assert_cmpuint (xtls_hub_net_accepted (lb->bob->hub), ==, 0);
  xtls_loopback_advance (lb, 2 * XTLS_S5B_DEFAULT_TIMEOUT_US);
  g_assert_cmpuint (xtls_hub_net_accepted (lb->bob->hub), !=, 0);
}

/* A transport-info naming a candidate alice never offered (a forged or broken peer) ends the
 * bytestream at once; the file still arrives, over IBB. */
static void
test_bogus_candidate_used (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (3000);
  g_autofree char *xml = NULL;
  XtlsSession *sent;
  gint64 start;

  xtls_loopback_net_listen (f->net, lb->alice, "192.0.2.1", 5001, XTLS_NET_BLACKHOLE);
  sent = xtls_test_peer_send_file (lb->alice, "bogus.bin", contents, TRUE);
  for (guint i = 0; i < 4; i++)
    xtls_loopback_leg (lb);
  g_assert_cmpuint (f->net->connects, ==, 1);
  start = xtls_clock_now (&lb->clock.clock);
  xml = g_strdup_printf (
      "<iq type='set' id='forged1' from='bob@example.net/phone' to='alice@example.org/laptop'>"
      "<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' "
      "initiator='alice@example.org/laptop' sid='%s'><content creator='initiator' "
      "name='a-file-offer'><transport xmlns='urn:xmpp:jingle:transports:s5b:1' sid='%s'>"
      "<candidate-used cid='never-offered'/></transport></content></jingle></iq>",
      xtls_session_get_sid (sent), xtls_session_get_transport_sid (sent));
  xtls_loopback_inject (lb, lb->bob, lb->alice, xml);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  assert_fell_back (f);
  /* At once, not after bob's attempt timed out. */
  g_assert_cmpint (xtls_clock_now (&lb->clock.clock) - start, <, XTLS_S5B_DEFAULT_TIMEOUT_US);
  assert_sockets_closed (f);
}

/* Only the initiator replaces a transport (XEP-0260 §2.6): a transport-replace from the
 * responder is answered transport-reject and changes nothing; the file still arrives over the
 * bytestream. */
static void
test_replace_from_responder (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (20000);
  g_autofree char *xml = NULL;
  XtlsSession *sent;

  xtls_loopback_net_listen (f->net, lb->alice, "192.0.2.1", 5001, XTLS_NET_OPEN);
  sent = xtls_test_peer_send_file (lb->alice, "r.bin", contents, TRUE);
  for (guint i = 0; i < 2; i++)
    xtls_loopback_leg (lb);
  xml = g_strdup_printf (
      "<iq type='set' id='forged2' from='bob@example.net/phone' to='alice@example.org/laptop'>"
      "<jingle xmlns='urn:xmpp:jingle:1' action='transport-replace' "
      "initiator='alice@example.org/laptop' sid='%s'><content creator='initiator' "
      "name='a-file-offer'><transport xmlns='urn:xmpp:jingle:transports:ibb:1' "
      "block-size='4096' sid='forged-ibb'/></content></jingle></iq>",
      xtls_session_get_sid (sent));
  xtls_loopback_inject (lb, lb->bob, lb->alice, xml);
  run_until_ended (lb, sent);
  assert_complete (lb, sent, contents);
  g_assert_true (xtls_loopback_wire_contains (lb, "action='transport-reject'"));
  g_assert_false (xtls_loopback_wire_contains (lb, "action='transport-accept'"));
  g_assert_false (xtls_loopback_wire_contains (lb, NS_IBB_DATA));
  g_assert_cmpuint (f->net->direct, >, 20000);
  assert_sockets_closed (f);
}

static char *
flood_offer (XtlsLoopback *lb, guint candidates)
{
  GString *xml = g_string_new (
      "<iq type='set' id='fl1' from='alice@example.org/laptop' to='bob@example.net/phone'>"
      "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' "
      "initiator='alice@example.org/laptop' sid='flood1'><content creator='initiator' "
      "name='a-file-offer' senders='initiator'><description "
      "xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file><name>a.txt</name><size>5</size>"
      "</file></description><transport xmlns='urn:xmpp:jingle:transports:s5b:1' sid='t1'>");

  for (guint i = 0; i < candidates; i++)
    g_string_append_printf (xml,
                            "<candidate cid='c%u' host='10.9.%u.%u' jid='alice@example.org/laptop' "
                            "port='%u' priority='%u'/>",
                            i, i / 256, i % 256, 1000 + i, 1000 + i);
  g_string_append_printf (xml,
                          "</transport><security xmlns='urn:xmpp:jingle:security:xtls:0'>"
                          "<fingerprint algo='sha-256'>%s</fingerprint><method name='x509'/>"
                          "</security></content></jingle></iq>",
                          xtls_identity_get_fingerprint (lb->alice->identity));
  return g_string_free (xml, FALSE);
}

/* The largest candidate list a peer may send makes us try only a few of them; a longer one is
 * not even parsed as ours. */
static void
test_candidate_flood (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autofree char *most = flood_offer (lb, XTLS_S5B_MAX_CANDIDATES);
  g_autofree char *too_many = flood_offer (lb, XTLS_S5B_MAX_CANDIDATES + 1);
  XtlsSession *got;

  g_assert_false (xtls_hub_receive (lb->bob->hub, too_many, -1));
  g_assert_cmpuint (xtls_hub_count_sessions (lb->bob->hub), ==, 0);

  g_assert_true (xtls_hub_receive (lb->bob->hub, most, -1));
  got = bob_offer (lb);
  for (guint i = 0; i < 20; i++)
    xtls_loopback_leg (lb);
  g_assert_cmpuint (f->net->connects, ==, XTLS_S5B_MAX_ATTEMPTS);
  /* Alice never had that session and says so; bob's ends, with its sockets. */
  xtls_loopback_advance (lb, 10 * 60 * G_USEC_PER_SEC);
  xtls_loopback_run (lb, 100);
  g_assert_false (xtls_session_is_live (got));
  g_assert_cmpuint (xtls_test_peer_file (lb->bob, got)->ended, ==, 1);
  assert_sockets_closed (f);
}

/* ---- ending early --------------------------------------------------------------------------- */

/* The sender cancels while bob still waits for a candidate that never answers: both learn it
 * once, and every socket is closed. */
static void
test_cancel_during_checks (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (5000);
  XtlsSession *sent;
  XtlsTestFile *out, *in;

  xtls_loopback_net_listen (f->net, lb->alice, "192.0.2.1", 5001, XTLS_NET_BLACKHOLE);
  sent = xtls_test_peer_send_file (lb->alice, "c.bin", contents, TRUE);
  for (guint i = 0; i < 6; i++)
    xtls_loopback_leg (lb);
  g_assert_cmpuint (f->net->connects, ==, 1);
  g_assert_cmpuint (xtls_loopback_net_open_count (f->net, lb->bob), ==, 1);
  xtls_session_cancel_file (sent);
  run_until_ended (lb, sent);
  out = xtls_test_peer_file (lb->alice, sent);
  in = xtls_test_peer_file (lb->bob, bob_offer (lb));
  g_assert_cmpuint (out->ended, ==, 1);
  g_assert_error (out->error, XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_CANCELLED);
  g_assert_cmpuint (in->ended, ==, 1);
  g_assert_error (in->error, XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_PEER_CANCELLED);
  g_assert_cmpuint (in->stored->len, ==, 0);
  assert_sockets_closed (f);
}

/* The connection breaks in mid-file: both transfers fail (the receiver's partial file is
 * deleted), nothing hangs. */
static void
test_connection_lost (Fixture *f, gconstpointer data)
{
  XtlsLoopback *lb = f->lb;
  g_autoptr (GBytes) contents = make_contents (1024 * 1024);
  XtlsSession *sent, *got;
  XtlsTestFile *out, *in;
  guint steps = 0;

  xtls_loopback_net_listen (f->net, lb->bob, "198.51.100.2", 5002, XTLS_NET_OPEN);
  sent = xtls_test_peer_send_file (lb->alice, "lost.bin", contents, TRUE);
  while (lb->bob->file_offers->len == 0
         || xtls_test_peer_file (lb->bob, bob_offer (lb))->stored->len < 100 * 1000)
    {
      g_assert_cmpuint (xtls_loopback_leg (lb), >, 0);
      g_assert_cmpuint (++steps, <, MAX_STEPS);
    }
  got = bob_offer (lb);
  g_assert_cmpuint (xtls_loopback_net_break (f->net), ==, 2);
  run_until_ended (lb, sent);
  out = xtls_test_peer_file (lb->alice, sent);
  in = xtls_test_peer_file (lb->bob, got);
  /* Both are told the connection was lost (not a handshake failure, not a hash mismatch). */
  g_assert_cmpuint (out->ended, ==, 1);
  g_assert_error (out->error, XTLS_ERROR, XTLS_ERROR_CONNECTION_LOST);
  g_assert_cmpuint (in->ended, ==, 1);
  g_assert_error (in->error, XTLS_ERROR, XTLS_ERROR_CONNECTION_LOST);
  g_assert_true (in->deleted);
  g_assert_cmpint (xtls_session_get_state (sent), ==, XTLS_STATE_FAILED);
  g_assert_cmpint (xtls_session_get_state (got), ==, XTLS_STATE_FAILED);
  assert_sockets_closed (f);
}

int
main (int argc, char **argv)
{
  static const XtlsHubConfig tls12 = { .tls_version = XTLS_TLS_VERSION_1_2 };
  /* The lost IQ's own answer is awaited longer than the candidate check lasts. */
  static const XtlsHubConfig patient = { .ack_timeout_us = 120 * G_USEC_PER_SEC };

  g_test_init (&argc, &argv, NULL);
#define ADD(path, func, config)                                                                    \
  g_test_add (path, Fixture, config, fixture_setup, func, fixture_teardown)
  ADD ("/filexfer-s5b/direct/both-listen", test_direct, NULL);
  ADD ("/filexfer-s5b/direct/receiver-listens-tls12", test_direct_small, &tls12);
  ADD ("/filexfer-s5b/proxy/wins", test_proxy, NULL);
  ADD ("/filexfer-s5b/fallback/all-fail", test_all_fail, NULL);
  ADD ("/filexfer-s5b/fallback/blackhole", test_blackhole, NULL);
  ADD ("/filexfer-s5b/fallback/proxy-refuses", test_proxy_refuses, NULL);
  ADD ("/filexfer-s5b/fallback/peer-report-lost", test_peer_report_lost, &patient);
  ADD ("/filexfer-s5b/peer/only-ibb", test_peer_only_ibb, NULL);
  ADD ("/filexfer-s5b/peer/responder-without-net", test_responder_without_net, NULL);
  ADD ("/filexfer-s5b/hostile/proxy-bytes", test_hostile_proxy, NULL);
  ADD ("/filexfer-s5b/hostile/listener", test_hostile_listener, NULL);
  ADD ("/filexfer-s5b/hostile/bogus-candidate-used", test_bogus_candidate_used, NULL);
  ADD ("/filexfer-s5b/hostile/replace-from-responder", test_replace_from_responder, NULL);
  ADD ("/filexfer-s5b/hostile/candidate-flood", test_candidate_flood, NULL);
  ADD ("/filexfer-s5b/end/cancel-during-checks", test_cancel_during_checks, NULL);
  ADD ("/filexfer-s5b/end/connection-lost", test_connection_lost, NULL);
  return g_test_run ();
}
