/* wire-ft.c on malformed input: every case is a parse error (XTLS_ERROR_PROTOCOL), never a
 * crash or a half-filled struct; every bound of jingle.h holds at the bound and fails one byte
 * past it; every prefix of a valid offer is an error. */
#include <string.h>

#include "wire-ft-vectors.h"

/* ---- malformed: a parse error, never a crash or a half-filled struct ------------------------ */

#define FILE_OFFER(file_children)                                                                  \
  IQ_OPEN JINGLE_OPEN ("session-initiate") CONTENT_OPEN                                            \
      "<description xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file>" file_children             \
      "</file></description>" IBB_TRANSPORT "</content></jingle></iq>"
#define NAMED(rest) FILE_OFFER ("<name>a.txt</name>" rest)
#define S5B_OFFER(transport_attrs, children)                                                       \
  IQ_OPEN JINGLE_OPEN ("session-initiate") CONTENT_OPEN                                            \
      "<description "                                                                              \
      "xmlns='urn:xmpp:jingle:apps:file-transfer:5'><file><name>a</name><size>1</size>"            \
      "</file></description><transport xmlns='urn:xmpp:jingle:transports:s5b:1' " transport_attrs  \
      ">" children "</transport></content></jingle></iq>"
#define CAND(attrs) S5B_OFFER ("sid='s'", "<candidate " attrs "/>")
#define CAND_OK_BUT(attrs) "cid='c' host='h' jid='j' " attrs
#define TINFO(children)                                                                            \
  IQ_OPEN JINGLE_OPEN ("transport-info") CONTENT_OPEN                                              \
      "<transport xmlns='urn:xmpp:jingle:transports:s5b:1' sid='s'>" children                      \
      "</transport></content></jingle></iq>"
#define CHECKSUM(children)                                                                         \
  IQ_OPEN JINGLE_OPEN ("session-info") "<checksum xmlns='urn:xmpp:jingle:apps:file-transfer:5' "   \
                                       "creator='initiator' name='a'>" children                    \
                                       "</checksum></jingle></iq>"
#define SHA256(text) "<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>" text "</hash>"

typedef struct
{
  const char *path;
  const char *xml;
} RejectCase;

static const RejectCase reject_cases[] = {
  { "/wire-ft/reject/size-letters", NAMED ("<size>12a</size>") },
  { "/wire-ft/reject/size-negative", NAMED ("<size>-1</size>") },
  { "/wire-ft/reject/size-plus", NAMED ("<size>+1</size>") },
  { "/wire-ft/reject/size-empty", NAMED ("<size/>") },
  { "/wire-ft/reject/size-fraction", NAMED ("<size>1.5</size>") },
  { "/wire-ft/reject/size-hex", NAMED ("<size>0x10</size>") },
  { "/wire-ft/reject/size-overflow", NAMED ("<size>18446744073709551616</size>") },
  { "/wire-ft/reject/size-huge", NAMED ("<size>99999999999999999999999999999999</size>") },
  { "/wire-ft/reject/hash-not-base64",
    NAMED (SHA256 ("this is not base64 at all!!!!!!!!!!!!!!!!!!=")) },
  { "/wire-ft/reject/hash-empty", NAMED (SHA256 ("")) },
  { "/wire-ft/reject/hash-sha1-length", NAMED (SHA256 ("w0mcJylzCn+AfvuGdqkty2+KP48=")) },
  { "/wire-ft/reject/hash-no-padding",
    NAMED (SHA256 ("WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM")) },
  { "/wire-ft/reject/hash-pad-bits",
    NAMED (SHA256 ("WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgN=")) },
  { "/wire-ft/reject/hash-inner-junk",
    NAMED (SHA256 ("WJG1tSLV3whtD/Cx*PvZ0hu0/HFjrzTQgoai6Eb2vgM=")) },
  { "/wire-ft/reject/hash-too-long", NAMED (SHA256 (HELLO_B64 "AAAA")) },
  { "/wire-ft/reject/hash-hashes1-bad",
    NAMED ("<hash xmlns='urn:xmpp:hashes:1' algo='sha-256'>x</hash>") },
  { "/wire-ft/reject/name-missing", FILE_OFFER ("<size>5</size>") },
  { "/wire-ft/reject/name-empty", FILE_OFFER ("<name/><size>5</size>") },
  { "/wire-ft/reject/no-file", IQ_OPEN JINGLE_OPEN ("session-initiate") CONTENT_OPEN
    "<description xmlns='urn:xmpp:jingle:apps:file-transfer:4'/></content></jingle></iq>" },
  { "/wire-ft/reject/s5b-no-sid", S5B_OFFER ("mode='tcp'", "") },
  { "/wire-ft/reject/s5b-empty-sid", S5B_OFFER ("sid=''", "") },
  { "/wire-ft/reject/s5b-bad-mode", S5B_OFFER ("sid='s' mode='sctp'", "") },
  { "/wire-ft/reject/candidate-no-cid", CAND ("host='h' jid='j' priority='1'") },
  { "/wire-ft/reject/candidate-no-host", CAND ("cid='c' jid='j' priority='1'") },
  { "/wire-ft/reject/candidate-no-jid", CAND ("cid='c' host='h' priority='1'") },
  { "/wire-ft/reject/candidate-no-priority", CAND (CAND_OK_BUT ("")) },
  { "/wire-ft/reject/candidate-priority-zero", CAND (CAND_OK_BUT ("priority='0'")) },
  { "/wire-ft/reject/candidate-priority-2^31", CAND (CAND_OK_BUT ("priority='2147483648'")) },
  { "/wire-ft/reject/candidate-priority-negative", CAND (CAND_OK_BUT ("priority='-5'")) },
  { "/wire-ft/reject/candidate-port-zero", CAND (CAND_OK_BUT ("priority='1' port='0'")) },
  { "/wire-ft/reject/candidate-port-65536", CAND (CAND_OK_BUT ("priority='1' port='65536'")) },
  { "/wire-ft/reject/candidate-port-letters", CAND (CAND_OK_BUT ("priority='1' port='http'")) },
  { "/wire-ft/reject/candidate-type-unknown", CAND (CAND_OK_BUT ("priority='1' type='ice'")) },
  { "/wire-ft/reject/candidate-type-case", CAND (CAND_OK_BUT ("priority='1' type='Direct'")) },
  { "/wire-ft/reject/candidate-used-no-cid", TINFO ("<candidate-used/>") },
  { "/wire-ft/reject/activated-no-cid", TINFO ("<activated cid=''/>") },
  { "/wire-ft/reject/checksum-no-file", CHECKSUM ("") },
  { "/wire-ft/reject/checksum-bad-hash", CHECKSUM ("<file>" SHA256 ("%%%") "</file>") },
};

static void
assert_parses (const char *xml)
{
  g_autoptr (XtlsIq) iq = parse_ok (xml);

  g_assert_nonnull (iq->jingle);
}

static void
assert_rejected (const char *xml)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (XtlsIq) iq = xtls_wire_parse_iq (xml, -1, &error);

  g_assert_null (iq);
  g_assert_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL);
}

static void
test_reject (gconstpointer data)
{
  const RejectCase *tc = data;

  assert_rejected (tc->xml);
}

/* Everything a peer announces is bounded (jingle.h); one byte more is a parse error, the bound
 * itself is not. */
typedef struct
{
  const char *path;
  const char *format; /* %s: the long text */
  gsize limit;
} OversizeCase;

static const OversizeCase oversize_cases[] = {
  { "/wire-ft/oversize/name", FILE_OFFER ("<name>%s</name>"), XTLS_FILE_MAX_NAME_BYTES },
  { "/wire-ft/oversize/desc", NAMED ("<desc>%s</desc>"), XTLS_FILE_MAX_DESC_BYTES },
  { "/wire-ft/oversize/media-type", NAMED ("<media-type>%s</media-type>"),
    XTLS_FILE_MAX_MEDIA_TYPE_BYTES },
  { "/wire-ft/oversize/date", NAMED ("<date>%s</date>"), XTLS_FILE_MAX_DATE_BYTES },
  { "/wire-ft/oversize/s5b-sid", S5B_OFFER ("sid='%s'", ""), XTLS_S5B_MAX_TOKEN_BYTES },
  { "/wire-ft/oversize/s5b-dstaddr", S5B_OFFER ("sid='s' dstaddr='%s'", ""),
    XTLS_S5B_MAX_TOKEN_BYTES },
  { "/wire-ft/oversize/candidate-cid", CAND ("cid='%s' host='h' jid='j' priority='1'"),
    XTLS_S5B_MAX_TOKEN_BYTES },
  { "/wire-ft/oversize/candidate-host", CAND ("cid='c' host='%s' jid='j' priority='1'"),
    XTLS_S5B_MAX_TOKEN_BYTES },
  { "/wire-ft/oversize/candidate-jid", CAND ("cid='c' host='h' jid='%s' priority='1'"),
    XTLS_S5B_MAX_JID_BYTES },
  { "/wire-ft/oversize/candidate-used-cid", TINFO ("<candidate-used cid='%s'/>"),
    XTLS_S5B_MAX_TOKEN_BYTES },
};

static void
test_oversize (gconstpointer data)
{
  const OversizeCase *tc = data;
  g_autofree char *at_limit = g_strnfill (tc->limit, 'a');
  g_autofree char *over = g_strnfill (tc->limit + 1, 'a');
  g_autofree char *xml_ok = g_strdup_printf (tc->format, at_limit);
  g_autofree char *xml_over = g_strdup_printf (tc->format, over);
  g_autoptr (XtlsIq) iq = parse_ok (xml_ok);

  g_assert_nonnull (iq->jingle);
  assert_rejected (xml_over);
}

/* XTLS_S5B_MAX_CANDIDATES candidates are read; one more is a parse error. */
static void
test_too_many_candidates (void)
{
  for (guint n = XTLS_S5B_MAX_CANDIDATES; n <= XTLS_S5B_MAX_CANDIDATES + 1; n++)
    {
      g_autoptr (GString) children = g_string_new (NULL);
      g_autofree char *xml = NULL;
      g_autoptr (GError) error = NULL;
      g_autoptr (XtlsIq) iq = NULL;

      for (guint i = 0; i < n; i++)
        g_string_append_printf (
            children, "<candidate cid='c%u' host='10.0.0.%u' jid='j' priority='%u'/>", i, i, i + 1);
      xml = g_strdup_printf (S5B_OFFER ("sid='s'", "%s"), children->str);
      iq = xtls_wire_parse_iq (xml, -1, &error);
      if (n <= XTLS_S5B_MAX_CANDIDATES)
        {
          g_assert_no_error (error);
          g_assert_cmpuint (iq->jingle->s5b->candidates->len, ==, n);
        }
      else
        g_assert_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL);
    }
}

/* Every prefix of a full offer is either a parse error or a valid IQ: nothing in between. */
static void
test_truncations (void)
{
  static const char xml[]
      = OFFER ("urn:xmpp:jingle:apps:file-transfer:5", SHA256 (HELLO_B64), S5B_TRANSPORT);
  gsize len = strlen (xml);

  assert_parses (xml);

  for (gsize n = 1; n < len; n++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (XtlsIq) iq = xtls_wire_parse_iq (xml, (gssize)n, &error);

      g_assert_null (iq);
      g_assert_nonnull (error);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (reject_cases); i++)
    g_test_add_data_func (reject_cases[i].path, &reject_cases[i], test_reject);
  for (gsize i = 0; i < G_N_ELEMENTS (oversize_cases); i++)
    g_test_add_data_func (oversize_cases[i].path, &oversize_cases[i], test_oversize);
  g_test_add_func ("/wire-ft/oversize/candidates", test_too_many_candidates);
  g_test_add_func ("/wire-ft/reject/truncations", test_truncations);

  return g_test_run ();
}
