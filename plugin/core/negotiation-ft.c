/* What file transfer adds to the negotiation (XEP-0234 over the XTLS draft; issue 11): the
 * <description/> with the file in offer and accept (we send file-transfer:5 and answer in the
 * peer's version), content senders='initiator', the user's answer to an offer before any key
 * question, and session-info <checksum/> (§8.1) and <received/> (§8.2). Trust, method choice
 * and downgrade protections are negotiation.c's, exactly as for chat. */
#include "negotiation-private.h"

#include <string.h>

void
xtls_neg_ft_add_content (XtlsNegotiation *n, XtlsJingle *j)
{
  j->ft_version = n->ft_version;
  /* XEP-0234 §2: the initiator sends; we never ask the peer for a file (§5 requests). */
  j->content_senders = g_strdup ("initiator");
  /* security-info carries only <security/>; offer and accept the whole description. */
  if (j->action == XTLS_JINGLE_SESSION_INITIATE || j->action == XTLS_JINGLE_SESSION_ACCEPT)
    j->file = n->file != NULL ? xtls_jingle_file_copy (n->file) : NULL;
}

gboolean
xtls_neg_ft_offer (XtlsNegotiation *n, const XtlsJingle *j)
{
  XtlsJingleReason problem = xtls_jingle_check_file_offer (j);

  if (j->content_name == NULL)
    {
      g_free (n->content_name);
      n->content_name = g_strdup ("a-file-offer");
    }
  n->ft_version = j->ft_version;
  if (problem == XTLS_REASON_NONE && n->transport_sid == NULL)
    problem = XTLS_REASON_UNSUPPORTED_TRANSPORTS; /* s5b only: not yet (IBB first) */
  if (problem == XTLS_REASON_NONE && j->content_senders != NULL
      && strcmp (j->content_senders, "initiator") != 0)
    problem = XTLS_REASON_UNSUPPORTED_APPLICATIONS; /* a request for one of our files */
  if (problem != XTLS_REASON_NONE)
    {
      xtls_neg_fail (n, problem, XTLS_ERROR_PROTOCOL,
                     problem == XTLS_REASON_SECURITY_ERROR
                         ? "the peer offered a file without encryption"
                         : "the peer's offer is not a usable encrypted file offer");
      return FALSE;
    }
  n->file = xtls_jingle_file_copy (j->file);
  n->file_pending = TRUE;
  return TRUE;
}

void
xtls_negotiation_accept_file (XtlsNegotiation *n, gboolean accept)
{
  if (!n->file_pending || n->stage != STAGE_OFFER_RECEIVED)
    return;
  n->file_pending = FALSE;
  NLOG (n, "the user %s the file", accept ? "accepted" : "declined");
  if (accept)
    xtls_neg_judge_offer (n);
}

gboolean
xtls_negotiation_awaits_file_answer (XtlsNegotiation *n)
{
  return n->file_pending && n->stage == STAGE_OFFER_RECEIVED;
}

void
xtls_neg_ft_session_info (XtlsNegotiation *n, const XtlsJingle *j)
{
  switch (j->info)
    {
      case XTLS_JINGLE_INFO_NONE:
        break;
      case XTLS_JINGLE_INFO_CHECKSUM:
        /* Only the receiver waits for one; a checksum without sha-256 tells us nothing. */
        if (!n->initiator && j->file != NULL && j->file->has_sha256 && n->ops->checksum != NULL)
          n->ops->checksum (n, j->file->sha256, n->user_data);
        break;
      case XTLS_JINGLE_INFO_RECEIVED:
        if (n->initiator && n->ops->received != NULL)
          n->ops->received (n, n->user_data);
        break;
    }
}

static void
send_info (XtlsNegotiation *n, XtlsJingleInfo info, const guint8 *sha256)
{
  XtlsJingle *j = xtls_neg_new_jingle (n, XTLS_JINGLE_SESSION_INFO);

  j->info = info;
  j->ft_version = n->ft_version;
  j->content_name = g_strdup (n->content_name);
  j->content_creator = g_strdup (n->content_creator);
  if (sha256 != NULL)
    {
      j->file = g_new0 (XtlsJingleFile, 1);
      j->file->has_sha256 = TRUE;
      memcpy (j->file->sha256, sha256, XTLS_SHA256_LEN);
    }
  xtls_neg_send (n, j);
}

void
xtls_negotiation_send_checksum (XtlsNegotiation *n, const guint8 *sha256)
{
  g_return_if_fail (sha256 != NULL);
  if (n->stage == STAGE_ACCEPTED)
    send_info (n, XTLS_JINGLE_INFO_CHECKSUM, sha256);
}

void
xtls_negotiation_send_received (XtlsNegotiation *n)
{
  if (n->stage == STAGE_ACCEPTED)
    send_info (n, XTLS_JINGLE_INFO_RECEIVED, NULL);
}

gboolean
xtls_negotiation_is_file (XtlsNegotiation *n)
{
  return n->app == XTLS_APP_FILE_TRANSFER;
}

const XtlsJingleFile *
xtls_negotiation_get_file (XtlsNegotiation *n)
{
  return n->file;
}
