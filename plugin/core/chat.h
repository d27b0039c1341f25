/* The chat application over the security layer (XEP-0247, PROTOCOL.md §5): the inner XML
 * stream, the messages waiting to go into it, and the in-tunnel certificate exchange (draft
 * §8.1). It writes bytes down through XtlsChatOps.write and reports up through callbacks; it
 * knows neither Jingle nor TLS.
 *
 * Fail closed: a message only ever leaves through write(), and counts as sent only once the
 * peer's stream header proved the tunnel both ways (PROTOCOL.md §4). */
#pragma once

#include <glib.h>

#include "identity.h"
#include "xmlstream.h"

G_BEGIN_DECLS

typedef struct _XtlsChat XtlsChat;

typedef enum
{
  XTLS_CHAT_END_PEER_CLOSED, /* </stream:stream> from the peer */
  XTLS_CHAT_END_PEER_ERROR,  /* the peer sent <stream:error/>: it found our stream broken */
  XTLS_CHAT_END_BAD_INPUT,   /* the peer's stream broke a rule; our <stream:error/> is sent */
} XtlsChatEnd;

typedef struct
{
  /* Down: stream bytes for the security layer. FALSE if they could not be written. */
  gboolean (*write) (XtlsChat *chat, const char *data, gsize len, gpointer user_data);
  /* Up: the peer's stream header arrived: the tunnel is proven both ways. */
  void (*opened) (XtlsChat *chat, gpointer user_data);
  /* Up: a chat message body from the (authenticated) peer. */
  void (*message) (XtlsChat *chat, const char *body, gpointer user_data);
  /* Up: message @id went into the proven tunnel (@sent) or never will (the chat stopped). */
  void (*status) (XtlsChat *chat, guint64 id, gboolean sent, gpointer user_data);
  /* Up: the peer's certificate, in answer to xtls_chat_request_certificate(). */
  void (*certificate) (XtlsChat *chat, const guint8 *der, gsize len, gpointer user_data);
  /* Up: the stream ended; @error says why for PEER_ERROR and BAD_INPUT. Once. */
  void (*ended) (XtlsChat *chat, XtlsChatEnd how, const GError *error, gpointer user_data);
} XtlsChatOps;

/* @own_jid and @peer_jid go into the stream header; @identity answers the peer's certificate
 * request (a reference is taken); @log_id prefixes log lines (copied). */
XtlsChat *xtls_chat_new (const char *own_jid, const char *peer_jid, XtlsIdentity *identity,
                         const XtlsXmlStreamLimits *limits, const char *log_id,
                         const XtlsChatOps *ops, gpointer user_data);
void xtls_chat_free (XtlsChat *chat);

/* The security layer is up: send our stream header (@stream_id: the responder's, or NULL for
 * the initiator) and write what is waiting. */
void xtls_chat_open (XtlsChat *chat, const char *stream_id);
/* Bytes from the security layer. */
void xtls_chat_receive (XtlsChat *chat, const char *data, gsize len);
/* Queues message @body (copied) under @id; written as soon as the stream is open. */
void xtls_chat_queue (XtlsChat *chat, guint64 id, const char *body);
/* Asks the peer for its certificate, inside the tunnel (after an SRP handshake). */
void xtls_chat_request_certificate (XtlsChat *chat);
/* Sends </stream:stream> (once). */
void xtls_chat_close (XtlsChat *chat);
/* Stops acting on input and reports every message not yet proven as not sent. */
void xtls_chat_stop (XtlsChat *chat);
/* The peer's stream header arrived. */
gboolean xtls_chat_is_proven (XtlsChat *chat);

G_END_DECLS
