/* The security layer (the draft's §6; PROTOCOL.md §3-§4): a transport carrying TLS, and who the
 * peer is once the handshake proved it. It knows nothing of the application on top (chat's
 * inner XML stream today, file transfer next) nor of Jingle: the session hands it the agreed
 * transport parameters and the TLS credentials, and it reports back through callbacks.
 *
 * Transports: In-Band Bytestreams (XEP-0047 over XEP-0261), driven here through the IBB engine,
 * or a byte stream the owner runs (a SOCKS5 bytestream, XEP-0260): its bytes come in through
 * xtls_security_receive_stream() and leave through XtlsSecurityOps.write_stream. Bytes that
 * arrive before the TLS credentials are known (the responder's user is typing the password)
 * are held, bounded. */
#pragma once

#include <glib.h>

#include "ibb.h"
#include "tls-channel.h"

G_BEGIN_DECLS

typedef struct _XtlsSecurity XtlsSecurity;

typedef struct
{
  /* Down (IBB): an IBB packet (open, data, close, result, error) for the outer channel. */
  void (*send_packet) (XtlsSecurity *sec, const XtlsIbbPacket *pkt, gpointer user_data);
  /* Down (byte stream): ciphertext for the stream. */
  void (*write_stream) (XtlsSecurity *sec, const guint8 *data, gsize len, gpointer user_data);
  /* Up (application): our side of the handshake finished; application data may flow. */
  void (*established) (XtlsSecurity *sec, gpointer user_data);
  /* Up (application): decrypted bytes from the peer. */
  void (*data) (XtlsSecurity *sec, const guint8 *data, gsize len, gpointer user_data);
  /* Up (owner): TLS ended: close_notify from the peer (@error NULL) or a failure. Once. */
  void (*tls_closed) (XtlsSecurity *sec, const GError *error, gpointer user_data);
  /* Up (owner): the transport failed or the peer closed it (@error set), or the <close/>
   * exchange we started completed (@error NULL). */
  void (*transport_closed) (XtlsSecurity *sec, const GError *error, gpointer user_data);
  /* Up (owner): everything written has been acknowledged by the peer. */
  void (*drained) (XtlsSecurity *sec, gpointer user_data);
  /* Up (owner): more bytes arrived before the handshake could start than we hold. */
  void (*overflow) (XtlsSecurity *sec, gpointer user_data);
} XtlsSecurityOps;

/* Over IBB; @transport: the IBB parameters agreed in Jingle (copied). */
XtlsSecurity *xtls_security_new (const XtlsIbbConfig *transport, const XtlsSecurityOps *ops,
                                 gpointer user_data);
/* Over a byte stream the owner runs (write_stream required). */
XtlsSecurity *xtls_security_new_stream (const XtlsSecurityOps *ops, gpointer user_data);
/* Byte stream: what the stream delivered. */
void xtls_security_receive_stream (XtlsSecurity *sec, const guint8 *data, gsize len);
/* Byte stream: it ended (@error NULL: the peer closed its side) or broke. Reported up as
 * transport_closed; a stream that ends before TLS closed is a truncation
 * (XTLS_ERROR_CONNECTION_LOST: a lost connection and a cut one look alike). */
void xtls_security_stream_closed (XtlsSecurity *sec, const GError *error);
/* Byte stream: everything written so far has left (the owner's buffers are empty): reported
 * up as drained, which is what lets a sender write its next burst. */
void xtls_security_stream_drained (XtlsSecurity *sec);
void xtls_security_free (XtlsSecurity *sec);

/* Opens the transport (ibb:1 <open/>; nothing for ibb:0). */
void xtls_security_open (XtlsSecurity *sec);
/* Feeds an IBB packet addressed to this transport (or a result/error it owns). */
void xtls_security_receive (XtlsSecurity *sec, const XtlsIbbPacket *pkt);
gboolean xtls_security_owns (XtlsSecurity *sec, const XtlsIbbPacket *pkt);

/* Starts TLS with @config (its strings are copied by the channel). FALSE with @error if the
 * channel could not be created. Held bytes are fed at once. */
gboolean xtls_security_start (XtlsSecurity *sec, const XtlsTlsConfig *config, GError **error);
/* TLS exists (handshake started). */
gboolean xtls_security_started (XtlsSecurity *sec);
/* Our side of the handshake finished. */
gboolean xtls_security_is_up (XtlsSecurity *sec);
gboolean xtls_security_handshaking (XtlsSecurity *sec);

/* Encrypts application bytes (only once up). */
gboolean xtls_security_send (XtlsSecurity *sec, const guint8 *data, gsize len, GError **error);
/* Sends close_notify. */
void xtls_security_close (XtlsSecurity *sec);
/* Fails the handshake from outside (deadline, lower layer broke): alert + tls_closed. */
void xtls_security_abort (XtlsSecurity *sec, const GError *error);
/* Releases TLS (keeps the transport, so late records are acknowledged, not refused). */
void xtls_security_drop_tls (XtlsSecurity *sec);
/* Starts the transport's <close/> exchange. */
void xtls_security_close_transport (XtlsSecurity *sec);
/* About how many transport bytes of ours wait to be sent or acknowledged (IBB: queued plus
 * unacknowledged blocks; 0 over a byte stream, whose buffers are its owner's). */
gsize xtls_security_get_outstanding (XtlsSecurity *sec);
/* Nothing of ours is waiting or unacknowledged on the transport (byte stream: nothing written
 * since the owner last reported it drained). */
gboolean xtls_security_is_drained (XtlsSecurity *sec);

/* After the handshake: "TLS1.3, AES-256-GCM" (transfer none, NULL before), and the peer's DER
 * certificate (x509 only; transfer none). */
const char *xtls_security_get_description (XtlsSecurity *sec);
GBytes *xtls_security_get_peer_certificate (XtlsSecurity *sec);

G_END_DECLS
