/* wire.c: outer IQs as text <-> structs. Round trips for everything we send, the exact
 * examples of PROTOCOL.md §2, the historical dialects of §7, and hostile input. */
#include <string.h>

#include <glib.h>

#include "wire.h"
#include "xtls-error.h"

#define FP256 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define FP256_COLONS                                                                               \
  "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:"        \
  "DD:EE:FF"
#define FP1 "0123456789abcdef0123456789abcdef01234567"

static XtlsIq *
parse_ok (const char *xml)
{
  g_autoptr (GError) error = NULL;
  XtlsIq *iq = xtls_wire_parse_iq (xml, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (iq);
  return iq;
}

static XtlsJingle *
make_initiate (void)
{
  XtlsJingle *j = xtls_jingle_new (XTLS_JINGLE_SESSION_INITIATE, "a73sjjvkla37jfea");

  j->initiator = g_strdup ("romeo@montague.lit/orchard");
  j->has_content = TRUE;
  j->content_creator = g_strdup ("initiator");
  j->content_name = g_strdup ("xmlstream");
  j->app = XTLS_APP_XMLSTREAM;
  j->has_transport = TRUE;
  j->ibb_version = XTLS_IBB_VERSION_1;
  j->transport_sid = g_strdup ("ch3d9s71");
  j->block_size = 4096;
  j->has_security = TRUE;
  j->fingerprint = g_strdup (FP256);
  j->fingerprint_algo = XTLS_HASH_SHA256;
  j->methods = XTLS_METHOD_X509 | XTLS_METHOD_SRP;
  return j;
}

static XtlsJingle *
make_accept (void)
{
  XtlsJingle *j = make_initiate ();

  j->action = XTLS_JINGLE_SESSION_ACCEPT;
  j->responder = g_strdup ("juliet@capulet.lit/balcony");
  j->block_size = 2048; /* the responder may lower it (XEP-0261 §2) */
  j->methods = XTLS_METHOD_X509;
  return j;
}

static XtlsJingle *
make_security_info (void)
{
  XtlsJingle *j = xtls_jingle_new (XTLS_JINGLE_SECURITY_INFO, "a73sjjvkla37jfea");

  j->initiator = g_strdup ("romeo@montague.lit/orchard");
  j->has_content = TRUE;
  j->content_creator = g_strdup ("initiator");
  j->content_name = g_strdup ("xmlstream");
  j->has_security = TRUE;
  j->methods = XTLS_METHOD_SRP;
  return j;
}

static XtlsJingle *
make_terminate (void)
{
  XtlsJingle *j = xtls_jingle_new (XTLS_JINGLE_SESSION_TERMINATE, "a73sjjvkla37jfea");

  j->initiator = g_strdup ("romeo@montague.lit/orchard");
  j->reason = XTLS_REASON_SUCCESS;
  return j;
}

static void
assert_jingle_equal (const XtlsJingle *a, const XtlsJingle *b)
{
  g_assert_cmpint (a->action, ==, b->action);
  g_assert_cmpint (a->dialect, ==, b->dialect);
  g_assert_cmpstr (a->sid, ==, b->sid);
  g_assert_cmpstr (a->initiator, ==, b->initiator);
  g_assert_cmpstr (a->responder, ==, b->responder);
  g_assert_cmpint (a->has_content, ==, b->has_content);
  g_assert_cmpstr (a->content_name, ==, b->content_name);
  g_assert_cmpstr (a->content_creator, ==, b->content_creator);
  g_assert_cmpint (a->app, ==, b->app);
  g_assert_cmpint (a->has_transport, ==, b->has_transport);
  if (a->has_transport)
    {
      g_assert_cmpint (a->ibb_version, ==, b->ibb_version);
      g_assert_cmpstr (a->transport_sid, ==, b->transport_sid);
      g_assert_cmpuint (a->block_size, ==, b->block_size);
    }
  g_assert_cmpint (a->has_security, ==, b->has_security);
  g_assert_cmpstr (a->fingerprint, ==, b->fingerprint);
  if (a->fingerprint != NULL)
    g_assert_cmpint (a->fingerprint_algo, ==, b->fingerprint_algo);
  g_assert_cmpuint (a->methods, ==, b->methods);
  g_assert_cmpint (a->reason, ==, b->reason);
  g_assert_cmpstr (a->reason_text, ==, b->reason_text);
  g_assert_cmpint (a->decide_together, ==, b->decide_together);
  g_assert_cmpint (a->deciding, ==, b->deciding);
}

static void
assert_jingle_round_trip (const XtlsJingle *sent)
{
  g_autofree char *xml = xtls_wire_build_jingle (sent, "id1", "juliet@capulet.lit/balcony");
  g_autoptr (XtlsIq) iq = NULL;

  g_assert_nonnull (xml);
  g_assert_false (g_str_has_prefix (xml, "<?xml"));
  g_assert_null (strchr (xml, '\n'));
  iq = parse_ok (xml);
  g_assert_cmpint (iq->type, ==, XTLS_IQ_SET);
  g_assert_cmpstr (iq->id, ==, "id1");
  g_assert_cmpstr (iq->to, ==, "juliet@capulet.lit/balcony");
  g_assert_null (iq->from);
  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_JINGLE);
  assert_jingle_equal (iq->jingle, sent);
}

/* ---- round trips ---------------------------------------------------------------------- */

typedef struct
{
  const char *path;
  XtlsJingle *(*make) (void);
  XtlsJingleDialect dialect;
} RoundTripCase;

static const RoundTripCase round_trip_cases[] = {
  { "/wire/round-trip/session-initiate", make_initiate, XTLS_JINGLE_NS_1 },
  { "/wire/round-trip/session-accept", make_accept, XTLS_JINGLE_NS_1 },
  { "/wire/round-trip/security-info", make_security_info, XTLS_JINGLE_NS_1 },
  { "/wire/round-trip/session-terminate", make_terminate, XTLS_JINGLE_NS_1 },
  { "/wire/round-trip/session-initiate-ns0", make_initiate, XTLS_JINGLE_NS_0 },
  { "/wire/round-trip/session-accept-tmp", make_accept, XTLS_JINGLE_NS_TMP },
};

static void
test_round_trip (gconstpointer data)
{
  const RoundTripCase *tc = data;
  g_autoptr (XtlsJingle) j = tc->make ();

  j->dialect = tc->dialect;
  /* The tmp dialect implies the tmp application namespace on the wire (PROTOCOL.md §1). */
  if (tc->dialect == XTLS_JINGLE_NS_TMP && j->app == XTLS_APP_XMLSTREAM)
    j->app = XTLS_APP_XMLSTREAM_TMP;
  assert_jingle_round_trip (j);
}

/* Deciding together (PROTOCOL.md §2.1): the markers in <security/> and the keepalive. */
static void
test_round_trip_deciding (void)
{
  g_autoptr (XtlsJingle) initiate = make_initiate ();
  g_autoptr (XtlsJingle) accept = make_accept ();
  g_autoptr (XtlsJingle) keepalive = xtls_jingle_new (XTLS_JINGLE_SESSION_INFO, "a73sjjvkla37jfea");
  g_autofree char *xml = NULL;
  g_autoptr (XtlsIq) iq = NULL;

  initiate->decide_together = TRUE;
  assert_jingle_round_trip (initiate);
  accept->decide_together = accept->deciding = TRUE;
  assert_jingle_round_trip (accept);
  keepalive->initiator = g_strdup ("romeo@montague.lit/orchard");
  keepalive->deciding = TRUE;
  xml = xtls_wire_build_jingle (keepalive, "id1", "juliet@capulet.lit/balcony");
  g_assert_nonnull (strstr (xml, "action='session-info'"));
  g_assert_nonnull (strstr (xml, "<deciding xmlns='urn:xmpp:tmp:xtls:decide:0'/>"));
  assert_jingle_round_trip (keepalive);
  /* An empty session-info (a ping) is not a keepalive; one in another namespace neither. */
  iq = parse_ok ("<iq type='set' id='p' to='a@b/c'><jingle xmlns='urn:xmpp:jingle:1' "
                 "action='session-info' sid='s1'><deciding xmlns='urn:example:other'/>"
                 "</jingle></iq>");
  g_assert_false (iq->jingle->deciding);
  g_assert_true (iq->jingle->info_unknown);
}

static void
test_round_trip_ibb0 (void)
{
  g_autoptr (XtlsJingle) j = make_initiate ();

  j->ibb_version = XTLS_IBB_VERSION_0;
  assert_jingle_round_trip (j);
}

static void
test_round_trip_every_reason (void)
{
  for (int r = XTLS_REASON_SUCCESS; r < XTLS_REASON_OTHER; r++)
    {
      g_autoptr (XtlsJingle) j = make_terminate ();

      j->reason = (XtlsJingleReason)r;
      assert_jingle_round_trip (j);
      j->reason_text = g_strdup ("peer's words <&> \"quoted\"\nline two");
      assert_jingle_round_trip (j);
    }
}

/* XEP-0166 §7.4 has no "other" element: it goes out as general-error; NONE sends no <reason/>. */
static void
test_reason_other_and_none (void)
{
  g_autoptr (XtlsJingle) j = make_terminate ();
  g_autofree char *xml = NULL;
  g_autoptr (XtlsIq) iq = NULL;
  g_autofree char *xml_none = NULL;
  g_autoptr (XtlsIq) iq_none = NULL;

  j->reason = XTLS_REASON_OTHER;
  xml = xtls_wire_build_jingle (j, "t1", "juliet@capulet.lit/balcony");
  g_assert_nonnull (strstr (xml, "<reason><general-error/></reason>"));
  iq = parse_ok (xml);
  g_assert_cmpint (iq->jingle->reason, ==, XTLS_REASON_GENERAL_ERROR);

  j->reason = XTLS_REASON_NONE;
  xml_none = xtls_wire_build_jingle (j, "t2", "juliet@capulet.lit/balcony");
  g_assert_null (strstr (xml_none, "<reason"));
  iq_none = parse_ok (xml_none);
  g_assert_cmpint (iq_none->jingle->reason, ==, XTLS_REASON_NONE);
}

/* The exact bytes, so that a format change is a deliberate one. */
static void
test_golden_initiate (void)
{
  g_autoptr (XtlsJingle) j = make_initiate ();
  g_autofree char *xml = xtls_wire_build_jingle (j, "xn28s7gk", "juliet@capulet.lit/balcony");

  g_assert_cmpstr (
      xml, ==,
      "<iq type='set' id='xn28s7gk' to='juliet@capulet.lit/balcony'>"
      "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' "
      "initiator='romeo@montague.lit/orchard' sid='a73sjjvkla37jfea'>"
      "<content creator='initiator' name='xmlstream'>"
      "<description xmlns='urn:xmpp:jingle:apps:xmlstream:0'/>"
      "<transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='ch3d9s71'/>"
      "<security xmlns='urn:xmpp:jingle:security:xtls:0'>"
      "<fingerprint algo='sha-256'>" FP256 "</fingerprint>"
      "<method name='x509'/><method name='srp'/></security></content></jingle></iq>");
}

/* Uppercase hex in the struct still goes out lowercase (PROTOCOL.md §2). */
static void
test_fingerprint_sent_lowercase (void)
{
  g_autoptr (XtlsJingle) j = make_initiate ();
  g_autofree char *xml = NULL;
  g_autofree char *upper = g_ascii_strup (FP256, -1);

  g_free (j->fingerprint);
  j->fingerprint = g_strdup (upper);
  xml = xtls_wire_build_jingle (j, "x", "juliet@capulet.lit/balcony");
  g_assert_nonnull (strstr (xml, "<fingerprint algo='sha-256'>" FP256 "</fingerprint>"));
}

static void
test_escaping (void)
{
  g_autoptr (XtlsJingle) j = make_terminate ();
  g_autofree char *xml = NULL;
  g_autoptr (XtlsIq) iq = NULL;
  XtlsIq sent = { .type = XTLS_IQ_SET, .payload = XTLS_IQ_PAYLOAD_JINGLE };

  g_free (j->initiator);
  j->initiator = g_strdup ("o'brien&<co>\"x\"@example.com/\ttab");
  j->reason_text = g_strdup ("bell\a dropped, ]]> kept & escaped");
  sent.id = "id'<&>\"";
  sent.to = "to'\"@x/y";
  sent.jingle = j;
  xml = xtls_wire_build_iq (&sent);
  iq = parse_ok (xml);
  g_assert_cmpstr (iq->id, ==, sent.id);
  g_assert_cmpstr (iq->to, ==, sent.to);
  g_assert_cmpstr (iq->jingle->initiator, ==, j->initiator);
  g_assert_cmpstr (iq->jingle->reason_text, ==, "bell dropped, ]]> kept & escaped");
}

/* The escaper copies runs of plain bytes: specials at the very start and end, back to back,
 * and a dropped control between two runs must each come out exactly. */
static void
test_escaping_golden (void)
{
  XtlsIq sent = { .type = XTLS_IQ_RESULT, .id = "&x\x01y\n'\"<>\r\t\xc3\xa9&", .to = "a@b" };
  g_autofree char *xml = xtls_wire_build_iq (&sent);

  g_assert_nonnull (strstr (xml, " id='&amp;xy&#10;&apos;&quot;&lt;&gt;&#13;&#9;\xc3\xa9&amp;'"));
}

/* ---- IBB ---------------------------------------------------------------------------- */

typedef struct
{
  const char *path;
  XtlsIbbPacket pkt;
  const char *expected;
} IbbBuildCase;

static const IbbBuildCase ibb_cases[] = {
  { "/wire/ibb/open",
    { .kind = XTLS_IBB_PACKET_OPEN, .iq_id = "o1", .sid = "ch3d9s71", .block_size = 4096 },
    "<iq type='set' id='o1' to='juliet@capulet.lit/balcony'><open "
    "xmlns='http://jabber.org/protocol/ibb' sid='ch3d9s71' block-size='4096' stanza='iq'/></iq>" },
  { "/wire/ibb/data",
    { .kind = XTLS_IBB_PACKET_DATA,
      .iq_id = "d1",
      .sid = "ch3d9s71",
      .seq = 0,
      .has_seq = TRUE,
      .data = "AAECAw==" },
    "<iq type='set' id='d1' to='juliet@capulet.lit/balcony'><data "
    "xmlns='http://jabber.org/protocol/ibb' sid='ch3d9s71' seq='0'>AAECAw==</data></iq>" },
  { "/wire/ibb/data-seq-max",
    { .kind = XTLS_IBB_PACKET_DATA,
      .iq_id = "d2",
      .sid = "ch3d9s71",
      .seq = 65535,
      .has_seq = TRUE,
      .data = "/+8=" },
    "<iq type='set' id='d2' to='juliet@capulet.lit/balcony'><data "
    "xmlns='http://jabber.org/protocol/ibb' sid='ch3d9s71' seq='65535'>/+8=</data></iq>" },
  /* Not base64 (the engine never builds this): still escaped, so the stanza stays whole. */
  { "/wire/ibb/data-not-base64-escaped",
    { .kind = XTLS_IBB_PACKET_DATA,
      .iq_id = "d3",
      .sid = "ch3d9s71",
      .seq = 1,
      .has_seq = TRUE,
      .data = "QQ==<&x" },
    "<iq type='set' id='d3' to='juliet@capulet.lit/balcony'><data "
    "xmlns='http://jabber.org/protocol/ibb' sid='ch3d9s71' seq='1'>QQ==&lt;&amp;x</data></iq>" },
  { "/wire/ibb/close",
    { .kind = XTLS_IBB_PACKET_CLOSE, .iq_id = "c1", .sid = "ch3d9s71" },
    "<iq type='set' id='c1' to='juliet@capulet.lit/balcony'><close "
    "xmlns='http://jabber.org/protocol/ibb' sid='ch3d9s71'/></iq>" },
  { "/wire/ibb/result",
    { .kind = XTLS_IBB_PACKET_RESULT, .iq_id = "d1" },
    "<iq type='result' id='d1' to='juliet@capulet.lit/balcony'/>" },
  { "/wire/ibb/error-unexpected",
    { .kind = XTLS_IBB_PACKET_ERROR, .iq_id = "d9", .condition = XTLS_IBB_COND_UNEXPECTED_REQUEST },
    "<iq type='error' id='d9' to='juliet@capulet.lit/balcony'><error type='cancel'>"
    "<unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>" },
  { "/wire/ibb/error-bad-request",
    { .kind = XTLS_IBB_PACKET_ERROR, .iq_id = "d8", .condition = XTLS_IBB_COND_BAD_REQUEST },
    "<iq type='error' id='d8' to='juliet@capulet.lit/balcony'><error type='modify'>"
    "<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>" },
  { "/wire/ibb/error-item-not-found",
    { .kind = XTLS_IBB_PACKET_ERROR, .iq_id = "d7", .condition = XTLS_IBB_COND_ITEM_NOT_FOUND },
    "<iq type='error' id='d7' to='juliet@capulet.lit/balcony'><error type='cancel'>"
    "<item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>" },
};

static void
test_ibb_round_trip (gconstpointer data)
{
  const IbbBuildCase *tc = data;
  g_autofree char *xml = xtls_wire_build_ibb (&tc->pkt, "juliet@capulet.lit/balcony");
  g_autoptr (XtlsIq) iq = NULL;

  g_assert_cmpstr (xml, ==, tc->expected);
  iq = parse_ok (xml);
  g_assert_cmpstr (iq->id, ==, tc->pkt.iq_id);
  g_assert_cmpstr (iq->ibb.iq_id, ==, tc->pkt.iq_id);
  g_assert_cmpint (iq->ibb.kind, ==, tc->pkt.kind);
  switch (tc->pkt.kind)
    {
      case XTLS_IBB_PACKET_OPEN:
      case XTLS_IBB_PACKET_DATA:
      case XTLS_IBB_PACKET_CLOSE:
        g_assert_cmpint (iq->type, ==, XTLS_IQ_SET);
        g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_IBB);
        g_assert_cmpstr (iq->ibb.sid, ==, tc->pkt.sid);
        g_assert_cmpuint (iq->ibb.block_size, ==, tc->pkt.block_size);
        g_assert_cmpuint (iq->ibb.seq, ==, tc->pkt.seq);
        g_assert_cmpint (iq->ibb.has_seq, ==, tc->pkt.has_seq);
        g_assert_cmpstr (iq->ibb.data, ==, tc->pkt.data);
        break;
      case XTLS_IBB_PACKET_RESULT:
        g_assert_cmpint (iq->type, ==, XTLS_IQ_RESULT);
        g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_NONE);
        break;
      case XTLS_IBB_PACKET_ERROR:
        g_assert_cmpint (iq->type, ==, XTLS_IQ_ERROR);
        g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_NONE);
        g_assert_cmpint (iq->ibb.condition, ==, tc->pkt.condition);
        break;
    }
}

/* ---- results and errors ------------------------------------------------------------ */

static void
test_result (void)
{
  g_autofree char *xml = xtls_wire_build_result ("r1", "romeo@montague.lit/orchard");
  g_autoptr (XtlsIq) iq = NULL;

  g_assert_cmpstr (xml, ==, "<iq type='result' id='r1' to='romeo@montague.lit/orchard'/>");
  iq = parse_ok (xml);
  g_assert_cmpint (iq->type, ==, XTLS_IQ_RESULT);
  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_NONE);
  g_assert_cmpint (iq->ibb.kind, ==, XTLS_IBB_PACKET_RESULT);
  g_assert_cmpstr (iq->ibb.iq_id, ==, "r1");
  g_assert_cmpint (iq->condition, ==, XTLS_STANZA_ERROR_NONE);
}

typedef struct
{
  const char *path;
  XtlsStanzaCondition condition;
  XtlsJingleErrorCondition jingle_condition;
  XtlsJingleDialect dialect;
  const char *expected_error; /* the <error/> element */
  XtlsStanzaCondition parsed_condition;
} ErrorCase;

static const ErrorCase error_cases[] = {
  { "/wire/error/tie-break", XTLS_STANZA_ERROR_CONFLICT, XTLS_JINGLE_ERROR_TIE_BREAK,
    XTLS_JINGLE_NS_1,
    "<error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
    "<tie-break xmlns='urn:xmpp:jingle:errors:1'/></error>",
    XTLS_STANZA_ERROR_CONFLICT },
  { "/wire/error/tie-break-implied-conflict", XTLS_STANZA_ERROR_NONE, XTLS_JINGLE_ERROR_TIE_BREAK,
    XTLS_JINGLE_NS_1,
    "<error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
    "<tie-break xmlns='urn:xmpp:jingle:errors:1'/></error>",
    XTLS_STANZA_ERROR_CONFLICT },
  { "/wire/error/unknown-session-ns0", XTLS_STANZA_ERROR_ITEM_NOT_FOUND,
    XTLS_JINGLE_ERROR_UNKNOWN_SESSION, XTLS_JINGLE_NS_0,
    "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
    "<unknown-session xmlns='urn:xmpp:jingle:errors:0'/></error>",
    XTLS_STANZA_ERROR_ITEM_NOT_FOUND },
  { "/wire/error/out-of-order-tmp", XTLS_STANZA_ERROR_UNEXPECTED_REQUEST,
    XTLS_JINGLE_ERROR_OUT_OF_ORDER, XTLS_JINGLE_NS_TMP,
    "<error type='wait'><unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
    "<out-of-order xmlns='urn:xmpp:jingle:errors:0'/></error>",
    XTLS_STANZA_ERROR_UNEXPECTED_REQUEST },
  { "/wire/error/unsupported-info", XTLS_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED,
    XTLS_JINGLE_ERROR_UNSUPPORTED_INFO, XTLS_JINGLE_NS_1,
    "<error type='modify'><feature-not-implemented "
    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><unsupported-info "
    "xmlns='urn:xmpp:jingle:errors:1'/></error>",
    XTLS_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED },
  { "/wire/error/security-required", XTLS_STANZA_ERROR_NOT_ACCEPTABLE,
    XTLS_JINGLE_ERROR_SECURITY_REQUIRED, XTLS_JINGLE_NS_1,
    "<error type='cancel'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
    "<security-required xmlns='urn:xmpp:jingle:errors:1'/></error>",
    XTLS_STANZA_ERROR_NOT_ACCEPTABLE },
  { "/wire/error/service-unavailable", XTLS_STANZA_ERROR_SERVICE_UNAVAILABLE,
    XTLS_JINGLE_ERROR_NONE, XTLS_JINGLE_NS_1,
    "<error type='cancel'><service-unavailable "
    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
    XTLS_STANZA_ERROR_SERVICE_UNAVAILABLE },
  { "/wire/error/resource-constraint", XTLS_STANZA_ERROR_RESOURCE_CONSTRAINT,
    XTLS_JINGLE_ERROR_NONE, XTLS_JINGLE_NS_1,
    "<error type='wait'><resource-constraint "
    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
    XTLS_STANZA_ERROR_RESOURCE_CONSTRAINT },
  { "/wire/error/other", XTLS_STANZA_ERROR_OTHER, XTLS_JINGLE_ERROR_NONE, XTLS_JINGLE_NS_1,
    "<error type='cancel'><undefined-condition "
    "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>",
    XTLS_STANZA_ERROR_OTHER },
};

static void
test_error (gconstpointer data)
{
  const ErrorCase *tc = data;
  g_autofree char *xml = xtls_wire_build_error ("e1", "romeo@montague.lit/orchard", tc->condition,
                                                tc->jingle_condition, tc->dialect);
  g_autofree char *expected
      = g_strconcat ("<iq type='error' id='e1' to='romeo@montague.lit/orchard'>",
                     tc->expected_error, "</iq>", NULL);
  g_autoptr (XtlsIq) iq = NULL;

  g_assert_cmpstr (xml, ==, expected);
  iq = parse_ok (xml);
  g_assert_cmpint (iq->type, ==, XTLS_IQ_ERROR);
  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_NONE);
  g_assert_cmpint (iq->condition, ==, tc->parsed_condition);
  g_assert_cmpint (iq->jingle_condition, ==, tc->jingle_condition);
  g_assert_cmpint (iq->ibb.kind, ==, XTLS_IBB_PACKET_ERROR);
}

/* An error built from an XtlsIq that holds the peer's jingle uses the peer's errors namespace. */
static void
test_error_from_iq_follows_dialect (void)
{
  g_autoptr (XtlsJingle) j = make_initiate ();
  XtlsIq iq = { .type = XTLS_IQ_ERROR,
                .id = "e2",
                .to = "romeo@montague.lit/kaa",
                .payload = XTLS_IQ_PAYLOAD_JINGLE,
                .condition = XTLS_STANZA_ERROR_CONFLICT,
                .jingle_condition = XTLS_JINGLE_ERROR_TIE_BREAK };
  g_autofree char *xml = NULL;

  j->dialect = XTLS_JINGLE_NS_TMP;
  iq.jingle = j;
  xml = xtls_wire_build_iq (&iq);
  g_assert_cmpstr (xml, ==,
                   "<iq type='error' id='e2' to='romeo@montague.lit/kaa'><error type='cancel'>"
                   "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                   "<tie-break xmlns='urn:xmpp:jingle:errors:0'/></error></iq>");
}

/* An error echoing the request and carrying <text/>, as servers send them. */
static void
test_error_with_echo_and_text (void)
{
  g_autoptr (XtlsIq) iq = parse_ok (
      "<iq type='error' id='d3' from='juliet@capulet.lit/balcony' xmlns='jabber:client'>"
      "<data xmlns='http://jabber.org/protocol/ibb' sid='s' seq='3'>AAAA</data>"
      "<error type='cancel' code='404'><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>gone"
      "</text><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  g_autoptr (XtlsIq) bare = parse_ok ("<iq type='error' id='d4'/>");
  g_autoptr (XtlsIq) echo = parse_ok (
      "<iq type='error' id='j1'><jingle xmlns='urn:xmpp:jingle:0' action='session-initiate' "
      "sid='s1'/><error type='cancel'><service-unavailable "
      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");

  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_NONE);
  g_assert_cmpint (iq->condition, ==, XTLS_STANZA_ERROR_ITEM_NOT_FOUND);
  g_assert_cmpint (iq->ibb.kind, ==, XTLS_IBB_PACKET_ERROR);
  g_assert_cmpint (iq->ibb.condition, ==, XTLS_IBB_COND_ITEM_NOT_FOUND);
  g_assert_cmpstr (iq->ibb.iq_id, ==, "d3");
  g_assert_cmpstr (iq->from, ==, "juliet@capulet.lit/balcony");

  g_assert_cmpint (bare->condition, ==, XTLS_STANZA_ERROR_OTHER);
  g_assert_cmpint (bare->ibb.condition, ==, XTLS_IBB_COND_OTHER);

  g_assert_cmpint (echo->payload, ==, XTLS_IQ_PAYLOAD_JINGLE);
  g_assert_cmpint (echo->jingle->dialect, ==, XTLS_JINGLE_NS_0);
  g_assert_cmpint (echo->condition, ==, XTLS_STANZA_ERROR_SERVICE_UNAVAILABLE);
}

/* ---- vectors: PROTOCOL.md §2 examples, the draft, historical dialects (§7) ------------ */

static XtlsIq *
parse_file (const char *name, GError **error)
{
  const char *path = g_test_get_filename (G_TEST_DIST, "unit", "vectors", name, NULL);
  g_autofree char *text = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  return xtls_wire_parse_iq (text, (gssize)len, error);
}

static void
check_protocol_initiate (const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  g_assert_cmpint (iq->type, ==, XTLS_IQ_SET);
  g_assert_cmpstr (iq->id, ==, "...");
  g_assert_cmpstr (iq->to, ==, "juliet@capulet.lit/balcony");
  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_JINGLE);
  g_assert_cmpint (j->dialect, ==, XTLS_JINGLE_NS_1);
  g_assert_cmpint (j->action, ==, XTLS_JINGLE_SESSION_INITIATE);
  g_assert_cmpstr (j->initiator, ==, "romeo@montague.lit/orchard");
  g_assert_cmpstr (j->sid, ==, "a73sjjvkla37jfea");
  g_assert_true (j->has_content);
  g_assert_cmpstr (j->content_creator, ==, "initiator");
  g_assert_cmpstr (j->content_name, ==, "xmlstream");
  g_assert_cmpint (j->app, ==, XTLS_APP_XMLSTREAM);
  g_assert_true (j->has_transport);
  g_assert_cmpint (j->ibb_version, ==, XTLS_IBB_VERSION_1);
  g_assert_cmpstr (j->transport_sid, ==, "ch3d9s71");
  g_assert_cmpuint (j->block_size, ==, 4096);
  g_assert_true (j->has_security);
  /* The example's fingerprint text is a placeholder: unparsable, so left out. */
  g_assert_null (j->fingerprint);
  g_assert_cmpuint (j->methods, ==, XTLS_METHOD_X509 | XTLS_METHOD_SRP);
  g_assert_cmpint (xtls_jingle_check_offer (j), ==, XTLS_REASON_NONE);
}

static void
check_protocol_initiate_real_fp (const XtlsIq *iq)
{
  g_assert_cmpstr (iq->jingle->fingerprint, ==, FP256);
  g_assert_cmpint (iq->jingle->fingerprint_algo, ==, XTLS_HASH_SHA256);
}

static void
check_protocol_security_info (const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_JINGLE);
  g_assert_cmpint (j->action, ==, XTLS_JINGLE_SECURITY_INFO);
  g_assert_cmpstr (j->sid, ==, "...");
  g_assert_cmpstr (j->initiator, ==, "...");
  g_assert_true (j->has_content);
  g_assert_cmpint (j->app, ==, XTLS_APP_NONE);
  g_assert_false (j->has_transport);
  g_assert_true (j->has_security);
  g_assert_null (j->fingerprint);
  g_assert_cmpuint (j->methods, ==, XTLS_METHOD_X509);
}

/* Well-formed despite the typo (a '>' is legal in text), but the attributes ended up as text:
 * no sid, so not a session of ours. */
static void
check_draft_typo_initiate (const XtlsIq *iq)
{
  g_assert_cmpint (iq->type, ==, XTLS_IQ_SET);
  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_OTHER);
  g_assert_null (iq->jingle);
}

static void
check_draft_initiate (const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  g_assert_cmpstr (iq->from, ==, "romeo@montague.lit/orchard");
  g_assert_cmpint (j->dialect, ==, XTLS_JINGLE_NS_0);
  g_assert_cmpint (j->action, ==, XTLS_JINGLE_SESSION_INITIATE);
  g_assert_cmpint (j->app, ==, XTLS_APP_XMLSTREAM);
  g_assert_cmpint (j->ibb_version, ==, XTLS_IBB_VERSION_0);
  g_assert_cmpstr (j->transport_sid, ==, "ch3d9s71");
  g_assert_true (j->has_security);
  g_assert_null (j->fingerprint); /* "RomeoX509CertSHA1Hash" */
  g_assert_cmpuint (j->methods, ==, XTLS_METHOD_X509 | XTLS_METHOD_SRP);
}

static void
check_draft_accept (const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  g_assert_cmpint (j->action, ==, XTLS_JINGLE_SESSION_ACCEPT);
  g_assert_cmpstr (j->content_name, ==, "chat"); /* differs from ours: tolerated */
  g_assert_cmpstr (j->fingerprint, ==, FP1);
  g_assert_cmpint (j->fingerprint_algo, ==, XTLS_HASH_SHA1);
}

/* The draft's data example: whitespace around the base64 is kept as it was. */
static void
check_draft_data (const XtlsIq *iq)
{
  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_IBB);
  g_assert_cmpint (iq->ibb.kind, ==, XTLS_IBB_PACKET_DATA);
  g_assert_cmpstr (iq->ibb.sid, ==, "vj3hs98y");
  g_assert_true (iq->ibb.has_seq);
  g_assert_cmpuint (iq->ibb.seq, ==, 0);
  g_assert_cmpstr (iq->ibb.data, ==, " Base64-encoded-TLS-data ");
  g_assert_cmpstr (iq->ibb.iq_id, ==, "xyw516d0");
}

static void
check_draft_terminate (const XtlsIq *iq)
{
  g_assert_cmpint (iq->jingle->action, ==, XTLS_JINGLE_SESSION_TERMINATE);
  g_assert_cmpstr (iq->jingle->sid, ==, "851ba2");
  g_assert_false (iq->jingle->has_content);
  g_assert_cmpint (iq->jingle->reason, ==, XTLS_REASON_NONE);
}

static void
check_draft_security_error (const XtlsIq *iq)
{
  g_assert_cmpint (iq->jingle->reason, ==, XTLS_REASON_SECURITY_ERROR);
  g_assert_null (iq->jingle->reason_text);
}

static void
check_kaa_initiate (const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_JINGLE);
  g_assert_cmpint (j->dialect, ==, XTLS_JINGLE_NS_TMP);
  g_assert_cmpint (j->action, ==, XTLS_JINGLE_SESSION_INITIATE);
  g_assert_cmpstr (j->sid, ==, "kaasid01");
  g_assert_cmpint (j->app, ==, XTLS_APP_XMLSTREAM_TMP);
  g_assert_true (j->has_transport);
  g_assert_cmpint (j->ibb_version, ==, XTLS_IBB_VERSION_0);
  g_assert_cmpstr (j->transport_sid, ==, "kaaibb01");
  g_assert_cmpuint (j->block_size, ==, 4096);
  g_assert_cmpstr (j->fingerprint, ==, FP1);
  g_assert_cmpint (j->fingerprint_algo, ==, XTLS_HASH_SHA1);
  g_assert_cmpuint (j->methods, ==, XTLS_METHOD_X509 | XTLS_METHOD_SRP);
  g_assert_cmpint (xtls_jingle_check_offer (j), ==, XTLS_REASON_NONE);
}

static void
check_jingle0_initiate (const XtlsIq *iq)
{
  g_assert_cmpint (iq->jingle->dialect, ==, XTLS_JINGLE_NS_0);
  g_assert_cmpint (iq->jingle->app, ==, XTLS_APP_XMLSTREAM);
  g_assert_cmpstr (iq->jingle->fingerprint, ==, FP256);
  g_assert_cmpint (iq->jingle->fingerprint_algo, ==, XTLS_HASH_SHA256);
}

static void
check_content_without_attributes (const XtlsIq *iq)
{
  const XtlsJingle *j = iq->jingle;

  g_assert_cmpint (j->action, ==, XTLS_JINGLE_SESSION_ACCEPT);
  g_assert_cmpstr (j->responder, ==, "juliet@capulet.lit/balcony");
  g_assert_null (j->initiator);
  g_assert_true (j->has_content);
  g_assert_null (j->content_name);
  g_assert_null (j->content_creator);
  g_assert_cmpint (j->app, ==, XTLS_APP_XMLSTREAM);
  g_assert_cmpuint (j->block_size, ==, 2048);
  g_assert_cmpuint (j->methods, ==, XTLS_METHOD_SRP); /* openpgp ignored */
}

static void
check_fingerprint_upper_colons (const XtlsIq *iq)
{
  g_assert_cmpstr (iq->jingle->fingerprint, ==, FP256);
  g_assert_cmpint (iq->jingle->fingerprint_algo, ==, XTLS_HASH_SHA256);
  g_assert_cmpuint (iq->jingle->block_size, ==, 0); /* absent: the default */
}

static void
check_errors0 (const XtlsIq *iq)
{
  g_assert_cmpint (iq->type, ==, XTLS_IQ_ERROR);
  g_assert_cmpint (iq->condition, ==, XTLS_STANZA_ERROR_ITEM_NOT_FOUND);
  g_assert_cmpint (iq->jingle_condition, ==, XTLS_JINGLE_ERROR_UNKNOWN_SESSION);
}

static void
check_kaa_data (const XtlsIq *iq)
{
  const char *path
      = g_test_get_filename (G_TEST_DIST, "unit", "vectors", "kaa-data-4096.b64", NULL);
  g_autofree char *slice = NULL;

  g_assert_true (g_file_get_contents (path, &slice, NULL, NULL));
  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_IBB);
  g_assert_cmpuint (iq->ibb.seq, ==, 1);
  g_assert_cmpuint (strlen (iq->ibb.data), ==, 4096);
  g_assert_cmpstr (iq->ibb.data, ==, slice);
}

static void
check_rtp (const XtlsIq *iq)
{
  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_JINGLE);
  g_assert_cmpstr (iq->jingle->content_name, ==, "voice");
  g_assert_cmpint (iq->jingle->app, ==, XTLS_APP_NONE);
  g_assert_false (iq->jingle->has_transport);
  g_assert_cmpint (xtls_jingle_check_offer (iq->jingle), ==, XTLS_REASON_UNSUPPORTED_APPLICATIONS);
}

typedef struct
{
  const char *path;
  const char *file;
  void (*check) (const XtlsIq *iq); /* NULL: must be rejected */
} VectorCase;

static const VectorCase vector_cases[] = {
  { "/wire/vector/protocol/session-initiate", "protocol-session-initiate.xml",
    check_protocol_initiate },
  { "/wire/vector/protocol/session-initiate-real-fp", "protocol-session-initiate-real-fp.xml",
    check_protocol_initiate_real_fp },
  { "/wire/vector/protocol/security-info", "protocol-security-info.xml",
    check_protocol_security_info },
  { "/wire/vector/draft/typo-session-initiate", "draft-typo-session-initiate.xml",
    check_draft_typo_initiate },
  { "/wire/vector/draft/typo-session-accept", "draft-typo-session-accept.xml", NULL },
  { "/wire/vector/draft/typo-duplicate-from", "draft-typo-duplicate-from.xml", NULL },
  { "/wire/vector/draft/session-initiate", "draft-session-initiate-ns0.xml", check_draft_initiate },
  { "/wire/vector/draft/session-accept", "draft-session-accept-ns0.xml", check_draft_accept },
  { "/wire/vector/draft/data", "draft-data.xml", check_draft_data },
  { "/wire/vector/draft/terminate", "draft-terminate-ns0.xml", check_draft_terminate },
  { "/wire/vector/draft/terminate-security-error", "draft-terminate-security-error.xml",
    check_draft_security_error },
  { "/wire/vector/kaa/session-initiate-sha1", "kaa-session-initiate-sha1.xml", check_kaa_initiate },
  { "/wire/vector/kaa/session-initiate-no-algo", "kaa-session-initiate-no-algo.xml",
    check_kaa_initiate },
  { "/wire/vector/kaa/data-4096", "kaa-data-4096.xml", check_kaa_data },
  { "/wire/vector/jingle0/session-initiate", "jingle0-session-initiate.xml",
    check_jingle0_initiate },
  { "/wire/vector/content-without-attributes", "content-without-attributes.xml",
    check_content_without_attributes },
  { "/wire/vector/fingerprint-upper-colons", "fingerprint-upper-colons.xml",
    check_fingerprint_upper_colons },
  { "/wire/vector/errors0", "errors0-unknown-session.xml", check_errors0 },
  { "/wire/vector/rtp-offer", "rtp-session-initiate.xml", check_rtp },
  { "/wire/hostile/billion-laughs", "hostile-billion-laughs.xml", NULL },
  { "/wire/hostile/external-entity", "hostile-external-entity.xml", NULL },
  { "/wire/hostile/external-dtd", "hostile-external-dtd.xml", NULL },
};

static void
test_vector (gconstpointer data)
{
  const VectorCase *tc = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (XtlsIq) iq = parse_file (tc->file, &error);

  if (tc->check == NULL)
    {
      g_assert_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL);
      g_assert_null (iq);
      /* Rejected for the DTD itself, before any entity could be declared or expanded. */
      if (g_str_has_prefix (tc->path, "/wire/hostile/"))
        g_assert_nonnull (strstr (error->message, "DTD"));
      return;
    }
  g_assert_no_error (error);
  g_assert_nonnull (iq);
  tc->check (iq);
}

/* Replies go out in the namespace the peer used (PROTOCOL.md §1): answering kaa's offer. */
static void
test_reply_in_tmp_dialect (void)
{
  g_autoptr (XtlsIq) offer = parse_file ("kaa-session-initiate-sha1.xml", NULL);
  g_autoptr (XtlsJingle) accept = xtls_jingle_copy (offer->jingle);
  g_autoptr (XtlsJingle) terminate = xtls_jingle_new (XTLS_JINGLE_SESSION_TERMINATE, "kaasid01");
  g_autofree char *accept_xml = NULL;
  g_autofree char *terminate_xml = NULL;
  g_autofree char *error_xml = NULL;
  g_autoptr (XtlsIq) again = NULL;

  accept->action = XTLS_JINGLE_SESSION_ACCEPT;
  g_free (accept->fingerprint);
  accept->fingerprint = g_strdup (FP256);
  accept->fingerprint_algo = XTLS_HASH_SHA256;
  accept_xml = xtls_wire_build_jingle (accept, "a1", offer->from);
  g_assert_nonnull (
      strstr (accept_xml, "<jingle xmlns='urn:xmpp:tmp:jingle' action='session-accept'"));
  g_assert_nonnull (
      strstr (accept_xml, "<description xmlns='urn:xmpp:tmp:jingle:apps:xmlstream'/>"));
  g_assert_nonnull (strstr (accept_xml, "<transport xmlns='urn:xmpp:jingle:transports:ibb:0'"));
  g_assert_null (strstr (accept_xml, "urn:xmpp:jingle:1"));
  again = parse_ok (accept_xml);
  g_assert_cmpint (again->jingle->dialect, ==, XTLS_JINGLE_NS_TMP);
  g_assert_cmpint (again->jingle->app, ==, XTLS_APP_XMLSTREAM_TMP);

  terminate->dialect = offer->jingle->dialect;
  terminate->reason = XTLS_REASON_SECURITY_ERROR;
  terminate_xml = xtls_wire_build_jingle (terminate, "t1", offer->from);
  g_assert_cmpstr (terminate_xml, ==,
                   "<iq type='set' id='t1' to='romeo@montague.lit/kaa'><jingle "
                   "xmlns='urn:xmpp:tmp:jingle' action='session-terminate' sid='kaasid01'>"
                   "<reason><security-error/></reason></jingle></iq>");

  error_xml = xtls_wire_build_error (offer->id, offer->from, XTLS_STANZA_ERROR_NONE,
                                     XTLS_JINGLE_ERROR_TIE_BREAK, offer->jingle->dialect);
  g_assert_nonnull (strstr (error_xml, "<tie-break xmlns='urn:xmpp:jingle:errors:0'/>"));
}

/* ---- hostile and odd input -------------------------------------------------------------- */

typedef struct
{
  const char *path;
  const char *xml;
  gssize len; /* -1: NUL-terminated */
} RejectCase;

static const RejectCase reject_cases[] = {
  { "/wire/hostile/not-xml", "this is not XML at all", -1 },
  { "/wire/hostile/empty", "", -1 },
  { "/wire/hostile/whitespace", "   \n", -1 },
  { "/wire/hostile/truncated",
    "<iq type='set' id='a'><jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid", -1 },
  { "/wire/hostile/truncated-close",
    "<iq type='set' id='a'><data xmlns='http://jabber.org/protocol/ibb'", -1 },
  { "/wire/hostile/unclosed", "<iq type='result' id='a'>", -1 },
  { "/wire/hostile/undeclared-entity", "<iq type='set' id='a'>&foo;</iq>", -1 },
  { "/wire/hostile/no-type", "<iq id='a'/>", -1 },
  { "/wire/hostile/bad-type", "<iq type='SET' id='a'/>", -1 },
  { "/wire/hostile/no-id", "<iq type='result'/>", -1 },
  { "/wire/hostile/not-iq", "<message type='chat' id='a'><body>hi</body></message>", -1 },
  { "/wire/hostile/iq-foreign-ns", "<iq xmlns='urn:example:evil' type='result' id='a'/>", -1 },
  { "/wire/hostile/two-roots", "<iq type='result' id='a'/><iq type='result' id='b'/>", -1 },
  { "/wire/hostile/invalid-utf8", "<iq type='result' id='\xff\xfe'/>", -1 },
  { "/wire/hostile/embedded-nul", "<iq type='result' id='a'/>\0<x/>", 30 },
  { "/wire/hostile/unbound-prefix", "<iq type='set' id='a'><j:jingle sid='s'/></iq>", -1 },
  { "/wire/hostile/length-prefix-cut", "<iq type='result' id='a'/>", 10 },
};

static void
test_reject (gconstpointer data)
{
  const RejectCase *tc = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (XtlsIq) iq = xtls_wire_parse_iq (tc->xml, tc->len, &error);

  g_assert_null (iq);
  g_assert_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL);
}

static void
test_deep_nesting (void)
{
  g_autoptr (GString) xml = g_string_new ("<iq type='set' id='deep'>");
  g_autoptr (GError) error = NULL;
  g_autoptr (XtlsIq) iq = NULL;

  for (int i = 0; i < 100000; i++)
    g_string_append (xml, "<a>");
  for (int i = 0; i < 100000; i++)
    g_string_append (xml, "</a>");
  g_string_append (xml, "</iq>");
  iq = xtls_wire_parse_iq (xml->str, (gssize)xml->len, &error);
  g_assert_null (iq);
  g_assert_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL);
}

/* Many siblings: the walk over children stays linear. */
static void
test_many_siblings (void)
{
  g_autoptr (GString) xml = g_string_new ("<iq type='set' id='wide'><jingle "
                                          "xmlns='urn:xmpp:jingle:1' action='session-info' "
                                          "sid='s'>");
  g_autoptr (XtlsIq) iq = NULL;

  for (int i = 0; i < 50000; i++)
    g_string_append (xml, "<content><reason/></content><reason><text/></reason>");
  g_string_append (xml, "</jingle></iq>");
  iq = parse_ok (xml->str);
  g_assert_cmpint (iq->jingle->action, ==, XTLS_JINGLE_SESSION_INFO);
  g_assert_true (iq->jingle->has_content);
  g_assert_cmpint (iq->jingle->reason, ==, XTLS_REASON_OTHER);
  g_assert_cmpstr (iq->jingle->reason_text, ==, "");
}

/* A first <content/> with many children followed by many more contents, none of them an
 * xmlstream: each is looked at once, so this stays fast (a rescan per sibling would take
 * billions of steps). */
static void
test_many_contents (void)
{
  g_autoptr (GString) xml = g_string_new ("<iq type='set' id='wide'><jingle "
                                          "xmlns='urn:xmpp:jingle:1' action='session-initiate' "
                                          "sid='s'><content name='first'>");
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autoptr (XtlsIq) iq = NULL;

  for (int i = 0; i < 50000; i++)
    g_string_append (xml, "<x/>");
  g_string_append (xml, "</content>");
  for (int i = 0; i < 50000; i++)
    g_string_append (xml, "<content><y/></content>");
  g_string_append (xml, "<content name='last'><description "
                        "xmlns='urn:xmpp:jingle:apps:xmlstream:0'/></content></jingle></iq>");
  iq = parse_ok (xml->str);
  g_assert_cmpstr (iq->jingle->content_name, ==, "last");
  g_assert_cmpint (iq->jingle->app, ==, XTLS_APP_XMLSTREAM);
  g_assert_cmpfloat (g_timer_elapsed (timer, NULL), <, 10.0);
}

typedef struct
{
  const char *path;
  const char *seq; /* NULL: attribute missing */
  gboolean has_seq;
  guint seq_value;
} SeqCase;

static const SeqCase seq_cases[] = {
  { "/wire/seq/zero", "0", TRUE, 0 },
  { "/wire/seq/max", "65535", TRUE, 65535 },
  { "/wire/seq/leading-zeros", "007", TRUE, 7 },
  { "/wire/seq/negative", "-1", FALSE, 0 },
  { "/wire/seq/too-large", "65536", FALSE, 0 },
  { "/wire/seq/huge", "99999999999999999999999", FALSE, 0 },
  { "/wire/seq/letters", "abc", FALSE, 0 },
  { "/wire/seq/trailing-junk", "12x", FALSE, 0 },
  { "/wire/seq/plus", "+1", FALSE, 0 },
  { "/wire/seq/space", " 1", FALSE, 0 },
  { "/wire/seq/empty", "", FALSE, 0 },
  { "/wire/seq/missing", NULL, FALSE, 0 },
};

static void
test_seq (gconstpointer data)
{
  const SeqCase *tc = data;
  g_autofree char *attr = tc->seq ? g_strdup_printf (" seq='%s'", tc->seq) : g_strdup ("");
  g_autofree char *xml
      = g_strdup_printf ("<iq type='set' id='s'><data xmlns='http://jabber.org/protocol/ibb' "
                         "sid='x'%s>AAAA</data></iq>",
                         attr);
  g_autoptr (XtlsIq) iq = parse_ok (xml);

  /* A bad seq is the IBB engine's to answer, so the packet still parses. */
  g_assert_cmpint (iq->payload, ==, XTLS_IQ_PAYLOAD_IBB);
  g_assert_cmpint (iq->ibb.kind, ==, XTLS_IBB_PACKET_DATA);
  g_assert_cmpint (iq->ibb.has_seq, ==, tc->has_seq);
  g_assert_cmpuint (iq->ibb.seq, ==, tc->seq_value);
  g_assert_cmpstr (iq->ibb.data, ==, "AAAA");
}

typedef struct
{
  const char *path;
  const char *block_size; /* NULL: attribute missing */
  guint expected;
} BlockSizeCase;

/* Outside 1..65535 or not a plain number: read as absent (0 = default), payload still parsed. */
static const BlockSizeCase block_size_cases[] = {
  { "/wire/block-size/default", "4096", 4096 }, { "/wire/block-size/one", "1", 1 },
  { "/wire/block-size/max", "65535", 65535 },   { "/wire/block-size/zero", "0", 0 },
  { "/wire/block-size/too-large", "70000", 0 }, { "/wire/block-size/overflow", "4294967297", 0 },
  { "/wire/block-size/junk", "junk", 0 },       { "/wire/block-size/negative", "-4096", 0 },
  { "/wire/block-size/empty", "", 0 },          { "/wire/block-size/missing", NULL, 0 },
};

static void
test_block_size (gconstpointer data)
{
  const BlockSizeCase *tc = data;
  g_autofree char *attr
      = tc->block_size ? g_strdup_printf (" block-size='%s'", tc->block_size) : g_strdup ("");
  g_autofree char *transport = g_strdup_printf (
      "<iq type='set' id='b'><jingle xmlns='urn:xmpp:jingle:1' action='session-accept' sid='s'>"
      "<content creator='initiator' name='xmlstream'><description "
      "xmlns='urn:xmpp:jingle:apps:xmlstream:0'/><transport "
      "xmlns='urn:xmpp:jingle:transports:ibb:1' sid='t'%s/></content></jingle></iq>",
      attr);
  g_autofree char *open = g_strdup_printf (
      "<iq type='set' id='o'><open xmlns='http://jabber.org/protocol/ibb' sid='t'%s "
      "stanza='iq'/></iq>",
      attr);
  g_autoptr (XtlsIq) iq_transport = parse_ok (transport);
  g_autoptr (XtlsIq) iq_open = parse_ok (open);

  g_assert_true (iq_transport->jingle->has_transport);
  g_assert_cmpstr (iq_transport->jingle->transport_sid, ==, "t");
  g_assert_cmpuint (iq_transport->jingle->block_size, ==, tc->expected);
  g_assert_cmpint (iq_open->payload, ==, XTLS_IQ_PAYLOAD_IBB);
  g_assert_cmpint (iq_open->ibb.kind, ==, XTLS_IBB_PACKET_OPEN);
  g_assert_cmpstr (iq_open->ibb.sid, ==, "t");
  g_assert_cmpuint (iq_open->ibb.block_size, ==, tc->expected);
}

typedef struct
{
  const char *path;
  const char *xml;
  XtlsIqPayload payload;
} PayloadCase;

static const PayloadCase payload_cases[] = {
  { "/wire/payload/disco",
    "<iq type='get' id='p'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>",
    XTLS_IQ_PAYLOAD_OTHER },
  { "/wire/payload/jingle-unknown-ns",
    "<iq type='set' id='p'><jingle xmlns='urn:xmpp:jingle:2' sid='s'/></iq>",
    XTLS_IQ_PAYLOAD_OTHER },
  { "/wire/payload/jingle-no-sid",
    "<iq type='set' id='p'><jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'/></iq>",
    XTLS_IQ_PAYLOAD_OTHER },
  { "/wire/payload/jingle-no-ns", "<iq type='set' id='p'><jingle sid='s'/></iq>",
    XTLS_IQ_PAYLOAD_OTHER },
  { "/wire/payload/jingle-prefixed",
    "<iq type='set' id='p'><j:jingle xmlns:j='urn:xmpp:jingle:1' action='session-terminate' "
    "sid='s'/></iq>",
    XTLS_IQ_PAYLOAD_JINGLE },
  { "/wire/payload/jingle-unknown-action",
    "<iq type='set' id='p'><jingle xmlns='urn:xmpp:jingle:1' action='transport-replace' "
    "sid='s'/></iq>",
    XTLS_IQ_PAYLOAD_JINGLE },
  { "/wire/payload/ibb-no-sid",
    "<iq type='set' id='p'><close xmlns='http://jabber.org/protocol/ibb'/></iq>",
    XTLS_IQ_PAYLOAD_OTHER },
  { "/wire/payload/ibb-unknown-element",
    "<iq type='set' id='p'><wobble xmlns='http://jabber.org/protocol/ibb' sid='s'/></iq>",
    XTLS_IQ_PAYLOAD_OTHER },
  { "/wire/payload/set-empty", "<iq type='set' id='p'/>", XTLS_IQ_PAYLOAD_NONE },
  { "/wire/payload/result-with-query",
    "<iq type='result' id='p'><query xmlns='jabber:iq:roster'/></iq>", XTLS_IQ_PAYLOAD_OTHER },
  { "/wire/payload/comment-and-pi",
    "<?xml version='1.0' encoding='UTF-8'?><iq type='result' id='p'><!-- hi --><?pi x?></iq>",
    XTLS_IQ_PAYLOAD_NONE },
  { "/wire/payload/cdata-data",
    "<iq type='set' id='p' xmlns='jabber:client'><data xmlns='http://jabber.org/protocol/ibb' "
    "sid='s' seq='2'><![CDATA[AAAA]]></data></iq>",
    XTLS_IQ_PAYLOAD_IBB },
};

static void
test_payload (gconstpointer data)
{
  const PayloadCase *tc = data;
  g_autoptr (XtlsIq) iq = parse_ok (tc->xml);

  g_assert_cmpint (iq->payload, ==, tc->payload);
  g_assert_true ((iq->jingle != NULL) == (tc->payload == XTLS_IQ_PAYLOAD_JINGLE));
  if (iq->payload == XTLS_IQ_PAYLOAD_JINGLE && g_str_has_suffix (tc->path, "unknown-action"))
    g_assert_cmpint (iq->jingle->action, ==, XTLS_JINGLE_OTHER);
  if (iq->payload == XTLS_IQ_PAYLOAD_IBB)
    g_assert_cmpstr (iq->ibb.data, ==, "AAAA");
}

static void
add_vector_tests (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (vector_cases); i++)
    g_test_add_data_func (vector_cases[i].path, &vector_cases[i], test_vector);
  g_test_add_func ("/wire/vector/kaa/reply-in-tmp-dialect", test_reply_in_tmp_dialect);
  for (gsize i = 0; i < G_N_ELEMENTS (reject_cases); i++)
    g_test_add_data_func (reject_cases[i].path, &reject_cases[i], test_reject);
  g_test_add_func ("/wire/hostile/deep-nesting", test_deep_nesting);
  g_test_add_func ("/wire/hostile/many-siblings", test_many_siblings);
  g_test_add_func ("/wire/hostile/many-contents", test_many_contents);
  for (gsize i = 0; i < G_N_ELEMENTS (seq_cases); i++)
    g_test_add_data_func (seq_cases[i].path, &seq_cases[i], test_seq);
  for (gsize i = 0; i < G_N_ELEMENTS (block_size_cases); i++)
    g_test_add_data_func (block_size_cases[i].path, &block_size_cases[i], test_block_size);
  for (gsize i = 0; i < G_N_ELEMENTS (payload_cases); i++)
    g_test_add_data_func (payload_cases[i].path, &payload_cases[i], test_payload);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (round_trip_cases); i++)
    g_test_add_data_func (round_trip_cases[i].path, &round_trip_cases[i], test_round_trip);
  g_test_add_func ("/wire/round-trip/session-initiate-ibb0", test_round_trip_ibb0);
  g_test_add_func ("/wire/round-trip/deciding-together", test_round_trip_deciding);
  g_test_add_func ("/wire/round-trip/every-reason", test_round_trip_every_reason);
  g_test_add_func ("/wire/round-trip/reason-other-and-none", test_reason_other_and_none);
  g_test_add_func ("/wire/build/golden-initiate", test_golden_initiate);
  g_test_add_func ("/wire/build/fingerprint-lowercase", test_fingerprint_sent_lowercase);
  g_test_add_func ("/wire/build/escaping", test_escaping);
  g_test_add_func ("/wire/build/escaping-golden", test_escaping_golden);
  for (gsize i = 0; i < G_N_ELEMENTS (ibb_cases); i++)
    g_test_add_data_func (ibb_cases[i].path, &ibb_cases[i], test_ibb_round_trip);
  g_test_add_func ("/wire/result", test_result);
  for (gsize i = 0; i < G_N_ELEMENTS (error_cases); i++)
    g_test_add_data_func (error_cases[i].path, &error_cases[i], test_error);
  g_test_add_func ("/wire/error/follows-peer-dialect", test_error_from_iq_follows_dialect);
  g_test_add_func ("/wire/error/echo-and-text", test_error_with_echo_and_text);
  add_vector_tests ();

  return g_test_run ();
}
