/* What file transfer adds to the negotiation's Jingle (negotiation-ft.h). Trust, method choice
 * and downgrade protections are negotiation.c's, exactly as for chat. */
#include "negotiation-ft.h"

#include <string.h>

void
xtls_neg_ft_add_content (XtlsJingle *j, XtlsFtVersion version, const XtlsJingleFile *file)
{
  j->ft_version = version;
  /* XEP-0234 §2: the initiator sends; we never ask the peer for a file (§5 requests). */
  j->content_senders = g_strdup ("initiator");
  /* security-info carries only <security/>; offer and accept the whole description. */
  if (j->action == XTLS_JINGLE_SESSION_INITIATE || j->action == XTLS_JINGLE_SESSION_ACCEPT)
    j->file = file != NULL ? xtls_jingle_file_copy (file) : NULL;
}

XtlsJingleReason
xtls_neg_ft_check_offer (const XtlsJingle *offer, gboolean has_transport, const char **message)
{
  XtlsJingleReason problem = xtls_jingle_check_file_offer (offer);

  if (problem == XTLS_REASON_NONE && !has_transport)
    problem = XTLS_REASON_UNSUPPORTED_TRANSPORTS;
  if (problem == XTLS_REASON_NONE && offer->content_senders != NULL
      && strcmp (offer->content_senders, "initiator") != 0)
    problem = XTLS_REASON_UNSUPPORTED_APPLICATIONS; /* a request for one of our files */
  *message = problem == XTLS_REASON_SECURITY_ERROR
                 ? "the peer offered a file without encryption"
                 : "the peer's offer is not a usable encrypted file offer";
  return problem;
}

XtlsJingleInfo
xtls_neg_ft_read_info (const XtlsJingle *j, gboolean initiator, const guint8 **sha256)
{
  *sha256 = NULL;
  switch (j->info)
    {
      case XTLS_JINGLE_INFO_NONE:
        break;
      case XTLS_JINGLE_INFO_CHECKSUM:
        /* Only the receiver waits for one; a checksum without sha-256 tells us nothing. */
        if (!initiator && j->file != NULL && j->file->has_sha256)
          {
            *sha256 = j->file->sha256;
            return XTLS_JINGLE_INFO_CHECKSUM;
          }
        break;
      case XTLS_JINGLE_INFO_RECEIVED:
        if (initiator)
          return XTLS_JINGLE_INFO_RECEIVED;
        break;
    }
  return XTLS_JINGLE_INFO_NONE;
}

void
xtls_neg_ft_fill_info (XtlsJingle *j, XtlsJingleInfo info, XtlsFtVersion version,
                       const char *content_name, const char *content_creator, const guint8 *sha256)
{
  j->info = info;
  j->ft_version = version;
  j->content_name = g_strdup (content_name);
  j->content_creator = g_strdup (content_creator);
  if (sha256 != NULL)
    {
      j->file = g_new0 (XtlsJingleFile, 1);
      j->file->has_sha256 = TRUE;
      memcpy (j->file->sha256, sha256, XTLS_SHA256_LEN);
    }
}
