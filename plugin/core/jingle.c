/* Jingle payload structs and the few decisions that depend only on them (XEP-0166, the XTLS
 * draft, PROTOCOL.md §2 and §6). No XML here: wire.c does the conversion. */
#include "jingle.h"

#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

XtlsJingle *
xtls_jingle_new (XtlsJingleAction action, const char *sid)
{
  XtlsJingle *jingle = g_new0 (XtlsJingle, 1);

  jingle->action = action;
  jingle->dialect = XTLS_JINGLE_NS_1;
  jingle->sid = g_strdup (sid);
  jingle->app = XTLS_APP_NONE;
  jingle->ibb_version = XTLS_IBB_VERSION_1;
  jingle->fingerprint_algo = XTLS_HASH_SHA256;
  jingle->reason = XTLS_REASON_NONE;
  jingle->ft_version = XTLS_FT_VERSION_5;
  return jingle;
}

XtlsJingle *
xtls_jingle_copy (const XtlsJingle *jingle)
{
  XtlsJingle *copy;

  g_return_val_if_fail (jingle != NULL, NULL);

  copy = g_new (XtlsJingle, 1);
  *copy = *jingle;
  copy->sid = g_strdup (jingle->sid);
  copy->initiator = g_strdup (jingle->initiator);
  copy->responder = g_strdup (jingle->responder);
  copy->content_name = g_strdup (jingle->content_name);
  copy->content_creator = g_strdup (jingle->content_creator);
  copy->content_senders = g_strdup (jingle->content_senders);
  copy->file = jingle->file != NULL ? xtls_jingle_file_copy (jingle->file) : NULL;
  copy->s5b = jingle->s5b != NULL ? xtls_s5b_transport_wire_copy (jingle->s5b) : NULL;
  copy->transport_sid = g_strdup (jingle->transport_sid);
  copy->fingerprint = g_strdup (jingle->fingerprint);
  copy->reason_text = g_strdup (jingle->reason_text);
  return copy;
}

void
xtls_jingle_free (XtlsJingle *jingle)
{
  if (jingle == NULL)
    return;
  g_free (jingle->sid);
  g_free (jingle->initiator);
  g_free (jingle->responder);
  g_free (jingle->content_name);
  g_free (jingle->content_creator);
  g_free (jingle->content_senders);
  xtls_jingle_file_free (jingle->file);
  xtls_s5b_transport_wire_free (jingle->s5b);
  g_free (jingle->transport_sid);
  g_free (jingle->fingerprint);
  g_free (jingle->reason_text);
  g_free (jingle);
}

/* The action attribute values of XEP-0166 §7.2; OTHER stands for every action we do not act on. */
const char *
xtls_jingle_action_to_string (XtlsJingleAction action)
{
  switch (action)
    {
      case XTLS_JINGLE_SESSION_INITIATE:
        return "session-initiate";
      case XTLS_JINGLE_SESSION_ACCEPT:
        return "session-accept";
      case XTLS_JINGLE_SECURITY_INFO:
        return "security-info";
      case XTLS_JINGLE_SESSION_TERMINATE:
        return "session-terminate";
      case XTLS_JINGLE_SESSION_INFO:
        return "session-info";
      case XTLS_JINGLE_OTHER:
        return "other";
    }
  return "invalid";
}

const char *
xtls_jingle_transport_action_to_string (XtlsJingleTransportAction action)
{
  switch (action)
    {
      case XTLS_JINGLE_TRANSPORT_ACTION_NONE:
        return NULL;
      case XTLS_JINGLE_TRANSPORT_INFO:
        return "transport-info";
      case XTLS_JINGLE_TRANSPORT_REPLACE:
        return "transport-replace";
      case XTLS_JINGLE_TRANSPORT_ACCEPT:
        return "transport-accept";
      case XTLS_JINGLE_TRANSPORT_REJECT:
        return "transport-reject";
    }
  return NULL;
}

/* XEP-0260 §2.2 type attribute values. */
const char *
xtls_s5b_candidate_type_to_string (XtlsS5bCandidateType type)
{
  switch (type)
    {
      case XTLS_S5B_CANDIDATE_DIRECT:
        return "direct";
      case XTLS_S5B_CANDIDATE_ASSISTED:
        return "assisted";
      case XTLS_S5B_CANDIDATE_TUNNEL:
        return "tunnel";
      case XTLS_S5B_CANDIDATE_PROXY:
        return "proxy";
    }
  return "invalid";
}

gboolean
xtls_s5b_candidate_type_from_string (const char *text, XtlsS5bCandidateType *type)
{
  for (int t = XTLS_S5B_CANDIDATE_DIRECT; text != NULL && t <= XTLS_S5B_CANDIDATE_PROXY; t++)
    {
      if (strcmp (text, xtls_s5b_candidate_type_to_string ((XtlsS5bCandidateType)t)) == 0)
        {
          *type = (XtlsS5bCandidateType)t;
          return TRUE;
        }
    }
  return FALSE;
}

/* The <reason/> condition element names of XEP-0166 §7.4 (security-error: the draft §9).
 * NONE and OTHER have no element of their own. */
const char *
xtls_jingle_reason_to_string (XtlsJingleReason reason)
{
  switch (reason)
    {
      case XTLS_REASON_NONE:
        return "none";
      case XTLS_REASON_SUCCESS:
        return "success";
      case XTLS_REASON_SECURITY_ERROR:
        return "security-error";
      case XTLS_REASON_FAILED_TRANSPORT:
        return "failed-transport";
      case XTLS_REASON_FAILED_APPLICATION:
        return "failed-application";
      case XTLS_REASON_DECLINE:
        return "decline";
      case XTLS_REASON_CANCEL:
        return "cancel";
      case XTLS_REASON_TIMEOUT:
        return "timeout";
      case XTLS_REASON_GONE:
        return "gone";
      case XTLS_REASON_CONNECTIVITY_ERROR:
        return "connectivity-error";
      case XTLS_REASON_GENERAL_ERROR:
        return "general-error";
      case XTLS_REASON_UNSUPPORTED_APPLICATIONS:
        return "unsupported-applications";
      case XTLS_REASON_UNSUPPORTED_TRANSPORTS:
        return "unsupported-transports";
      case XTLS_REASON_INCOMPATIBLE_PARAMETERS:
        return "incompatible-parameters";
      case XTLS_REASON_BUSY:
        return "busy";
      case XTLS_REASON_OTHER:
        return "other";
    }
  return "invalid";
}

XtlsJingleReason
xtls_jingle_check_offer (const XtlsJingle *initiate)
{
  g_return_val_if_fail (initiate != NULL, XTLS_REASON_GENERAL_ERROR);

  /* The application is judged first: an offer for RTP or file transfer is not ours at all and
   * the caller hands it back to libpurple rather than answering it (PROTOCOL.md §3). */
  if (!initiate->has_content)
    return XTLS_REASON_UNSUPPORTED_APPLICATIONS;
  switch (initiate->app)
    {
      case XTLS_APP_XMLSTREAM:
      case XTLS_APP_XMLSTREAM_TMP:
        break;
      case XTLS_APP_NONE:
      case XTLS_APP_FILE_TRANSFER: /* a file offer is not a chat offer */
        return XTLS_REASON_UNSUPPORTED_APPLICATIONS;
    }

  /* XEP-0261 §2: the transport sid names the bytestream; without it no IBB packet could be
   * routed to this session, which is the same as having no usable transport. */
  if (!initiate->has_transport || initiate->transport_sid == NULL
      || initiate->transport_sid[0] == '\0')
    return XTLS_REASON_UNSUPPORTED_TRANSPORTS;

  /* An unencrypted xmlstream is never accepted (PROTOCOL.md §2), and a <security/> that offers
   * no method we know leaves nothing to negotiate (the draft §6: x509 and srp are the only
   * methods, both mandatory to implement, §11.1). */
  if (!initiate->has_security)
    return XTLS_REASON_SECURITY_ERROR;
  if ((initiate->methods & (XTLS_METHOD_X509 | XTLS_METHOD_SRP)) == 0)
    return XTLS_REASON_SECURITY_ERROR;

  return XTLS_REASON_NONE;
}

XtlsJingleReason
xtls_jingle_check_file_offer (const XtlsJingle *initiate)
{
  gboolean s5b_ok, ibb_ok;

  g_return_val_if_fail (initiate != NULL, XTLS_REASON_GENERAL_ERROR);

  if (!initiate->has_content || initiate->app != XTLS_APP_FILE_TRANSFER)
    return XTLS_REASON_UNSUPPORTED_APPLICATIONS;
  /* XEP-0260 §2.2 and XEP-0261 §2: the transport sid names the bytestream. */
  s5b_ok = initiate->s5b != NULL && initiate->s5b->sid != NULL && initiate->s5b->sid[0] != '\0'
           && !initiate->s5b->udp;
  ibb_ok = initiate->has_transport && initiate->transport_sid != NULL
           && initiate->transport_sid[0] != '\0';
  if (!s5b_ok && !ibb_ok)
    return XTLS_REASON_UNSUPPORTED_TRANSPORTS;
  if (!initiate->has_security || (initiate->methods & (XTLS_METHOD_X509 | XTLS_METHOD_SRP)) == 0)
    return XTLS_REASON_SECURITY_ERROR;
  /* Without the size the receiver cannot tell a complete file from a truncated one, nor bound
   * what it writes to disk (XEP-0234 §2: size is what the receiver counts against). */
  if (initiate->file == NULL || initiate->file->name == NULL || !initiate->file->has_size)
    return XTLS_REASON_FAILED_APPLICATION;
  return XTLS_REASON_NONE;
}

char *
xtls_jingle_file_safe_name (const char *name)
{
  g_autofree char *valid = NULL;
  const char *base;
  GString *out;

  if (name == NULL)
    return g_strdup ("file");
  valid = g_utf8_make_valid (name, -1);
  /* XEP-0234 §2: the name is a file name, never a path; both separators are cut off so that a
   * Windows receiver is as safe as a POSIX one. */
  base = valid;
  for (const char *p = valid; *p != '\0'; p++)
    if (*p == '/' || *p == '\\')
      base = p + 1;
  out = g_string_new (NULL);
  for (const char *p = base; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);
      gsize n = (gsize)(g_utf8_next_char (p) - p);

      if (out->len + n > 255)
        break;
      if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && ch < 0xa0) || ch == 0x200e || ch == 0x200f
          || (ch >= 0x202a && ch <= 0x202e) || (ch >= 0x2066 && ch <= 0x2069)
          || (out->len == 0 && ch == '.'))
        g_string_append_c (out, '_'); /* controls and bidi overrides hide the real extension */
      else
        g_string_append_len (out, p, (gssize)n);
    }
  if (out->len == 0)
    g_string_assign (out, "file");
  return g_string_free (out, FALSE);
}

XtlsJingleFile *
xtls_jingle_file_copy (const XtlsJingleFile *file)
{
  XtlsJingleFile *copy;

  g_return_val_if_fail (file != NULL, NULL);

  copy = g_new (XtlsJingleFile, 1);
  *copy = *file;
  copy->name = g_strdup (file->name);
  copy->media_type = g_strdup (file->media_type);
  copy->date = g_strdup (file->date);
  copy->desc = g_strdup (file->desc);
  return copy;
}

void
xtls_jingle_file_free (XtlsJingleFile *file)
{
  if (file == NULL)
    return;
  g_free (file->name);
  g_free (file->media_type);
  g_free (file->date);
  g_free (file->desc);
  g_free (file);
}

XtlsS5bTransportWire *
xtls_s5b_transport_wire_new (const char *sid)
{
  XtlsS5bTransportWire *t = g_new0 (XtlsS5bTransportWire, 1);

  t->sid = g_strdup (sid);
  t->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify)xtls_s5b_candidate_wire_free);
  t->info = XTLS_S5B_INFO_NONE;
  return t;
}

void
xtls_s5b_transport_wire_add (XtlsS5bTransportWire *transport, const char *cid, const char *host,
                             const char *jid, guint16 port, guint32 priority,
                             XtlsS5bCandidateType type)
{
  XtlsS5bCandidateWire *c;

  g_return_if_fail (transport != NULL);

  c = g_new0 (XtlsS5bCandidateWire, 1);
  c->cid = g_strdup (cid);
  c->host = g_strdup (host);
  c->jid = g_strdup (jid);
  c->port = port;
  c->priority = priority;
  c->type = type;
  g_ptr_array_add (transport->candidates, c);
}

XtlsS5bCandidateWire *
xtls_s5b_candidate_wire_copy (const XtlsS5bCandidateWire *candidate)
{
  XtlsS5bCandidateWire *copy;

  g_return_val_if_fail (candidate != NULL, NULL);

  copy = g_new (XtlsS5bCandidateWire, 1);
  *copy = *candidate;
  copy->cid = g_strdup (candidate->cid);
  copy->host = g_strdup (candidate->host);
  copy->jid = g_strdup (candidate->jid);
  return copy;
}

void
xtls_s5b_candidate_wire_free (XtlsS5bCandidateWire *candidate)
{
  if (candidate == NULL)
    return;
  g_free (candidate->cid);
  g_free (candidate->host);
  g_free (candidate->jid);
  g_free (candidate);
}

XtlsS5bTransportWire *
xtls_s5b_transport_wire_copy (const XtlsS5bTransportWire *transport)
{
  XtlsS5bTransportWire *copy;

  g_return_val_if_fail (transport != NULL, NULL);

  copy = xtls_s5b_transport_wire_new (transport->sid);
  copy->dstaddr = g_strdup (transport->dstaddr);
  copy->udp = transport->udp;
  copy->info = transport->info;
  copy->info_cid = g_strdup (transport->info_cid);
  for (guint i = 0; i < transport->candidates->len; i++)
    g_ptr_array_add (copy->candidates,
                     xtls_s5b_candidate_wire_copy (g_ptr_array_index (transport->candidates, i)));
  return copy;
}

void
xtls_s5b_transport_wire_free (XtlsS5bTransportWire *transport)
{
  if (transport == NULL)
    return;
  g_free (transport->sid);
  g_free (transport->dstaddr);
  g_ptr_array_unref (transport->candidates);
  g_free (transport->info_cid);
  g_free (transport);
}

XtlsMethod
xtls_jingle_choose_method (guint our_methods, guint peer_methods, gboolean peer_key_trusted,
                           gboolean have_password)
{
  guint common = our_methods & peer_methods;

  /* The draft §6: a responder offers x509 back only if it can verify our certificate, so x509
   * in its methods plus our own trust in its key means both handshake checks will pass. */
  if ((common & XTLS_METHOD_X509) != 0 && peer_key_trusted)
    return XTLS_METHOD_X509;
  /* The draft §8: otherwise a shared password bootstraps trust; certificates get exchanged
   * inside the SRP session. */
  if ((common & XTLS_METHOD_SRP) != 0 && have_password)
    return XTLS_METHOD_SRP;
  return 0;
}

gboolean
xtls_jingle_tie_break_we_win (const char *our_sid, const char *their_sid)
{
  g_return_val_if_fail (our_sid != NULL, FALSE);
  g_return_val_if_fail (their_sid != NULL, FALSE);

  /* PROTOCOL.md §6: both sides evaluate the same byte comparison, so exactly one session
   * survives. Equal sids cannot be ordered: both sides lose and nobody is left half-open. */
  return strcmp (our_sid, their_sid) < 0;
}

char *
xtls_jingle_make_sid (void)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  const guint n_symbols = sizeof alphabet - 1;
  /* Largest multiple of 36 below 256: bytes at or above it are redrawn so that every symbol
   * is equally likely. */
  const guint limit = 256 - 256 % n_symbols;
  char *sid = g_malloc (17);
  guint filled = 0;

  /* Sids are unguessable so that a third party cannot inject IQs into a session by guessing
   * its sid (XEP-0166 §14, XEP-0047 §5). */
  while (filled < 16)
    {
      guint8 bytes[32];

      if (gnutls_rnd (GNUTLS_RND_NONCE, bytes, sizeof bytes) != 0)
        {
          for (gsize i = 0; i < sizeof bytes; i++)
            bytes[i] = (guint8)g_random_int_range (0, 256);
        }
      for (gsize i = 0; i < sizeof bytes && filled < 16; i++)
        {
          if (bytes[i] < limit)
            sid[filled++] = alphabet[bytes[i] % n_symbols];
        }
    }
  sid[16] = '\0';
  return sid;
}
