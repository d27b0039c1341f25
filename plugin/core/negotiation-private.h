/* Shared by negotiation.c (Jingle, trust, method: chat and files alike) and negotiation-ft.c
 * (what file transfer adds: the XEP-0234 description, the user's answer to a file offer,
 * session-info <checksum/> and <received/>). Each field belongs to the file named beside it. */
#pragma once

#include "negotiation.h"

/* Never log message text, passwords or keys (STYLE.md habit 7). */
#define NLOG(n, fmt, ...) g_debug ("[%s] " fmt, (n)->sid ? (n)->sid : "-", ##__VA_ARGS__)

typedef enum
{
  STAGE_IDLE,
  STAGE_INITIATE_SENT,  /* initiator: waiting for session-accept */
  STAGE_OFFER_RECEIVED, /* responder: the user decides whether to trust the offer */
  STAGE_ACCEPTED,       /* accept sent or received: method, transport and TLS under way */
  STAGE_ENDED,
} Stage;

struct _XtlsNegotiation
{
  const XtlsNegotiationOps *ops; /* borrowed */
  gpointer user_data;
  XtlsNegotiationConfig config; /* borrowed strings and objects */
  char *peer_bare;              /* owned */
  Stage stage;
  gboolean initiator;

  /* Jingle (PROTOCOL.md §2) */
  char *sid;
  XtlsJingleDialect dialect;
  XtlsJingleApp app;
  char *initiator_jid;
  char *responder_jid;
  char *content_name;
  char *content_creator;
  char *transport_sid;
  char *iq_prefix;    /* ids of the transport's IQs: "xtls-<sid>" */
  char *srp_username; /* the initiator's bare JID, lowercased */
  guint block_size;
  XtlsIbbVersion ibb_version;
  gint64 accept_deadline;

  /* File transfer (negotiation-ft.c) */
  XtlsFtVersion ft_version;
  XtlsJingleFile *file;  /* owned: the file offered (ours, or the peer's as received) */
  gboolean file_pending; /* responder: the user has not answered the file offer yet */

  /* Trust and method */
  char *peer_fingerprint; /* normalised hex as announced (or the pin, for SHA-1) */
  XtlsHashAlgo peer_fingerprint_algo;
  guint peer_methods;
  gboolean peer_trusts_us;    /* the responder offered x509 with its fingerprint */
  gboolean key_trusted;       /* pinned and matching, or verified by the user just now */
  gboolean key_accepted_once; /* the user accepted the key for this session only */
  gboolean peer_was_pinned;   /* the announced key matched a pin made before this session */
  gboolean pin_from_tunnel;   /* the user verified a SHA-1 announcement: pin the SHA-256 of
                               * the certificate the handshake proves (PROTOCOL.md §2) */
  gboolean use_password;
  gboolean secured; /* the method is settled and TLS was asked to start */
  char *password;   /* owned, wiped */
  XtlsMethod method;
  XtlsDecision pending;
};

/* negotiation.c */
XtlsJingle *xtls_neg_new_jingle (XtlsNegotiation *n, XtlsJingleAction action);
/* Transfer full. */
void xtls_neg_send (XtlsNegotiation *n, XtlsJingle *j);
void xtls_neg_fail (XtlsNegotiation *n, XtlsJingleReason reason, XtlsError code,
                    const char *message);
/* Responder: the offer is admissible: judge the initiator's key and accept or ask. */
void xtls_neg_judge_offer (XtlsNegotiation *n);

/* negotiation-ft.c */
/* Adds the file-transfer parts of a <content/> (description with the file, senders). */
void xtls_neg_ft_add_content (XtlsNegotiation *n, XtlsJingle *j);
/* Responder: a file offer; FALSE if it was refused (terminated). Keeps the file. */
gboolean xtls_neg_ft_offer (XtlsNegotiation *n, const XtlsJingle *j);
/* A session-info for a file session (already acknowledged). */
void xtls_neg_ft_session_info (XtlsNegotiation *n, const XtlsJingle *j);
