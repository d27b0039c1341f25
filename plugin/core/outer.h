/* A session's outer channel: the IQs it sends through the server connection, and the ones it
 * still waits an answer for, each with an ack deadline (PROTOCOL.md §6: a peer that stops
 * answering ends the session). Building the stanzas is wire.c's job; this only addresses,
 * tracks and hands them to the host. */
#pragma once

#include "session-private.h"
#include "wire.h"

G_BEGIN_DECLS

typedef struct _XtlsOuter XtlsOuter;

/* @owner is passed to the host's send callback; @host and @peer must outlive the object. */
XtlsOuter *xtls_outer_new (const XtlsSessionHost *host, XtlsSession *owner, const char *peer);
void xtls_outer_free (XtlsOuter *outer);

/* Sends @iq as an IQ set with a fresh id and starts its ack deadline (its id, from and to are
 * filled in for the call and cleared again). */
void xtls_outer_send_set (XtlsOuter *outer, XtlsIq *iq);
void xtls_outer_send_result (XtlsOuter *outer, const char *id);
void xtls_outer_send_error (XtlsOuter *outer, const char *id, XtlsStanzaCondition condition,
                            XtlsJingleErrorCondition jingle_condition, XtlsJingleDialect dialect);
/* An IBB packet of the transport: sets are tracked under the engine's own id. */
void xtls_outer_send_ibb (XtlsOuter *outer, const XtlsIbbPacket *pkt, XtlsJingleDialect dialect);

/* @id is one of ours (answered or not). */
gboolean xtls_outer_owns (XtlsOuter *outer, const char *id);
/* An answer to @id arrived: forgets it. TRUE if it was still awaited (not abandoned). Any
 * answer also shows the peer is alive: the other deadlines count from now. */
gboolean xtls_outer_answered (XtlsOuter *outer, const char *id);
/* No deadline runs any more; the ids stay known so late answers are still recognised. */
void xtls_outer_abandon (XtlsOuter *outer);
/* The earliest ack deadline (monotonic µs), or 0. */
gint64 xtls_outer_next_deadline (XtlsOuter *outer);

G_END_DECLS
