/* Jingle signalling for one XTLS chat session (XEP-0166, XEP-0247, XEP-0261, the XTLS draft;
 * PROTOCOL.md §1, §2, §6). Payloads are plain structs; wire.c converts them to and from XML. */
#pragma once

#include <glib.h>

#include "fingerprint.h"
#include "ibb.h"
#include "tls-channel.h"

G_BEGIN_DECLS

/* Namespace dialect the peer used: we send JINGLE_1 and reply in the peer's (PROTOCOL.md §1). */
typedef enum {
  XTLS_JINGLE_NS_1,   /* urn:xmpp:jingle:1 */
  XTLS_JINGLE_NS_0,   /* urn:xmpp:jingle:0 */
  XTLS_JINGLE_NS_TMP, /* urn:xmpp:tmp:jingle (kaa) */
} XtlsJingleDialect;

typedef enum {
  XTLS_JINGLE_SESSION_INITIATE,
  XTLS_JINGLE_SESSION_ACCEPT,
  XTLS_JINGLE_SECURITY_INFO,
  XTLS_JINGLE_SESSION_TERMINATE,
  XTLS_JINGLE_SESSION_INFO,
  XTLS_JINGLE_OTHER, /* any other action: acknowledged, otherwise ignored */
} XtlsJingleAction;

/* XEP-0166 §7.4 reasons, plus security-error from the draft. */
typedef enum {
  XTLS_REASON_NONE,
  XTLS_REASON_SUCCESS,
  XTLS_REASON_SECURITY_ERROR,
  XTLS_REASON_FAILED_TRANSPORT,
  XTLS_REASON_FAILED_APPLICATION,
  XTLS_REASON_DECLINE,
  XTLS_REASON_CANCEL,
  XTLS_REASON_TIMEOUT,
  XTLS_REASON_GONE,
  XTLS_REASON_CONNECTIVITY_ERROR,
  XTLS_REASON_GENERAL_ERROR,
  XTLS_REASON_UNSUPPORTED_APPLICATIONS,
  XTLS_REASON_UNSUPPORTED_TRANSPORTS,
  XTLS_REASON_INCOMPATIBLE_PARAMETERS,
  XTLS_REASON_BUSY,
  XTLS_REASON_OTHER, /* anything else: treated as a failure */
} XtlsJingleReason;

typedef enum {
  XTLS_APP_NONE,            /* no <description/> or another application (RTP, file transfer) */
  XTLS_APP_XMLSTREAM,       /* urn:xmpp:jingle:apps:xmlstream:0 */
  XTLS_APP_XMLSTREAM_TMP,   /* urn:xmpp:tmp:jingle:apps:xmlstream (kaa) */
} XtlsJingleApp;

/* One Jingle payload. Owns every string (xtls_jingle_free). */
typedef struct {
  XtlsJingleAction action;
  XtlsJingleDialect dialect;
  char *sid;
  char *initiator;          /* may be NULL on receipt (then the IQ's from is used) */
  char *responder;
  /* <content/> (absent in terminate) */
  gboolean has_content;
  char *content_name;       /* "xmlstream"; tolerated missing or different on receipt */
  char *content_creator;
  XtlsJingleApp app;
  gboolean has_transport;   /* an IBB transport (ibb:0 or ibb:1) */
  XtlsIbbVersion ibb_version;
  char *transport_sid;
  guint block_size;         /* 0 when absent: means the default */
  gboolean has_security;    /* <security xmlns='urn:xmpp:jingle:security:xtls:0'/> */
  char *fingerprint;        /* normalised hex, NULL when absent or unparsable */
  XtlsHashAlgo fingerprint_algo;
  guint methods;            /* XtlsMethod bits offered (initiate/accept) or chosen (security-info) */
  /* <reason/> (terminate) */
  XtlsJingleReason reason;
  char *reason_text;        /* optional <text/>, never shown without a prefix saying it is the peer's */
} XtlsJingle;

XtlsJingle *xtls_jingle_new (XtlsJingleAction action, const char *sid);
XtlsJingle *xtls_jingle_copy (const XtlsJingle *jingle);
void xtls_jingle_free (XtlsJingle *jingle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XtlsJingle, xtls_jingle_free)

const char *xtls_jingle_action_to_string (XtlsJingleAction action);
const char *xtls_jingle_reason_to_string (XtlsJingleReason reason);

/* Checks that a received session-initiate is an XTLS chat offer we can take. Returns
 * XTLS_REASON_NONE when acceptable, else the reason to terminate with:
 * UNSUPPORTED_APPLICATIONS (not an xmlstream: the caller should let it pass to libpurple
 * instead), UNSUPPORTED_TRANSPORTS (no IBB), SECURITY_ERROR (no <security/>: an unencrypted
 * xmlstream is never accepted, PROTOCOL.md §2). Checked in that order. An IBB transport
 * without a sid counts as no transport; a <security/> offering neither x509 nor srp counts as
 * a security error. */
XtlsJingleReason xtls_jingle_check_offer (const XtlsJingle *initiate);

/* Method choice (PROTOCOL.md §2): x509 when both offered it and @peer_key_trusted (pinned
 * or accepted for this session) and the responder trusts ours (it offered x509 with its
 * fingerprint); else srp when both offered it and @have_password; else 0. */
XtlsMethod xtls_jingle_choose_method (guint our_methods, guint peer_methods,
                                      gboolean peer_key_trusted, gboolean have_password);

/* Tie-break (PROTOCOL.md §6): TRUE if the session with @our_sid survives against @their_sid
 * (the lower sid, compared as byte strings, wins). Equal sids: FALSE on both sides. */
gboolean xtls_jingle_tie_break_we_win (const char *our_sid, const char *their_sid);

/* A random sid of 16 lowercase alphanumerics. Transfer full. */
char *xtls_jingle_make_sid (void);

G_END_DECLS
