/* What file transfer adds to the negotiation's Jingle (XEP-0234 over the XTLS draft; issue
 * 11): the <description/> with the file in offer and accept (we send file-transfer:5 and answer
 * in the peer's version), content senders='initiator', the checks of a file offer, and
 * session-info <checksum/> (§8.1) and <received/> (§8.2). Plain functions over jingle.h values:
 * no state of their own; negotiation.c keeps the session's and calls them. */
#pragma once

#include <glib.h>

#include "jingle.h"

G_BEGIN_DECLS

/* Adds the file-transfer parts of a <content/> to @j: @version, senders and, in offer and
 * accept, the description with @file (copied; NULL: none). */
void xtls_neg_ft_add_content (XtlsJingle *j, XtlsFtVersion version, const XtlsJingleFile *file);
/* Responder: NONE if @offer is a usable encrypted file offer (@has_transport: it offers IBB);
 * else the terminate reason, and in @message why (static). */
XtlsJingleReason xtls_neg_ft_check_offer (const XtlsJingle *offer, gboolean has_transport,
                                          const char **message);
/* A file session's session-info @j, as @initiator sees it: CHECKSUM (@sha256 set: the
 * receiver's only, and only with a SHA-256), RECEIVED (the sender's only), else NONE. */
XtlsJingleInfo xtls_neg_ft_read_info (const XtlsJingle *j, gboolean initiator,
                                      const guint8 **sha256);
/* Fills session-info @j with @info for content @content_name/@content_creator; @sha256 (for
 * CHECKSUM) is XTLS_SHA256_LEN bytes. */
void xtls_neg_ft_fill_info (XtlsJingle *j, XtlsJingleInfo info, XtlsFtVersion version,
                            const char *content_name, const char *content_creator,
                            const guint8 *sha256);

G_END_DECLS
