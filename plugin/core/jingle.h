/* Jingle signalling for one XTLS session (XEP-0166, XEP-0247, XEP-0261, the XTLS draft;
 * PROTOCOL.md §1, §2, §6), and the payloads of encrypted file transfer (XEP-0234 file offers,
 * XEP-0300 hashes, XEP-0260 SOCKS5 transport). Payloads are plain structs; wire.c converts
 * them to and from XML. */
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

/* The XEP-0166 §7.2 transport actions file transfer uses (XEP-0260 §2.4, §2.6; XEP-0261 §3).
 * They arrive as action XTLS_JINGLE_OTHER, so that a chat session keeps acknowledging and
 * ignoring them; this field says which one it was. To send one, set action OTHER and this. */
typedef enum
{
  XTLS_JINGLE_TRANSPORT_ACTION_NONE, /* not a transport action */
  XTLS_JINGLE_TRANSPORT_INFO,
  XTLS_JINGLE_TRANSPORT_REPLACE,
  XTLS_JINGLE_TRANSPORT_ACCEPT,
  XTLS_JINGLE_TRANSPORT_REJECT,
} XtlsJingleTransportAction;

/* What a session-info carries (XEP-0234 §8). */
typedef enum
{
  XTLS_JINGLE_INFO_NONE,     /* nothing we know (a ping, RTP's ringing, ...) */
  XTLS_JINGLE_INFO_CHECKSUM, /* <checksum/>: file->sha256 is the hash of the file (§8.1) */
  XTLS_JINGLE_INFO_RECEIVED, /* <received/>: the receiver has the whole file (§8.2) */
} XtlsJingleInfo;

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

typedef enum
{
  XTLS_APP_NONE,          /* no <description/> or another application (RTP, ...) */
  XTLS_APP_XMLSTREAM,     /* urn:xmpp:jingle:apps:xmlstream:0 */
  XTLS_APP_XMLSTREAM_TMP, /* urn:xmpp:tmp:jingle:apps:xmlstream (kaa) */
  XTLS_APP_FILE_TRANSFER, /* urn:xmpp:jingle:apps:file-transfer:5 (:4, :3): see file */
} XtlsJingleApp;

/* XEP-0234 namespace version the peer used: we send :5 and reply in the peer's. */
typedef enum
{
  XTLS_FT_VERSION_5, /* urn:xmpp:jingle:apps:file-transfer:5, hashes in urn:xmpp:hashes:2 */
  XTLS_FT_VERSION_4, /* :4, hashes in urn:xmpp:hashes:1 */
  XTLS_FT_VERSION_3, /* :3, hashes in urn:xmpp:hashes:1 */
} XtlsFtVersion;

/* Bounds on what a peer may announce; anything longer is a parse error (wire.h). */
#define XTLS_FILE_MAX_NAME_BYTES 1024
#define XTLS_FILE_MAX_MEDIA_TYPE_BYTES 255
#define XTLS_FILE_MAX_DATE_BYTES 64
#define XTLS_FILE_MAX_DESC_BYTES 4096
#define XTLS_SHA256_LEN 32

/* XEP-0234 §2 <file/>: in an offer's <description/>, or in a <checksum/>. Owns its strings. */
typedef struct
{
  char *name; /* owned; required in an offer; untrusted: see xtls_jingle_file_safe_name */
  gboolean has_size;
  guint64 size;        /* bytes */
  char *media_type;    /* owned, optional */
  char *date;          /* owned, optional: XEP-0082 DateTime as sent (a valid one only) */
  char *desc;          /* owned, optional: the sender's words, shown as such */
  gboolean has_sha256; /* <hash xmlns='urn:xmpp:hashes:2' algo='sha-256'> (XEP-0300) */
  guint8 sha256[XTLS_SHA256_LEN];
} XtlsJingleFile;

/* XEP-0260 §2.2 candidate types, in the order of their type preference (§2.3). */
typedef enum
{
  XTLS_S5B_CANDIDATE_DIRECT,
  XTLS_S5B_CANDIDATE_ASSISTED,
  XTLS_S5B_CANDIDATE_TUNNEL,
  XTLS_S5B_CANDIDATE_PROXY,
} XtlsS5bCandidateType;

/* Bounds on a peer's s5b transport (XEP-0260); anything over them is a parse error. */
#define XTLS_S5B_MAX_CANDIDATES 32
#define XTLS_S5B_MAX_TOKEN_BYTES 256 /* sid, cid, dstaddr, host (SOCKS5 names are <= 255) */
#define XTLS_S5B_MAX_JID_BYTES 3071  /* RFC 7622 §3.1 */

/* One <candidate/> of XEP-0260 §2.2, as on the wire; s5b.c uses it as its candidate type too.
 * Owns its strings (xtls_s5b_candidate_wire_free). */
typedef struct
{
  char *cid;                 /* owned, required */
  char *host;                /* owned, required: an IP literal or a host name */
  char *jid;                 /* owned, required: whose candidate (a proxy's JID for type PROXY) */
  guint16 port;              /* 1..65535; 1080 when absent (XEP-0260 §2.2) */
  guint32 priority;          /* required, 1..2^31-1 */
  XtlsS5bCandidateType type; /* DIRECT when absent */
} XtlsS5bCandidateWire;

/* What a transport-info's s5b transport says (XEP-0260 §2.4-§2.5); NONE in an offer. */
typedef enum
{
  XTLS_S5B_INFO_NONE,
  XTLS_S5B_INFO_CANDIDATE_USED,  /* <candidate-used cid/>: cid = the peer's candidate we use */
  XTLS_S5B_INFO_CANDIDATE_ERROR, /* <candidate-error/>: none of the peer's worked */
  XTLS_S5B_INFO_ACTIVATED,       /* <activated cid/>: the proxy candidate cid is activated */
  XTLS_S5B_INFO_PROXY_ERROR,     /* <proxy-error/>: activating the proxy failed */
} XtlsS5bInfo;

/* <transport xmlns='urn:xmpp:jingle:transports:s5b:1'/>. Owns everything. */
typedef struct
{
  char *sid;             /* owned, required */
  char *dstaddr;         /* owned, optional: SHA-1 hex of sid + initiator + responder (§2.2) */
  gboolean udp;          /* mode='udp' (never used by us); tcp when absent */
  GPtrArray *candidates; /* XtlsS5bCandidateWire *, owned; never NULL, may be empty */
  XtlsS5bInfo info;
  char *info_cid; /* owned: CANDIDATE_USED and ACTIVATED only */
} XtlsS5bTransportWire;

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
  char *content_senders; /* optional: "initiator" in a file offer (XEP-0234 §2) */
  XtlsJingleApp app;
  XtlsFtVersion ft_version; /* FILE_TRANSFER, and session-info CHECKSUM/RECEIVED */
  XtlsJingleFile *file;     /* owned: FILE_TRANSFER's <file/>, or a <checksum/>'s; else NULL */
  gboolean has_transport;   /* an IBB transport (ibb:0 or ibb:1) */
  XtlsIbbVersion ibb_version;
  char *transport_sid;
  guint block_size;         /* 0 when absent: means the default */
  XtlsS5bTransportWire *s5b; /* owned: an s5b transport, NULL when there is none */
  gboolean has_security;    /* <security xmlns='urn:xmpp:jingle:security:xtls:0'/> */
  char *fingerprint;        /* normalised hex, NULL when absent or unparsable */
  XtlsHashAlgo fingerprint_algo;
  guint methods;            /* XtlsMethod bits offered (initiate/accept) or chosen (security-info) */
  /* Deciding together (PROTOCOL.md §2.1, namespace urn:xmpp:tmp:xtls:decide:0):
   * <security><decide-together/>: the sender understands an accept whose user has not decided;
   * <security><deciding/> (accept) or <deciding/> as a session-info payload: the sender's user
   * is still deciding. */
  gboolean decide_together;
  gboolean deciding;
  /* session-info: a payload element none of the above (XEP-0166 §7.2: <unsupported-info/>);
   * FALSE for an empty session-info, which is a ping. */
  gboolean info_unknown;
  /* <reason/> (terminate) */
  XtlsJingleReason reason;
  char *reason_text;        /* optional <text/>, never shown without a prefix saying it is the peer's */
  /* action OTHER: which transport action, if any */
  XtlsJingleTransportAction transport_action;
  /* session-info: its payload. CHECKSUM and RECEIVED name their content through
   * content_name/content_creator (has_content stays FALSE) and use ft_version. */
  XtlsJingleInfo info;
} XtlsJingle;

XtlsJingle *xtls_jingle_new (XtlsJingleAction action, const char *sid);
XtlsJingle *xtls_jingle_copy (const XtlsJingle *jingle);
void xtls_jingle_free (XtlsJingle *jingle);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XtlsJingle, xtls_jingle_free)

const char *xtls_jingle_action_to_string (XtlsJingleAction action);
/* "transport-info", ...; NULL for NONE. */
const char *xtls_jingle_transport_action_to_string (XtlsJingleTransportAction action);
/* "direct", "assisted", "tunnel", "proxy"; from_string: FALSE for anything else (an absent
 * attribute means "direct", which is the caller's to apply). */
const char *xtls_s5b_candidate_type_to_string (XtlsS5bCandidateType type);
gboolean xtls_s5b_candidate_type_from_string (const char *text, XtlsS5bCandidateType *type);
const char *xtls_jingle_reason_to_string (XtlsJingleReason reason);

/* Checks that a received session-initiate is an XTLS chat offer we can take. Returns
 * XTLS_REASON_NONE when acceptable, else the reason to terminate with:
 * UNSUPPORTED_APPLICATIONS (not an xmlstream: the caller should let it pass to libpurple
 * instead), UNSUPPORTED_TRANSPORTS (no IBB), SECURITY_ERROR (no <security/>: an unencrypted
 * xmlstream is never accepted, PROTOCOL.md §2). Checked in that order. An IBB transport
 * without a sid counts as no transport; a <security/> offering neither x509 nor srp counts as
 * a security error. */
XtlsJingleReason xtls_jingle_check_offer (const XtlsJingle *initiate);

/* The file-offer counterpart of xtls_jingle_check_offer, same order: UNSUPPORTED_APPLICATIONS
 * (not a file transfer), UNSUPPORTED_TRANSPORTS (neither an s5b nor an IBB transport with a
 * sid), SECURITY_ERROR (no <security/> or no method: such an offer is a plain Jingle file
 * transfer and not ours; the caller may rather hand it to libpurple), FAILED_APPLICATION (no
 * <file/> with a name and a size: XEP-0234 §2 offers need both to be received safely). */
XtlsJingleReason xtls_jingle_check_file_offer (const XtlsJingle *initiate);

/* A file name safe to show and to use as the last component of a path: the part after the
 * last '/' or '\', control characters and invalid UTF-8 replaced, a leading '.' replaced (no
 * hidden files, no ".."), at most 255 bytes; "file" when nothing is left. Transfer full. */
char *xtls_jingle_file_safe_name (const char *name);

XtlsJingleFile *xtls_jingle_file_copy (const XtlsJingleFile *file);
void xtls_jingle_file_free (XtlsJingleFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XtlsJingleFile, xtls_jingle_file_free)

XtlsS5bTransportWire *xtls_s5b_transport_wire_new (const char *sid);
XtlsS5bTransportWire *xtls_s5b_transport_wire_copy (const XtlsS5bTransportWire *transport);
void xtls_s5b_transport_wire_free (XtlsS5bTransportWire *transport);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XtlsS5bTransportWire, xtls_s5b_transport_wire_free)
/* Appends a candidate (strings copied). */
void xtls_s5b_transport_wire_add (XtlsS5bTransportWire *transport, const char *cid,
                                  const char *host, const char *jid, guint16 port, guint32 priority,
                                  XtlsS5bCandidateType type);
XtlsS5bCandidateWire *xtls_s5b_candidate_wire_copy (const XtlsS5bCandidateWire *candidate);
void xtls_s5b_candidate_wire_free (XtlsS5bCandidateWire *candidate);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (XtlsS5bCandidateWire, xtls_s5b_candidate_wire_free)

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
