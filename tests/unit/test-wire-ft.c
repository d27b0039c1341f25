/* wire-ft.c: file-transfer offers (XEP-0234 :5, :4, :3), hashes (XEP-0300), checksum and
 * received, the s5b transport (XEP-0260) and the transport actions of the IBB fallback
 * (XEP-0261). Round trips for everything we build, every accepted namespace on receipt, and
 * malformed input that must be a parse error. */
#include <string.h>

#include <glib.h>

#include "wire-ft-vectors.h"

static const guint8 hello_sha256[XTLS_SHA256_LEN]
    = { 0x58, 0x91, 0xb5, 0xb5, 0x22, 0xd5, 0xdf, 0x08, 0x6d, 0x0f, 0xf0,
        0xb1, 0x10, 0xfb, 0xd9, 0xd2, 0x1b, 0xb4, 0xfc, 0x71, 0x63, 0xaf,
        0x34, 0xd0, 0x82, 0x86, 0xa2, 0xe8, 0x46, 0xf6, 0xbe, 0x03 };

/* ---- builders ---------------------------------------------------------------------------- */

static XtlsJingleFile *
make_file (void)
{
  XtlsJingleFile *file = g_new0 (XtlsJingleFile, 1);

  file->name = g_strdup ("holiday photos & <notes>.tar");
  file->has_size = TRUE;
  file->size = 1048576;
  file->media_type = g_strdup ("application/x-tar");
  file->date = g_strdup ("1969-07-21T02:56:15Z");
  file->desc = g_strdup ("the 'good' ones\nsecond line");
  file->has_sha256 = TRUE;
  memcpy (file->sha256, hello_sha256, XTLS_SHA256_LEN);
  return file;
}

static void
add_security (XtlsJingle *j)
{
  j->has_security = TRUE;
  j->fingerprint = g_strdup ("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
  j->fingerprint_algo = XTLS_HASH_SHA256;
  j->methods = XTLS_METHOD_X509 | XTLS_METHOD_SRP;
}

static XtlsS5bTransportWire *
make_s5b (void)
{
  XtlsS5bTransportWire *t = xtls_s5b_transport_wire_new ("vj3hs98y");

  t->dstaddr = g_strdup ("972b7bf47291ca609517f67f86b5081086052dad");
  xtls_s5b_transport_wire_add (t, "hft54dqy", "192.168.4.1", ROMEO, 5086, 8257636,
                               XTLS_S5B_CANDIDATE_DIRECT);
  xtls_s5b_transport_wire_add (t, "hutr46fe", "2001:db8::1", ROMEO, 5087, 8258636,
                               XTLS_S5B_CANDIDATE_ASSISTED);
  xtls_s5b_transport_wire_add (t, "xmdh4b7i", "proxy.montague.lit", "proxy.montague.lit", 7777,
                               655360, XTLS_S5B_CANDIDATE_PROXY);
  xtls_s5b_transport_wire_add (t, "tun1", "10.0.0.1", ROMEO, 1, 1, XTLS_S5B_CANDIDATE_TUNNEL);
  return t;
}

static XtlsJingle *
make_offer_s5b (void)
{
  XtlsJingle *j = xtls_jingle_new (XTLS_JINGLE_SESSION_INITIATE, SID);

  j->initiator = g_strdup (ROMEO);
  j->has_content = TRUE;
  j->content_creator = g_strdup ("initiator");
  j->content_name = g_strdup ("a-file-offer");
  j->content_senders = g_strdup ("initiator");
  j->app = XTLS_APP_FILE_TRANSFER;
  j->file = make_file ();
  j->s5b = make_s5b ();
  add_security (j);
  return j;
}

static XtlsJingle *
make_offer_ibb (void)
{
  XtlsJingle *j = make_offer_s5b ();

  g_clear_pointer (&j->s5b, xtls_s5b_transport_wire_free);
  g_clear_pointer (&j->file->media_type, g_free);
  g_clear_pointer (&j->file->date, g_free);
  g_clear_pointer (&j->file->desc, g_free);
  j->file->has_sha256 = FALSE;
  memset (j->file->sha256, 0, XTLS_SHA256_LEN);
  j->has_transport = TRUE;
  j->ibb_version = XTLS_IBB_VERSION_1;
  j->transport_sid = g_strdup ("ch3d9s71");
  j->block_size = 4096;
  return j;
}

static XtlsJingle *
make_accept (void)
{
  XtlsJingle *j = make_offer_s5b ();

  j->action = XTLS_JINGLE_SESSION_ACCEPT;
  j->responder = g_strdup (JULIET);
  g_ptr_array_set_size (j->s5b->candidates, 0);
  xtls_s5b_transport_wire_add (j->s5b, "ht567dq", "192.169.1.10", JULIET, 6539, 8257636,
                               XTLS_S5B_CANDIDATE_DIRECT);
  j->methods = XTLS_METHOD_X509;
  return j;
}

static XtlsJingle *
make_transport_info (XtlsS5bInfo info, const char *cid)
{
  XtlsJingle *j = xtls_jingle_new (XTLS_JINGLE_OTHER, SID);

  j->transport_action = XTLS_JINGLE_TRANSPORT_INFO;
  j->initiator = g_strdup (ROMEO);
  j->has_content = TRUE;
  j->content_creator = g_strdup ("initiator");
  j->content_name = g_strdup ("a-file-offer");
  j->s5b = xtls_s5b_transport_wire_new ("vj3hs98y");
  j->s5b->info = info;
  j->s5b->info_cid = g_strdup (cid);
  return j;
}

static XtlsJingle *
make_candidate_used (void)
{
  return make_transport_info (XTLS_S5B_INFO_CANDIDATE_USED, "hr65dqyd");
}

static XtlsJingle *
make_candidate_error (void)
{
  return make_transport_info (XTLS_S5B_INFO_CANDIDATE_ERROR, NULL);
}

static XtlsJingle *
make_activated (void)
{
  return make_transport_info (XTLS_S5B_INFO_ACTIVATED, "hr65dqyd");
}

static XtlsJingle *
make_proxy_error (void)
{
  return make_transport_info (XTLS_S5B_INFO_PROXY_ERROR, NULL);
}

/* XEP-0260 §2.6: the fallback to IBB replaces the transport of the content. */
static XtlsJingle *
make_transport_replace (void)
{
  XtlsJingle *j = make_transport_info (XTLS_S5B_INFO_NONE, NULL);

  j->transport_action = XTLS_JINGLE_TRANSPORT_REPLACE;
  g_clear_pointer (&j->s5b, xtls_s5b_transport_wire_free);
  j->has_transport = TRUE;
  j->ibb_version = XTLS_IBB_VERSION_1;
  j->transport_sid = g_strdup ("ibbfallback1");
  j->block_size = 4096;
  return j;
}

static XtlsJingle *
make_transport_accept (void)
{
  XtlsJingle *j = make_transport_replace ();

  j->transport_action = XTLS_JINGLE_TRANSPORT_ACCEPT;
  j->block_size = 2048;
  return j;
}

static XtlsJingle *
make_transport_reject (void)
{
  XtlsJingle *j = make_transport_replace ();

  j->transport_action = XTLS_JINGLE_TRANSPORT_REJECT;
  return j;
}

static XtlsJingle *
make_checksum (void)
{
  XtlsJingle *j = xtls_jingle_new (XTLS_JINGLE_SESSION_INFO, SID);

  j->initiator = g_strdup (ROMEO);
  j->info = XTLS_JINGLE_INFO_CHECKSUM;
  j->content_creator = g_strdup ("initiator");
  j->content_name = g_strdup ("a-file-offer");
  j->file = g_new0 (XtlsJingleFile, 1);
  j->file->has_sha256 = TRUE;
  memcpy (j->file->sha256, hello_sha256, XTLS_SHA256_LEN);
  return j;
}

static XtlsJingle *
make_received (void)
{
  XtlsJingle *j = make_checksum ();

  j->info = XTLS_JINGLE_INFO_RECEIVED;
  g_clear_pointer (&j->file, xtls_jingle_file_free);
  return j;
}

/* ---- comparison -------------------------------------------------------------------------- */

static void
assert_file_equal (const XtlsJingleFile *a, const XtlsJingleFile *b)
{
  g_assert_true ((a == NULL) == (b == NULL));
  if (a == NULL)
    return;
  g_assert_cmpstr (a->name, ==, b->name);
  g_assert_cmpint (a->has_size, ==, b->has_size);
  g_assert_cmpuint (a->size, ==, b->size);
  g_assert_cmpstr (a->media_type, ==, b->media_type);
  g_assert_cmpstr (a->date, ==, b->date);
  g_assert_cmpstr (a->desc, ==, b->desc);
  g_assert_cmpint (a->has_sha256, ==, b->has_sha256);
  g_assert_cmpmem (a->sha256, XTLS_SHA256_LEN, b->sha256, XTLS_SHA256_LEN);
}

static void
assert_s5b_equal (const XtlsS5bTransportWire *a, const XtlsS5bTransportWire *b)
{
  g_assert_true ((a == NULL) == (b == NULL));
  if (a == NULL)
    return;
  g_assert_cmpstr (a->sid, ==, b->sid);
  g_assert_cmpstr (a->dstaddr, ==, b->dstaddr);
  g_assert_cmpint (a->udp, ==, b->udp);
  g_assert_cmpint (a->info, ==, b->info);
  g_assert_cmpstr (a->info_cid, ==, b->info_cid);
  g_assert_cmpuint (a->candidates->len, ==, b->candidates->len);
  for (guint i = 0; i < a->candidates->len; i++)
    {
      const XtlsS5bCandidateWire *ca = g_ptr_array_index (a->candidates, i);
      const XtlsS5bCandidateWire *cb = g_ptr_array_index (b->candidates, i);

      g_assert_cmpstr (ca->cid, ==, cb->cid);
      g_assert_cmpstr (ca->host, ==, cb->host);
      g_assert_cmpstr (ca->jid, ==, cb->jid);
      g_assert_cmpuint (ca->port, ==, cb->port);
      g_assert_cmpuint (ca->priority, ==, cb->priority);
      g_assert_cmpint (ca->type, ==, cb->type);
    }
}

static void
assert_equal (const XtlsJingle *a, const XtlsJingle *b)
{
  g_assert_cmpint (a->action, ==, b->action);
  g_assert_cmpint (a->transport_action, ==, b->transport_action);
  g_assert_cmpint (a->dialect, ==, b->dialect);
  g_assert_cmpstr (a->sid, ==, b->sid);
  g_assert_cmpstr (a->initiator, ==, b->initiator);
  g_assert_cmpstr (a->responder, ==, b->responder);
  g_assert_cmpint (a->has_content, ==, b->has_content);
  g_assert_cmpstr (a->content_name, ==, b->content_name);
  g_assert_cmpstr (a->content_creator, ==, b->content_creator);
  g_assert_cmpstr (a->content_senders, ==, b->content_senders);
  g_assert_cmpint (a->app, ==, b->app);
  if (a->app == XTLS_APP_FILE_TRANSFER || a->info != XTLS_JINGLE_INFO_NONE)
    g_assert_cmpint (a->ft_version, ==, b->ft_version);
  g_assert_cmpint (a->info, ==, b->info);
  assert_file_equal (a->file, b->file);
  g_assert_cmpint (a->has_transport, ==, b->has_transport);
  g_assert_cmpstr (a->transport_sid, ==, b->transport_sid);
  g_assert_cmpuint (a->block_size, ==, b->block_size);
  assert_s5b_equal (a->s5b, b->s5b);
  g_assert_cmpint (a->has_security, ==, b->has_security);
  g_assert_cmpstr (a->fingerprint, ==, b->fingerprint);
  g_assert_cmpuint (a->methods, ==, b->methods);
}

/* ---- round trips ------------------------------------------------------------------------- */

typedef struct
{
  const char *path;
  XtlsJingle *(*make) (void);
  XtlsJingleDialect dialect;
  XtlsFtVersion ft_version;
  const char *must_contain; /* a fragment the built XML must hold, or NULL */
} RoundTripCase;

static const RoundTripCase round_trip_cases[] = {
  { "/wire-ft/round-trip/offer-s5b", make_offer_s5b, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "<description xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file>" },
  { "/wire-ft/round-trip/offer-s5b-hash", make_offer_s5b, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>" HELLO_B64 "</hash>" },
  { "/wire-ft/round-trip/offer-s5b-transport", make_offer_s5b, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "<transport xmlns='urn:xmpp:jingle:transports:s5b:1' "
    "dstaddr='972b7bf47291ca609517f67f86b5081086052dad' mode='tcp' sid='vj3hs98y'>"
    "<candidate cid='hft54dqy' host='192.168.4.1' jid='" ROMEO "' port='5086' "
    "priority='8257636' type='direct'/>" },
  { "/wire-ft/round-trip/offer-senders", make_offer_s5b, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "<content creator='initiator' name='a-file-offer' senders='initiator'>" },
  { "/wire-ft/round-trip/offer-ibb", make_offer_ibb, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "<file><name>holiday photos &amp; &lt;notes&gt;.tar</name><size>1048576</size></file>" },
  { "/wire-ft/round-trip/offer-ft4", make_offer_s5b, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_4,
    "<hash xmlns='urn:xmpp:hashes:1' algo='sha-256'>" },
  { "/wire-ft/round-trip/offer-ft3", make_offer_s5b, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_3,
    "<description xmlns='urn:xmpp:jingle:apps:file-transfer:3'>" },
  { "/wire-ft/round-trip/offer-jingle0", make_offer_ibb, XTLS_JINGLE_NS_0, XTLS_FT_VERSION_5,
    "<jingle xmlns='urn:xmpp:jingle:0'" },
  { "/wire-ft/round-trip/accept", make_accept, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "action='session-accept'" },
  { "/wire-ft/round-trip/candidate-used", make_candidate_used, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "action='transport-info'" },
  { "/wire-ft/round-trip/candidate-used-element", make_candidate_used, XTLS_JINGLE_NS_1,
    XTLS_FT_VERSION_5, "<candidate-used cid='hr65dqyd'/></transport>" },
  { "/wire-ft/round-trip/candidate-error", make_candidate_error, XTLS_JINGLE_NS_1,
    XTLS_FT_VERSION_5, "<candidate-error/>" },
  { "/wire-ft/round-trip/activated", make_activated, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "<activated cid='hr65dqyd'/>" },
  { "/wire-ft/round-trip/proxy-error", make_proxy_error, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "<proxy-error/>" },
  { "/wire-ft/round-trip/transport-replace", make_transport_replace, XTLS_JINGLE_NS_1,
    XTLS_FT_VERSION_5,
    "action='transport-replace' initiator='" ROMEO "' sid='" SID "'><content "
    "creator='initiator' name='a-file-offer'><transport "
    "xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='ibbfallback1'/>" },
  { "/wire-ft/round-trip/transport-accept", make_transport_accept, XTLS_JINGLE_NS_1,
    XTLS_FT_VERSION_5, "action='transport-accept'" },
  { "/wire-ft/round-trip/transport-reject", make_transport_reject, XTLS_JINGLE_NS_1,
    XTLS_FT_VERSION_5, "action='transport-reject'" },
  { "/wire-ft/round-trip/transport-replace-tmp", make_transport_replace, XTLS_JINGLE_NS_TMP,
    XTLS_FT_VERSION_5, "<jingle xmlns='urn:xmpp:tmp:jingle'" },
  { "/wire-ft/round-trip/checksum", make_checksum, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "<checksum xmlns='urn:xmpp:jingle:apps:file-transfer:5' creator='initiator' "
    "name='a-file-offer'><file><hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>" HELLO_B64
    "</hash></file></checksum>" },
  { "/wire-ft/round-trip/checksum-ft4", make_checksum, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_4,
    "<checksum xmlns='urn:xmpp:jingle:apps:file-transfer:4'" },
  { "/wire-ft/round-trip/received", make_received, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_5,
    "<received xmlns='urn:xmpp:jingle:apps:file-transfer:5' creator='initiator' "
    "name='a-file-offer'/></jingle>" },
  { "/wire-ft/round-trip/received-ft3", make_received, XTLS_JINGLE_NS_1, XTLS_FT_VERSION_3,
    "<received xmlns='urn:xmpp:jingle:apps:file-transfer:3'" },
};

static void
test_round_trip (gconstpointer data)
{
  const RoundTripCase *tc = data;
  g_autoptr (XtlsJingle) j = tc->make ();
  g_autofree char *xml = NULL;
  g_autoptr (XtlsIq) iq = NULL;
  g_autoptr (XtlsJingle) copy = NULL;

  j->dialect = tc->dialect;
  j->ft_version = tc->ft_version;
  xml = xtls_wire_build_jingle (j, "id1", JULIET);
  g_assert_nonnull (xml);
  if (tc->must_contain != NULL && strstr (xml, tc->must_contain) == NULL)
    g_error ("%s\nlacks\n%s", xml, tc->must_contain);
  iq = parse_ok (xml);
  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_JINGLE);
  assert_equal (iq->jingle, j);
  /* The copy is as deep as the parse. */
  copy = xtls_jingle_copy (iq->jingle);
  g_clear_pointer (&iq, xtls_iq_free);
  assert_equal (copy, j);
}

/* Sizes at both ends of the range. */
static void
test_size_extremes (void)
{
  static const guint64 sizes[] = { 0, 1, G_MAXUINT32 + (guint64)1, G_MAXUINT64 };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autoptr (XtlsJingle) j = make_offer_ibb ();
      g_autofree char *xml = NULL;
      g_autoptr (XtlsIq) iq = NULL;

      j->file->size = sizes[i];
      xml = xtls_wire_build_jingle (j, "id1", JULIET);
      iq = parse_ok (xml);
      g_assert_true (iq->jingle->file->has_size);
      g_assert_cmpuint (iq->jingle->file->size, ==, sizes[i]);
    }
}

/* ---- what peers send: every accepted namespace -------------------------------------------- */

typedef struct
{
  const char *path;
  const char *xml;
  XtlsFtVersion version;
  gboolean has_sha256;
  gboolean s5b;
} PeerOfferCase;

static const PeerOfferCase peer_offer_cases[] = {
  { "/wire-ft/peer/ft5-hashes2-s5b",
    OFFER ("urn:xmpp:jingle:apps:file-transfer:5",
           "<hash xmlns='urn:xmpp:hashes:2' algo='sha-1'>w0mcJylzCn+AfvuGdqkty2+KP48=</hash>"
           "<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>" HELLO_B64 "</hash>",
           S5B_TRANSPORT),
    XTLS_FT_VERSION_5, TRUE, TRUE },
  { "/wire-ft/peer/ft5-no-hash-ibb",
    OFFER ("urn:xmpp:jingle:apps:file-transfer:5", "", IBB_TRANSPORT), XTLS_FT_VERSION_5, FALSE,
    FALSE },
  { "/wire-ft/peer/ft4-hashes1",
    OFFER ("urn:xmpp:jingle:apps:file-transfer:4",
           "<hash xmlns='urn:xmpp:hashes:1' algo='sha-256'>" HELLO_B64 "</hash>", S5B_TRANSPORT),
    XTLS_FT_VERSION_4, TRUE, TRUE },
  { "/wire-ft/peer/ft4-hashes2",
    OFFER ("urn:xmpp:jingle:apps:file-transfer:4",
           "<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>\n" HELLO_B64 "\n</hash>",
           IBB_TRANSPORT),
    XTLS_FT_VERSION_4, TRUE, FALSE },
  { "/wire-ft/peer/ft3-hashes-wrapper",
    OFFER ("urn:xmpp:jingle:apps:file-transfer:3",
           "<hashes xmlns='urn:xmpp:hashes:1'><hash algo='sha-256'>" HELLO_B64 "</hash></hashes>",
           IBB_TRANSPORT),
    XTLS_FT_VERSION_3, TRUE, FALSE },
  /* A hash in a namespace we do not know is somebody else's extension, not an error. */
  { "/wire-ft/peer/unknown-hash-ns-ignored",
    OFFER ("urn:xmpp:jingle:apps:file-transfer:5",
           "<hash xmlns='urn:xmpp:hashes:9' algo='sha-256'>!!</hash>", IBB_TRANSPORT),
    XTLS_FT_VERSION_5, FALSE, FALSE },
  /* Only sha-256 is checked: another algorithm's value is never read. */
  { "/wire-ft/peer/other-algo-not-read",
    OFFER ("urn:xmpp:jingle:apps:file-transfer:5",
           "<hash xmlns='urn:xmpp:hashes:2' algo='blake2b-256'>not base64 at all</hash>",
           IBB_TRANSPORT),
    XTLS_FT_VERSION_5, FALSE, FALSE },
};

static void
test_peer_offer (gconstpointer data)
{
  const PeerOfferCase *tc = data;
  g_autoptr (XtlsIq) iq = parse_ok (tc->xml);
  const XtlsJingle *j = iq->jingle;

  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_JINGLE);
  g_assert_cmpint (j->action, ==, XTLS_JINGLE_SESSION_INITIATE);
  g_assert_cmpint (j->app, ==, XTLS_APP_FILE_TRANSFER);
  g_assert_cmpint (j->ft_version, ==, tc->version);
  g_assert_cmpstr (j->content_senders, ==, "initiator");
  g_assert_nonnull (j->file);
  g_assert_cmpstr (j->file->name, ==, "test.txt");
  g_assert_true (j->file->has_size);
  g_assert_cmpuint (j->file->size, ==, 6144);
  g_assert_cmpstr (j->file->media_type, ==, "text/plain");
  g_assert_cmpstr (j->file->date, ==, "2015-07-26T21:46:00Z");
  g_assert_null (j->file->desc);
  g_assert_cmpint (j->file->has_sha256, ==, tc->has_sha256);
  if (tc->has_sha256)
    g_assert_cmpmem (j->file->sha256, XTLS_SHA256_LEN, hello_sha256, XTLS_SHA256_LEN);
  g_assert_true ((j->s5b != NULL) == tc->s5b);
  g_assert_cmpint (j->has_transport, ==, !tc->s5b);
  if (tc->s5b)
    {
      const XtlsS5bCandidateWire *second = g_ptr_array_index (j->s5b->candidates, 1);

      g_assert_cmpstr (j->s5b->sid, ==, "vj3hs98y");
      g_assert_null (j->s5b->dstaddr);
      g_assert_cmpuint (j->s5b->candidates->len, ==, 2);
      g_assert_cmpuint (second->port, ==, 1080); /* XEP-0260 §2.2 default */
      g_assert_cmpint (second->type, ==, XTLS_S5B_CANDIDATE_ASSISTED);
    }
  /* A file offer is never a chat offer: it stays libpurple's (hub.c routes by app). */
  g_assert_cmpint (xtls_jingle_check_offer (j), ==, XTLS_REASON_UNSUPPORTED_APPLICATIONS);
  /* No <security/>: a plain Jingle file transfer, not an XTLS one. */
  g_assert_cmpint (xtls_jingle_check_file_offer (j), ==, XTLS_REASON_SECURITY_ERROR);
}

typedef struct
{
  const char *path;
  const char *xml;
  void (*check) (const XtlsJingle *j);
} PeerMiscCase;

static void
check_lenient_candidate (const XtlsJingle *j)
{
  const XtlsS5bCandidateWire *c = g_ptr_array_index (j->s5b->candidates, 0);

  g_assert_cmpint (c->type, ==, XTLS_S5B_CANDIDATE_DIRECT); /* absent type */
  g_assert_cmpuint (c->port, ==, 1080);                     /* absent port */
  g_assert_false (j->s5b->udp);                             /* absent mode */
  g_assert_cmpint (j->s5b->info, ==, XTLS_S5B_INFO_NONE);   /* <unknown/> ignored */
}

static void
check_bad_date_dropped (const XtlsJingle *j)
{
  g_assert_null (j->file->date);
  g_assert_cmpstr (j->file->name, ==, "x");
  g_assert_false (j->file->has_size);
}

static void
check_checksum_ft3 (const XtlsJingle *j)
{
  g_assert_cmpint (j->action, ==, XTLS_JINGLE_SESSION_INFO);
  g_assert_cmpint (j->info, ==, XTLS_JINGLE_INFO_CHECKSUM);
  g_assert_cmpint (j->ft_version, ==, XTLS_FT_VERSION_3);
  g_assert_cmpstr (j->content_name, ==, "a-file-offer");
  g_assert_false (j->has_content);
  g_assert_true (j->file->has_sha256);
  g_assert_cmpmem (j->file->sha256, XTLS_SHA256_LEN, hello_sha256, XTLS_SHA256_LEN);
}

static void
check_checksum_sha1_only (const XtlsJingle *j)
{
  g_assert_cmpint (j->info, ==, XTLS_JINGLE_INFO_CHECKSUM);
  g_assert_false (j->file->has_sha256);
}

static void
check_info_other (const XtlsJingle *j)
{
  g_assert_cmpint (j->action, ==, XTLS_JINGLE_SESSION_INFO);
  g_assert_cmpint (j->info, ==, XTLS_JINGLE_INFO_NONE);
}

static void
check_other_action (const XtlsJingle *j)
{
  g_assert_cmpint (j->action, ==, XTLS_JINGLE_OTHER);
  g_assert_cmpint (j->transport_action, ==, XTLS_JINGLE_TRANSPORT_ACTION_NONE);
}

static void
check_xmlstream_untouched (const XtlsJingle *j)
{
  /* A chat offer that also carries FT-looking children is read as before. */
  g_assert_cmpint (j->app, ==, XTLS_APP_XMLSTREAM);
  g_assert_null (j->file);
  g_assert_cmpint (xtls_jingle_check_offer (j), ==, XTLS_REASON_NONE);
}

static void
check_checksum_and_content (const XtlsJingle *j)
{
  /* Hostile mix: both are read, the <content/> wins, nothing leaks (sanitizer builds). */
  g_assert_cmpint (j->info, ==, XTLS_JINGLE_INFO_CHECKSUM);
  g_assert_cmpstr (j->content_name, ==, "a-file-offer");
  g_assert_cmpstr (j->file->name, ==, "test.txt");
}

static const PeerMiscCase peer_misc_cases[] = {
  { "/wire-ft/peer/candidate-defaults",
    IQ_OPEN JINGLE_OPEN ("transport-info") CONTENT_OPEN
    "<transport xmlns='urn:xmpp:jingle:transports:s5b:1' sid='s'><candidate cid='c' host='h' "
    "jid='j' priority='5'/><unknown/></transport></content></jingle></iq>",
    check_lenient_candidate },
  { "/wire-ft/peer/bad-date-dropped",
    IQ_OPEN JINGLE_OPEN ("session-initiate") CONTENT_OPEN
    "<description xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file><name>x</name>"
    "<date>yesterday</date></file></description></content></jingle></iq>",
    check_bad_date_dropped },
  { "/wire-ft/peer/checksum-ft3-wrapper",
    IQ_OPEN JINGLE_OPEN ("session-info") "<checksum xmlns='urn:xmpp:jingle:apps:file-transfer:3' "
                                         "creator='initiator' "
                                         "name='a-file-offer'><file><hashes "
                                         "xmlns='urn:xmpp:hashes:1'><hash algo='sha-256'>" HELLO_B64
                                         "</hash></hashes></file></checksum></jingle></iq>",
    check_checksum_ft3 },
  { "/wire-ft/peer/checksum-sha1-only",
    IQ_OPEN JINGLE_OPEN ("session-info") "<checksum xmlns='urn:xmpp:jingle:apps:file-transfer:5' "
                                         "creator='initiator' name='a'><file>"
                                         "<hash xmlns='urn:xmpp:hashes:2' "
                                         "algo='sha-1'>w0mcJylzCn+AfvuGdqkty2+KP48=</hash></file>"
                                         "</checksum></jingle></iq>",
    check_checksum_sha1_only },
  { "/wire-ft/peer/session-info-ringing",
    IQ_OPEN JINGLE_OPEN (
        "session-info") "<ringing xmlns='urn:xmpp:jingle:apps:rtp:info:1'/></jingle></iq>",
    check_info_other },
  /* A <checksum/> outside session-info is not read. */
  { "/wire-ft/peer/checksum-outside-session-info",
    IQ_OPEN JINGLE_OPEN (
        "description-info") "<checksum xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file><hash "
                            "xmlns='urn:xmpp:hashes:2' "
                            "algo='sha-256'>!</hash></file></checksum></jingle></iq>",
    check_other_action },
  { "/wire-ft/peer/checksum-and-content",
    IQ_OPEN JINGLE_OPEN (
        "session-info") "<checksum xmlns='urn:xmpp:jingle:apps:file-transfer:5' "
                        "creator='responder' name='other'>"
                        "<file>"
                        "<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>" HELLO_B64 "</hash></file>"
                        "</checksum>" CONTENT_OPEN
                        "<description xmlns='urn:xmpp:jingle:apps:file-transfer:5'>"
                        "<file><name>test.txt</name></file></description>" S5B_TRANSPORT
                            S5B_TRANSPORT "</content></jingle></iq>",
    check_checksum_and_content },
  { "/wire-ft/peer/xmlstream-with-s5b",
    IQ_OPEN JINGLE_OPEN (
        "session-initiate") "<content creator='initiator' name='xmlstream'><description "
                            "xmlns='urn:xmpp:jingle:apps:xmlstream:0'/>" IBB_TRANSPORT
                            "<security xmlns='urn:xmpp:jingle:security:xtls:0'><method "
                            "name='srp'/></security>"
                            "</content></jingle></iq>",
    check_xmlstream_untouched },
};

static void
test_peer_misc (gconstpointer data)
{
  const PeerMiscCase *tc = data;
  g_autoptr (XtlsIq) iq = parse_ok (tc->xml);

  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_JINGLE);
  tc->check (iq->jingle);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    g_test_add_data_func (round_trip_cases[i].path, &round_trip_cases[i], test_round_trip);
  g_test_add_func ("/wire-ft/round-trip/size-extremes", test_size_extremes);
  for (gsize i = 0; i < G_N_ELEMENTS (peer_offer_cases); i++)
    g_test_add_data_func (peer_offer_cases[i].path, &peer_offer_cases[i], test_peer_offer);
  for (gsize i = 0; i < G_N_ELEMENTS (peer_misc_cases); i++)
    g_test_add_data_func (peer_misc_cases[i].path, &peer_misc_cases[i], test_peer_misc);

  return g_test_run ();
}
