/* What xfer.c (libpurple's transfer side) and xfer-hub.c (the core's file callbacks) share. */
#pragma once

#include "glue.h"
#include "xtls-error.h"

/* Pidgin redraws the transfer window on every update: at most this often (and at the end). */
#define XTLS_XFER_PROGRESS_INTERVAL_US (100 * 1000)

/* One transfer of ours: a PurpleXfer and, while it runs, its core file session. */
typedef struct
{
  PurpleAccount *account; /* borrowed; looked up again before use */
  PurpleXfer *xfer;       /* a reference of ours */
  XtlsSession *session;   /* transfer none: NULL before the offer and after file_ended */
  char *bare;             /* owned: the contact */
  char *peer;             /* owned: the full JID the file goes to, or NULL (none can) */
  char *final_path;       /* owned, receiver: the name the user chose */
  char *part_path;        /* owned, receiver: where the bytes go until they are verified */
  int fd;                 /* the file being read or written, or -1 */
  gboolean closing;       /* the account is going away: its sessions end now */
  gboolean told;          /* the user has been told why it ends (a key we would not accept) */
  gint64 last_update;     /* monotonic µs of the last purple_xfer_update_progress */
  void *request;          /* the open key or password dialog of this file session, or NULL */
  PurpleRequestType request_type;
  gpointer request_ref; /* owned: what that dialog's callbacks get (prompts.c) */
} XtlsXfer;

/* @x if it is still a live transfer, else NULL (for callbacks that kept a pointer). */
XtlsXfer *xtls_xfer_find_live (XtlsXfer *x);
/* Closes the transfer's key or password dialog, if one is open (prompts.c). */
void xtls_prompt_close_file (XtlsXfer *x);
/* The transfer of @session, or NULL. */
XtlsXfer *xtls_xfer_lookup_session (XtlsSession *session);
/* Breaks the link both ways, closes the file and drops our reference to the PurpleXfer; the
 * session, if any, is not touched. */
void xtls_xfer_release (XtlsXfer *x);
/* Closes and deletes the partial file of a receiver, if any. */
void xtls_xfer_remove_partial (XtlsXfer *x);
/* A PurpleXfer of ours (its ops drive the core) with its XtlsXfer; @peer may be NULL. */
PurpleXfer *xtls_xfer_new_purple (XtlsAccount *xa, PurpleXferType type, const char *bare,
                                  const char *peer);
/* Nothing was sent: tells the user why (@why) and asks whether to send @file (NULL: the prpl
 * asks for one) to @who unencrypted, the default being not to. */
void xtls_xfer_ask_unencrypted (XtlsAccount *xa, const char *who, const char *bare,
                                const char *file, const char *why);
