/* One encrypted conversation with one peer resource, and the hub that owns an account's
 * sessions (PROTOCOL.md §2-§6).
 *
 * The hub composes Jingle signalling, the IBB transport, the TLS channel and the inner XML
 * stream. It does no I/O: outer stanzas come in as XML text through xtls_hub_receive() and
 * leave through XtlsHubOps.send; time comes from an injected clock, and the caller calls
 * xtls_hub_tick() at xtls_hub_next_deadline(). */
#pragma once

#include <glib.h>

#include "clock.h"
#include "filexfer.h"
#include "identity.h"
#include "tls-channel.h"
#include "trust-store.h"

G_BEGIN_DECLS

/* One trust level per session, computed in one place (pidgin-otr's model). */
typedef enum
{
  XTLS_STATE_NOT_PRIVATE, /* no session */
  XTLS_STATE_NEGOTIATING, /* Jingle/TLS under way; messages wait */
  XTLS_STATE_UNVERIFIED,  /* the peer's key is not verified: waiting for the user's decision,
                           * or encrypted to a key the user accepted for this session only */
  XTLS_STATE_PRIVATE,     /* encrypted to a verified peer (pinned key or shared password) */
  XTLS_STATE_FINISHED,    /* ended cleanly by either side */
  XTLS_STATE_FAILED,      /* ended by an error; xtls_session_get_error() says why */
} XtlsTrustState;

typedef enum
{
  XTLS_DECISION_NONE,
  XTLS_DECISION_UNKNOWN_KEY, /* answer with xtls_session_decide() */
  XTLS_DECISION_PASSWORD,    /* answer with xtls_session_supply_password() or decide(CANCEL) */
} XtlsDecision;

typedef enum
{
  XTLS_ANSWER_VERIFIED,     /* the users compared fingerprints: pin the key */
  XTLS_ANSWER_ACCEPT_ONCE,  /* encrypt, but do not pin; the session stays "unverified" */
  XTLS_ANSWER_USE_PASSWORD, /* verify with a shared password (TLS-SRP) instead */
  XTLS_ANSWER_CANCEL,
} XtlsAnswer;

/* What to do with an incoming offer (XtlsHubOps.incoming). */
typedef enum
{
  XTLS_OFFER_ACCEPT,  /* go on: trust decisions follow */
  XTLS_OFFER_DECLINE, /* the user's policy says no: ack + session-terminate <decline/> */
  XTLS_OFFER_REFUSE,  /* not even answered as XTLS (e.g. not in the roster): IQ error
                       * <service-unavailable/>, as a client without XTLS would answer */
} XtlsOfferVerdict;

typedef struct _XtlsHub XtlsHub;
typedef struct _XtlsSession XtlsSession;

/* One file of an encrypted file-transfer session (XEP-0234 §2). Handed to
 * xtls_hub_send_file() it is borrowed (copied); from xtls_session_get_file() it belongs to the
 * session. On the receiving side @name is already xtls_jingle_file_safe_name() of what the
 * peer announced: a bare file name, never a path, but still the peer's words. */
typedef struct
{
  const char *name;       /* required */
  guint64 size;           /* bytes */
  const char *media_type; /* optional */
  const char *desc;       /* optional: the sender's words */
  gboolean has_sha256;    /* the offer carries the SHA-256; else a <checksum/> follows it */
  guint8 sha256[XTLS_SHA256_LEN];
} XtlsFileInfo;

typedef struct
{
  /* An outer stanza (an <iq/>, addressed with to and from) for the server connection. */
  void (*send) (XtlsHub *hub, const char *xml, gpointer user_data);
  /* The session's trust state changed. @error is set for FAILED (and for FINISHED when the
   * end needs explaining); xtls_error_describe() gives the sentence for the user. */
  void (*state_changed) (XtlsHub *hub, XtlsSession *session, XtlsTrustState state,
                         const GError *error, gpointer user_data);
  /* The user must decide something; the session waits (no handshake deadline runs). */
  void (*decision_needed) (XtlsHub *hub, XtlsSession *session, XtlsDecision decision,
                           gpointer user_data);
  /* A chat message arrived through the tunnel. @body is the message text. */
  void (*message_received) (XtlsHub *hub, XtlsSession *session, const char *body,
                            gpointer user_data);
  /* A message handed to xtls_session_send_message() went into the tunnel (@sent TRUE), or
   * never will (@sent FALSE: the session failed or ended first; it was not sent anywhere). */
  void (*message_status) (XtlsHub *hub, XtlsSession *session, guint64 message_id, gboolean sent,
                          gpointer user_data);
  /* Optional: an offer from @peer (full JID), asked before anything of it is kept, so a
   * refusal costs no memory, no conversation and no dialog. NULL means ACCEPT. */
  XtlsOfferVerdict (*incoming) (XtlsHub *hub, const char *peer, gpointer user_data);
  /* Optional: after a password-verified session the peer sent a certificate (inside the
   * tunnel) that differs from the one pinned for it. It was NOT pinned: replacing a pin needs
   * the user's consent (the UI pins @fingerprint itself if the user agrees). */
  void (*key_conflict) (XtlsHub *hub, XtlsSession *session, const char *fingerprint,
                        gpointer user_data);

  /* File sessions (all optional; a hub without file_offered declines every encrypted file
   * offer, one without file_read/file_store fails its transfers). They mirror
   * XtlsFilexferOps; trust decisions use decision_needed as for chat. */
  /* Receiver: @session offers xtls_session_get_file(); answer (now or later) with
   * xtls_session_accept_file(). Key questions, if any, follow an accept. */
  void (*file_offered) (XtlsHub *hub, XtlsSession *session, gpointer user_data);
  /* Sender: up to @max bytes of the file, in order (see XtlsFilexferOps.read). */
  gssize (*file_read) (XtlsHub *hub, XtlsSession *session, guint8 *buf, gsize max, GError **error,
                       gpointer user_data);
  /* Receiver: bytes to append to the partial file; FALSE with @error (disk full). */
  gboolean (*file_store) (XtlsHub *hub, XtlsSession *session, const guint8 *data, gsize len,
                          GError **error, gpointer user_data);
  /* Both: @done of @total bytes. */
  void (*file_progress) (XtlsHub *hub, XtlsSession *session, guint64 done, guint64 total,
                         gpointer user_data);
  /* Both, once per file session that reached file_offered (receiver) or was started
   * (sender): @error NULL when the file is complete (receiver: verified; sender: confirmed
   * by the receiver). Otherwise the receiver deletes the partial file. XTLS_FILEXFER_ERROR
   * codes say what happened to the file (HASH_MISMATCH: the bytes are not the announced
   * file; CANCELLED / PEER_CANCELLED: someone cancelled or declined); the glue's own read and
   * store errors pass through; XTLS_ERROR codes mean the session below failed
   * (xtls_error_describe). This is the last callback for @session: forget the pointer here
   * (the hub frees ended sessions later, without telling). */
  void (*file_ended) (XtlsHub *hub, XtlsSession *session, const GError *error, gpointer user_data);
} XtlsHubOps;

typedef struct
{
  guint block_size; /* IBB block-size we offer; 0 = 4096 */
  guint window;     /* IBB window; 0 = XTLS_IBB_DEFAULT_WINDOW */
  XtlsTlsVersionLimit tls_version;
  gsize max_stanza_bytes;      /* inner stream; 0 = XTLS_XML_STREAM_DEFAULT_MAX_STANZA */
  gint64 ack_timeout_us;       /* an IQ of ours unanswered this long: peer gone; 0 = 30 s */
  gint64 handshake_timeout_us; /* method chosen until private; 0 = 120 s */
  gint64 accept_timeout_us;    /* waiting for the peer's session-accept; 0 = decision + 1 min */
  /* How long a question to our user (a key, a password, a file offer) stays open; 0 = 30 min.
   * Meanwhile a peer that decides together hears from us every minute (PROTOCOL.md §2.1). */
  gint64 decision_timeout_us;
  /* Bounds on what a remote party can make us keep (non-negotiable 6). Offers beyond them are
   * answered <resource-constraint/> and leave nothing behind. */
  guint max_sessions;             /* live sessions per account; 0 = 64 */
  guint max_sessions_per_contact; /* live sessions per bare JID; 0 = 4 */
  guint max_ended;                /* ended sessions kept for late stanzas; 0 = 32 */
  gint64 ended_linger_us;         /* how long an ended session is kept; 0 = 120 s */
  guint offer_burst;              /* offers accepted back to back; 0 = 8 */
  gint64 offer_interval_us;       /* one more offer allowed per interval; 0 = 2 s */
  gint64 s5b_timeout_us; /* SOCKS5: per connection phase (connect, SOCKS5, activation); 0 = 10 s */
} XtlsHubConfig;

/* @own_jid is our full JID. The identity is referenced; @trust and @clock are borrowed and
 * must outlive the hub; @config may be NULL. */
XtlsHub *xtls_hub_new (const char *own_jid, XtlsIdentity *identity, XtlsTrustStore *trust,
                       const XtlsClock *clock, const XtlsHubConfig *config, const XtlsHubOps *ops,
                       gpointer user_data);
/* Ends every live session politely, without waiting for the peer's acknowledgements (the
 * account is going away), then frees. The sessions end as FINISHED. */
void xtls_hub_free (XtlsHub *hub);

/* Feeds one outer <iq/> as text. Returns TRUE if it belonged to this hub (then it has been
 * answered as the protocol requires); FALSE leaves it to the caller (libpurple). */
gboolean xtls_hub_receive (XtlsHub *hub, const char *xml, gssize len);

/* The same for an IBB <data/> IQ set (XEP-0047 §3) the caller has already parsed: its
 * server-stamped @from, its @id, and the <data/> element's sid and seq attributes (as text,
 * NULL if absent) and text. Saves serializing and parsing again the stanza that carries most
 * of the bytes; the answer is the same as xtls_hub_receive() would give. */
gboolean xtls_hub_receive_ibb_data (XtlsHub *hub, const char *from, const char *id,
                                    const char *sid, const char *seq, const char *data);

/* ---- SOCKS5 bytestreams for file sessions (XEP-0260 over XEP-0065) ----------------------
 * Optional: a hub without net ops offers files over IBB only (and answers a peer's SOCKS5
 * offer with no candidates, which falls back to IBB). The glue owns the sockets; the hub runs
 * SOCKS5, the candidate checks, the nomination and proxy activation. Connections are numbered
 * by the hub (never 0). No op may call back into the hub from inside itself: report what the
 * sockets did later, from the main loop. */

/* One address where the glue listens for SOCKS5 connections of peers (strings borrowed). */
typedef struct
{
  const char *host; /* an IP literal or a host name */
  guint16 port;
} XtlsNetAddress;

typedef struct
{
  /* The peer's client supports urn:xmpp:jingle:transports:s5b:1 (its caps say so). Files to
   * a peer without it go over IBB. Required. */
  gboolean (*peer_supports_s5b) (XtlsHub *hub, const char *peer_jid, gpointer user_data);
  /* Up to @max addresses to offer as direct candidates (the glue's listeners), best first;
   * returns how many were filled. NULL or 0: only the proxy, if one is set. */
  guint (*local_addresses) (XtlsHub *hub, XtlsNetAddress *out, guint max, gpointer user_data);
  /* Open a TCP connection to @host:@port as connection @conn; then report
   * xtls_hub_net_connected() or xtls_hub_net_closed(). Required. */
  void (*connect) (XtlsHub *hub, guint conn, const char *host, guint16 port, gpointer user_data);
  /* Queue @len bytes for @conn (never blocks, takes all); once the queue is empty report
   * xtls_hub_net_drained(). Required. */
  void (*write) (XtlsHub *hub, guint conn, const guint8 *data, gsize len, gpointer user_data);
  /* Close @conn (after writing what is queued); no more reports for it. Required. */
  void (*close) (XtlsHub *hub, guint conn, gpointer user_data);
} XtlsHubNetOps;

/* Enables SOCKS5 bytestreams (@ops borrowed, must outlive the hub); NULL disables them for
 * sessions started afterwards. */
void xtls_hub_set_net (XtlsHub *hub, const XtlsHubNetOps *ops, gpointer user_data);
/* The account's SOCKS5 proxy (XEP-0065 §4, found by disco or configured), offered as a proxy
 * candidate; @jid NULL forgets it. Copied. */
void xtls_hub_set_proxy (XtlsHub *hub, const char *jid, const char *host, guint16 port);
/* A peer connected to one of our listeners: returns the connection's number for the reports
 * below (0: refused, too many waiting; close the socket). */
guint xtls_hub_net_accepted (XtlsHub *hub);
/* Connection @conn (of connect) is up. */
void xtls_hub_net_connected (XtlsHub *hub, guint conn);
/* Bytes read from @conn. */
void xtls_hub_net_receive (XtlsHub *hub, guint conn, const guint8 *data, gsize len);
/* Everything written to @conn has been sent. */
void xtls_hub_net_drained (XtlsHub *hub, guint conn);
/* @conn reached EOF (@error NULL) or failed (@error: why, for the log). The hub closes it. */
void xtls_hub_net_closed (XtlsHub *hub, guint conn, const char *error);

/* Starts (or returns the live) session with @peer_jid, a full JID. */
XtlsSession *xtls_hub_start (XtlsHub *hub, const char *peer_jid);
/* Starts a new encrypted file-transfer session with @peer_jid (a full JID) offering @file
 * (copied): separate from chat, several per peer, bounded like offers we receive
 * (max_sessions, max_sessions_per_contact). NULL when over those bounds. Transfer none: the
 * hub owns it; file_ended reports its end. */
XtlsSession *xtls_hub_send_file (XtlsHub *hub, const char *peer_jid, const XtlsFileInfo *file);
/* The chat session with @peer_jid (live, or ended and not yet released), or NULL. Transfer none:
 * do not keep it across calls into the hub. */
XtlsSession *xtls_hub_lookup (XtlsHub *hub, const char *peer_jid);
/* The peer resource went offline: its session fails with XTLS_ERROR_PEER_GONE. */
void xtls_hub_peer_offline (XtlsHub *hub, const char *peer_jid);

/* The earliest deadline (monotonic µs) of any session, or -1; call xtls_hub_tick() then. */
gint64 xtls_hub_next_deadline (XtlsHub *hub);
void xtls_hub_tick (XtlsHub *hub);

/* How many sessions the hub holds (live and ended), for tests and benchmarks. */
guint xtls_hub_count_sessions (XtlsHub *hub);

XtlsTrustState xtls_session_get_state (XtlsSession *session);
const char *xtls_trust_state_to_string (XtlsTrustState state);
/* Why a FAILED (or explained FINISHED) session ended, or NULL. Transfer none. */
const GError *xtls_session_get_error (XtlsSession *session);
const char *xtls_session_get_peer (XtlsSession *session);
gboolean xtls_session_is_initiator (XtlsSession *session);
/* How the peer's identity stands in this session. */
typedef enum
{
  XTLS_VERIFICATION_NONE,      /* not (yet) verified: unknown, or accepted for this session */
  XTLS_VERIFICATION_KNOWN_KEY, /* its key matched the one verified in an earlier session */
  XTLS_VERIFICATION_BY_USER,   /* the user verified its key (safety code) in this session */
  XTLS_VERIFICATION_PASSWORD,  /* proved by the shared password (TLS-SRP) */
} XtlsVerification;

XtlsVerification xtls_session_get_verification (XtlsSession *session);

/* The method in use once chosen (0 before). */
XtlsMethod xtls_session_get_method (XtlsSession *session);
/* The peer's announced SHA-256 fingerprint (hex) or NULL; ours is the identity's. */
const char *xtls_session_get_peer_fingerprint (XtlsSession *session);
XtlsDecision xtls_session_get_pending_decision (XtlsSession *session);
/* Our user has decided and the session waits for the other user's decision (deciding
 * together, PROTOCOL.md §2.1): nothing is sent meanwhile. */
gboolean xtls_session_awaits_peer_user (XtlsSession *session);
/* TLS protocol and cipher once the tunnel is up, else NULL. */
const char *xtls_session_get_tls_description (XtlsSession *session);

/* The largest message body we send, in bytes (UTF-8). Every receiver accepts inner stanzas of
 * up to XTLS_XML_STREAM_DEFAULT_MAX_STANZA (1.5 MiB); a body this long still fits when every
 * character is escaped the most expensive way ('&' becomes "&amp;": 5 bytes) inside an
 * envelope with the longest JIDs (2 x 3071 bytes, escaped), with room to spare. */
#define XTLS_MAX_BODY_BYTES (256 * 1024)
gsize xtls_session_max_body_bytes (void);

/* Queues @body for the peer; it goes out through the tunnel once it is up (never in plaintext).
 * Returns the message id reported by message_status, or 0 if the session has ended or @body
 * is longer than xtls_session_max_body_bytes() (then nothing is queued: the caller refuses
 * such a message before it gets here and tells the user). */
guint64 xtls_session_send_message (XtlsSession *session, const char *body);

/* About how many bytes of what we wrote into the tunnel the peer has not acknowledged yet
 * (encrypted and framed, so a little more than the text); 0 once everything arrived. For
 * showing progress of a long message on a slow server. */
gsize xtls_session_get_unacknowledged_bytes (XtlsSession *session);

/* Answers an XTLS_DECISION_UNKNOWN_KEY (or cancels a pending password request). */
void xtls_session_decide (XtlsSession *session, XtlsAnswer answer);
/* Supplies the shared password (also allowed before it is asked for). Copied, wiped on free. */
void xtls_session_supply_password (XtlsSession *session, const char *password);

/* Ends the session politely: </stream:stream>, session-terminate <success/>, IBB <close/>.
 * Messages still waiting are reported as not sent. A file session is cancelled. */
void xtls_session_stop (XtlsSession *session);

/* ---- file sessions -------------------------------------------------------------------- */

/* A file-transfer session (xtls_hub_send_file, or an offer reported by file_offered). */
gboolean xtls_session_is_file (XtlsSession *session);
/* The file offered (transfer none), or NULL for a chat session. */
const XtlsFileInfo *xtls_session_get_file (XtlsSession *session);
/* Receiver: the user's answer to file_offered. FALSE declines (session-terminate <decline/>;
 * file_ended reports XTLS_FILEXFER_ERROR_CANCELLED). */
void xtls_session_accept_file (XtlsSession *session, gboolean accept);
/* Either side: cancels the transfer (session-terminate <cancel/>); file_ended reports
 * XTLS_FILEXFER_ERROR_CANCELLED here and PEER_CANCELLED on the other side. */
void xtls_session_cancel_file (XtlsSession *session);
/* Bytes sent or received so far, and the state of the file (WAITING before the tunnel). */
guint64 xtls_session_get_file_done (XtlsSession *session);
XtlsFilexferState xtls_session_get_file_state (XtlsSession *session);

G_END_DECLS
