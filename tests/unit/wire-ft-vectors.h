/* Shared by test-wire-ft.c and test-wire-ft-reject.c: peers' file-transfer stanzas. */
#pragma once

#include <glib.h>

#include "wire.h"
#include "xtls-error.h"

#define SID "a73sjjvkla37jfea"
#define ROMEO "romeo@montague.lit/orchard"
#define JULIET "juliet@capulet.lit/balcony"
/* SHA-256 of "hello\n", and its base64. */
#define HELLO_B64 "WJG1tSLV3whtD/CxEPvZ0hu0/HFjrzTQgoai6Eb2vgM="

static inline XtlsIq *
parse_ok (const char *xml)
{
  g_autoptr (GError) error = NULL;
  XtlsIq *iq = xtls_wire_parse_iq (xml, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (iq);
  return iq;
}

#define IQ_OPEN "<iq type='set' id='v1' from='" ROMEO "' to='" JULIET "'>"
#define JINGLE_OPEN(action)                                                                        \
  "<jingle xmlns='urn:xmpp:jingle:1' action='" action "' initiator='" ROMEO "' sid='" SID "'>"
#define CONTENT_OPEN "<content creator='initiator' name='a-file-offer' senders='initiator'>"
#define OFFER(desc_ns, hash_elements, transport)                                                   \
  IQ_OPEN JINGLE_OPEN ("session-initiate") CONTENT_OPEN                                            \
      "<description xmlns='" desc_ns "'>"                                                          \
      "<file>\n  <date>2015-07-26T21:46:00Z</date>"                                                \
      "<media-type>text/plain</media-type><name>test.txt</name>"                                   \
      "<range/><size> 6144 </size>" hash_elements "</file></description>" transport                \
      "</content></jingle></iq>"
#define IBB_TRANSPORT                                                                              \
  "<transport xmlns='urn:xmpp:jingle:transports:ibb:1' block-size='4096' sid='t1'/>"
#define S5B_TRANSPORT                                                                              \
  "<transport xmlns='urn:xmpp:jingle:transports:s5b:1' mode='tcp' sid='vj3hs98y'>"                 \
  "<candidate cid='hft54dqy' host='192.168.4.1' jid='" ROMEO "' port='5086' "                      \
  "priority='8257636' type='direct'/>"                                                             \
  "<candidate cid='hutr46fe' host='24.24.24.1' jid='" ROMEO "' priority='8258636' "                \
  "type='assisted'/></transport>"
