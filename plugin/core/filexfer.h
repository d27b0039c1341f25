/* The file-transfer application over the security layer (XEP-0234 over the XTLS draft; issue
 * 11): the raw bytes of one file inside the TLS tunnel, counted against the announced size and
 * hashed (SHA-256, XEP-0300) on both sides. Like chat.c it does no I/O: the glue reads and
 * writes the file through XtlsFilexferOps, the session moves bytes to and from the security
 * layer, and time (deadlines) is the session's business.
 *
 * Ending (TLS close_notify semantics): the sender writes exactly the announced size, then asks
 * for close_notify (ops.close). The receiver counts the bytes; the peer's close_notify ends the
 * file, and the file is complete only if the count equals the announced size and its SHA-256
 * equals the announced hash (from the offer or a later <checksum/>, XEP-0234 §8.1). More bytes
 * than announced, fewer before close_notify, or another hash fail the transfer; the glue then
 * deletes the partial file.
 *
 * Flow control: the sender writes at most burst_bytes per xtls_filexfer_start() or
 * xtls_filexfer_writable(); the session calls writable() when the layer below has drained, so
 * at most one burst sits in buffers below us. The receiver holds nothing: every chunk goes to
 * ops.store before receive() returns.
 *
 * Callbacks must not free the engine; free it after ops.ended, from the main loop. */
#pragma once

#include <glib.h>

#include "jingle.h"

G_BEGIN_DECLS

typedef struct _XtlsFilexfer XtlsFilexfer;

#define XTLS_FILEXFER_ERROR (xtls_filexfer_error_quark ())
GQuark xtls_filexfer_error_quark (void);

/* Why a transfer ended other than COMPLETE. The glue's own read/store errors pass through in
 * their own domain (G_FILE_ERROR, G_IO_ERROR), so it can tell "disk full" apart. */
typedef enum
{
  XTLS_FILEXFER_ERROR_HASH_MISMATCH,  /* receiver: the file's SHA-256 is not the announced one */
  XTLS_FILEXFER_ERROR_TOO_LONG,       /* receiver: more bytes than the announced size */
  XTLS_FILEXFER_ERROR_TRUNCATED,      /* receiver: close_notify before the announced size */
  XTLS_FILEXFER_ERROR_HASH_CONFLICT,  /* receiver: two different hashes were announced */
  XTLS_FILEXFER_ERROR_SOURCE_CHANGED, /* sender: the file is shorter than announced, or its hash
                                       * differs from the announced one (changed on disk) */
  XTLS_FILEXFER_ERROR_TUNNEL,         /* the security layer refused bytes or closed early */
  XTLS_FILEXFER_ERROR_CANCELLED,      /* the local user cancelled */
  XTLS_FILEXFER_ERROR_PEER_CANCELLED, /* the peer cancelled or declined */
} XtlsFilexferError;

typedef enum
{
  XTLS_FILEXFER_STATE_WAITING,      /* created; the tunnel is not up yet */
  XTLS_FILEXFER_STATE_TRANSFERRING, /* file bytes flow */
  XTLS_FILEXFER_STATE_FINISHING,    /* sender: every byte written, close_notify asked for, waiting
                                     * for the receiver's confirmation; receiver: every byte and
                                     * close_notify arrived, waiting for the announced hash */
  XTLS_FILEXFER_STATE_COMPLETE,     /* receiver: verified; sender: the receiver confirmed */
  XTLS_FILEXFER_STATE_FAILED,
  XTLS_FILEXFER_STATE_CANCELLED,
} XtlsFilexferState;

typedef struct
{
  /* Sender, from the glue: up to @max bytes of the file, in order, into @buf. Returns how
   * many (1..@max), 0 at end of file, -1 with @error set on failure, or -1 without an error
   * for "none yet" (the glue calls xtls_filexfer_writable() once it has some). */
  gssize (*read) (XtlsFilexfer *ft, guint8 *buf, gsize max, GError **error, gpointer user_data);
  /* Sender, down: file bytes for the security layer (xtls_security_send). FALSE if refused. */
  gboolean (*write) (XtlsFilexfer *ft, const guint8 *data, gsize len, gpointer user_data);
  /* Sender, down: every byte is written: send close_notify, and the <checksum/> from
   * xtls_filexfer_get_digest() if the offer carried no hash. */
  void (*close) (XtlsFilexfer *ft, gpointer user_data);
  /* Receiver, to the glue: bytes to append to the partial file. FALSE with @error (disk full). */
  gboolean (*store) (XtlsFilexfer *ft, const guint8 *data, gsize len, GError **error,
                     gpointer user_data);
  /* Both: @done of @total bytes; never decreases. Optional. */
  void (*progress) (XtlsFilexfer *ft, guint64 done, guint64 total, gpointer user_data);
  /* Both, once: COMPLETE (@error NULL), FAILED or CANCELLED (@error says why). */
  void (*ended) (XtlsFilexfer *ft, XtlsFilexferState state, const GError *error,
                 gpointer user_data);
} XtlsFilexferOps;

typedef struct
{
  guint64 size;         /* the announced size, in bytes */
  const guint8 *sha256; /* the announced hash (XTLS_SHA256_LEN bytes, copied) or NULL */
  gsize chunk_size;     /* sender: bytes per read and write; 0: 16 KiB, one TLS record */
  gsize burst_bytes;    /* sender: most bytes written per start()/writable(); 0: 256 KiB */
} XtlsFilexferConfig;

#define XTLS_FILEXFER_DEFAULT_CHUNK (16 * 1024)
#define XTLS_FILEXFER_DEFAULT_BURST (256 * 1024)

/* @config is copied; @ops is borrowed and must outlive the engine; @log_id prefixes log lines
 * (copied). */
XtlsFilexfer *xtls_filexfer_new_sender (const XtlsFilexferConfig *config, const char *log_id,
                                        const XtlsFilexferOps *ops, gpointer user_data);
XtlsFilexfer *xtls_filexfer_new_receiver (const XtlsFilexferConfig *config, const char *log_id,
                                          const XtlsFilexferOps *ops, gpointer user_data);
void xtls_filexfer_free (XtlsFilexfer *ft);

/* The tunnel is up (security established): the sender writes its first burst. */
void xtls_filexfer_start (XtlsFilexfer *ft);
/* Sender: the layer below drained (or the glue has data again): write the next burst. */
void xtls_filexfer_writable (XtlsFilexfer *ft);
/* Receiver: decrypted bytes from the security layer. */
void xtls_filexfer_receive (XtlsFilexfer *ft, const guint8 *data, gsize len);
/* Both: the peer's close_notify arrived (security tls_closed without an error). */
void xtls_filexfer_peer_closed (XtlsFilexfer *ft);
/* Receiver: the hash announced in a <checksum/> (XTLS_SHA256_LEN bytes, copied). */
void xtls_filexfer_set_expected_hash (XtlsFilexfer *ft, const guint8 *sha256);
/* Sender: the receiver confirmed (<received/>, or session-terminate <success/>). */
void xtls_filexfer_confirmed (XtlsFilexfer *ft);
/* The local user cancelled / the peer cancelled or declined / something below failed
 * (@error copied). No-ops once ended. */
void xtls_filexfer_cancel (XtlsFilexfer *ft);
void xtls_filexfer_peer_cancelled (XtlsFilexfer *ft);
void xtls_filexfer_fail (XtlsFilexfer *ft, const GError *error);

XtlsFilexferState xtls_filexfer_get_state (XtlsFilexfer *ft);
const char *xtls_filexfer_state_to_string (XtlsFilexferState state);
gboolean xtls_filexfer_is_sender (XtlsFilexfer *ft);
guint64 xtls_filexfer_get_done (XtlsFilexfer *ft);
guint64 xtls_filexfer_get_size (XtlsFilexfer *ft);
/* The SHA-256 of every byte that passed, once the announced size has (transfer none, NULL
 * before): the sender's <checksum/>. */
const guint8 *xtls_filexfer_get_digest (XtlsFilexfer *ft);
/* The session-terminate reason that matches how it ended (XEP-0166 §7.4): SUCCESS, CANCEL
 * (ours), NONE (the peer cancelled: nothing to send back), FAILED_APPLICATION (size, hash,
 * file), FAILED_TRANSPORT (the tunnel). NONE while running. */
XtlsJingleReason xtls_filexfer_get_end_reason (XtlsFilexfer *ft);

G_END_DECLS
