/* Building outer stanzas: only the current namespaces, except that replies to a peer go out
 * in the dialect it used (PROTOCOL.md §1). Output is compact and escaped. */
#include "wire-private.h"

#include <string.h>

static XtlsStanzaCondition
stanza_condition_from_ibb (XtlsIbbCondition condition)
{
  for (gsize k = XTLS_STANZA_ERROR_BAD_REQUEST; k < XTLS_STANZA_ERROR_OTHER; k++)
    {
      if (xtls_wire_stanza_conditions[k].ibb == condition)
        return (XtlsStanzaCondition)k;
    }
  return XTLS_STANZA_ERROR_OTHER;
}

/* ---- building ----------------------------------------------------------------------------- */

/* What xtls_wire_append_escaped() writes for a byte that needs it. */
static const char *
entity (guchar b)
{
  switch (b)
    {
      case '&':
        return "&amp;";
      case '<':
        return "&lt;";
      case '>':
        return "&gt;";
      case '\'':
        return "&apos;";
      case '"':
        return "&quot;";
      case '\t':
        return "&#9;";
      case '\n':
        return "&#10;";
      case '\r':
        return "&#13;";
      default:
        return ""; /* another C0 control: dropped */
    }
}

/* Escapes for both attribute values (single-quoted) and text. Whitespace controls become
 * character references so attribute normalisation cannot alter them; other C0 controls are
 * not allowed in XML 1.0 at all and are dropped. */
void
xtls_wire_append_escaped (GString *out, const char *text)
{
  g_autofree char *valid = NULL;
  const char *run;
  const char *p;

  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
  /* Runs of plain bytes are copied at once: IBB payloads are kilobytes of base64 that never
   * need escaping, and a per-byte lookup was the sender's largest cost (bench/run.sh). */
  for (run = p = text; *p != '\0'; p++)
    {
      guchar b = (guchar)*p;

      if (b >= 0x20 && b != '&' && b != '<' && b != '>' && b != '\'' && b != '"')
        continue;
      g_string_append_len (out, run, p - run);
      g_string_append (out, entity (b));
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
}

/* IBB payloads are kilobytes of base64 from our own encoder: the alphabet needs no escaping,
 * so they are copied after one check that nothing else slipped in (anything else is escaped,
 * so the stanza stays well-formed whatever a caller passes). */
static void
append_base64 (GString *out, const char *text)
{
  gsize n = strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");

  g_string_append_len (out, text, n);
  if (text[n] != '\0')
    xtls_wire_append_escaped (out, text + n);
}

void
xtls_wire_append_attr (GString *out, const char *name, const char *value)
{
  if (value == NULL)
    return;
  g_string_append_printf (out, " %s='", name);
  xtls_wire_append_escaped (out, value);
  g_string_append_c (out, '\'');
}

static void
append_security (GString *out, const XtlsJingle *jingle)
{
  g_string_append (out, "<security xmlns='" NS_XTLS "'");
  if (jingle->fingerprint == NULL && jingle->methods == 0 && !jingle->decide_together
      && !jingle->deciding)
    {
      g_string_append (out, "/>");
      return;
    }
  g_string_append_c (out, '>');
  if (jingle->fingerprint != NULL)
    {
      g_autofree char *hex = g_ascii_strdown (jingle->fingerprint, -1);

      /* SHA-1 is never ours to send (fingerprint.h); label it honestly if a caller does. */
      xtls_wire_append_attr (g_string_append (out, "<fingerprint"), "algo",
                             jingle->fingerprint_algo == XTLS_HASH_SHA1 ? "sha-1" : "sha-256");
      g_string_append_c (out, '>');
      xtls_wire_append_escaped (out, hex);
      g_string_append (out, "</fingerprint>");
    }
  if (jingle->methods & XTLS_METHOD_X509)
    g_string_append (out, "<method name='x509'/>");
  if (jingle->methods & XTLS_METHOD_SRP)
    g_string_append (out, "<method name='srp'/>");
  if (jingle->decide_together)
    g_string_append (out, "<decide-together xmlns='" NS_XTLS_DECIDE "'/>");
  if (jingle->deciding)
    g_string_append (out, "<deciding xmlns='" NS_XTLS_DECIDE "'/>");
  g_string_append (out, "</security>");
}

static void
append_content (GString *out, const XtlsJingle *jingle)
{
  gboolean file = jingle->app == XTLS_APP_FILE_TRANSFER;

  g_string_append (out, "<content");
  xtls_wire_append_attr (out, "creator",
                         jingle->content_creator ? jingle->content_creator : "initiator");
  xtls_wire_append_attr (out, "name",
                         jingle->content_name ? jingle->content_name
                         : file               ? "a-file-offer"
                                              : "xmlstream");
  xtls_wire_append_attr (out, "senders", jingle->content_senders);
  g_string_append_c (out, '>');
  /* PROTOCOL.md §1: a kaa peer (tmp Jingle) only knows the tmp application namespace. */
  if (file)
    xtls_wire_ft_append_description (out, jingle);
  else if (jingle->app != XTLS_APP_NONE)
    g_string_append (out, jingle->dialect == XTLS_JINGLE_NS_TMP
                              ? "<description xmlns='" NS_XMLSTREAM_TMP "'/>"
                              : "<description xmlns='" NS_XMLSTREAM "'/>");
  if (jingle->has_transport)
    {
      g_autofree char *block = NULL;

      g_string_append (out, jingle->ibb_version == XTLS_IBB_VERSION_0
                                ? "<transport xmlns='" NS_IBB_TRANSPORT_0 "'"
                                : "<transport xmlns='" NS_IBB_TRANSPORT_1 "'");
      if (jingle->block_size > 0)
        block = g_strdup_printf ("%u", jingle->block_size);
      xtls_wire_append_attr (out, "block-size", block);
      xtls_wire_append_attr (out, "sid", jingle->transport_sid);
      g_string_append (out, "/>");
    }
  if (jingle->s5b != NULL)
    xtls_wire_s5b_append_transport (out, jingle->s5b);
  if (jingle->has_security)
    append_security (out, jingle);
  g_string_append (out, "</content>");
}

static void
append_jingle (GString *out, const XtlsJingle *jingle)
{
  XtlsJingleReason reason = jingle->reason;
  const char *action = xtls_jingle_action_to_string (jingle->action);
  gboolean info
      = jingle->action == XTLS_JINGLE_SESSION_INFO && jingle->info != XTLS_JINGLE_INFO_NONE;
  gboolean deciding = jingle->action == XTLS_JINGLE_SESSION_INFO && jingle->deciding;

  /* Transport actions travel as OTHER plus the transport action (jingle.h). */
  if (jingle->action == XTLS_JINGLE_OTHER
      && jingle->transport_action != XTLS_JINGLE_TRANSPORT_ACTION_NONE)
    action = xtls_jingle_transport_action_to_string (jingle->transport_action);
  g_string_append_printf (out, "<jingle xmlns='%s'", xtls_wire_jingle_namespaces[jingle->dialect]);
  xtls_wire_append_attr (out, "action", action);
  xtls_wire_append_attr (out, "initiator", jingle->initiator);
  xtls_wire_append_attr (out, "responder", jingle->responder);
  xtls_wire_append_attr (out, "sid", jingle->sid);
  if (!jingle->has_content && reason == XTLS_REASON_NONE && !info && !deciding)
    {
      g_string_append (out, "/>");
      return;
    }
  g_string_append_c (out, '>');
  if (jingle->has_content)
    append_content (out, jingle);
  if (info)
    xtls_wire_ft_append_info (out, jingle);
  if (deciding)
    g_string_append (out, "<deciding xmlns='" NS_XTLS_DECIDE "'/>");
  if (reason != XTLS_REASON_NONE)
    {
      /* XEP-0166 §7.4 has no element for "other": general-error is the catch-all. */
      if (reason == XTLS_REASON_OTHER)
        reason = XTLS_REASON_GENERAL_ERROR;
      g_string_append_printf (out, "<reason><%s/>", xtls_jingle_reason_to_string (reason));
      if (jingle->reason_text != NULL)
        {
          g_string_append (out, "<text>");
          xtls_wire_append_escaped (out, jingle->reason_text);
          g_string_append (out, "</text>");
        }
      g_string_append (out, "</reason>");
    }
  g_string_append (out, "</jingle>");
}

static void
append_error (GString *out, XtlsStanzaCondition condition,
              XtlsJingleErrorCondition jingle_condition, XtlsJingleDialect dialect)
{
  const char *type;

  /* A caller that names only the Jingle condition gets the stanza condition XEP-0166 §10
   * pairs with it; the Jingle condition decides the type when there is one. */
  if (condition == XTLS_STANZA_ERROR_NONE)
    condition = xtls_wire_jingle_conditions[jingle_condition].stanza;
  type = xtls_wire_jingle_conditions[jingle_condition].type;
  if (type == NULL)
    type = xtls_wire_stanza_conditions[condition].type;
  g_string_append_printf (out, "<error type='%s'><%s xmlns='" NS_STANZAS "'/>", type,
                          xtls_wire_stanza_conditions[condition].name);
  if (jingle_condition != XTLS_JINGLE_ERROR_NONE)
    g_string_append_printf (out, "<%s xmlns='%s'/>",
                            xtls_wire_jingle_conditions[jingle_condition].name,
                            dialect == XTLS_JINGLE_NS_1 ? NS_JINGLE_ERRORS_1 : NS_JINGLE_ERRORS_0);
  g_string_append (out, "</error>");
}

/* XEP-0047 §2.1, §3, §4. Returns FALSE for a packet kind that is not a request. */
static gboolean
append_ibb (GString *out, const XtlsIbbPacket *pkt)
{
  switch (pkt->kind)
    {
      case XTLS_IBB_PACKET_OPEN:
        g_string_append (out, "<open xmlns='" NS_IBB "'");
        xtls_wire_append_attr (out, "sid", pkt->sid);
        g_string_append_printf (out, " block-size='%u' stanza='iq'/>",
                                pkt->block_size > 0 ? pkt->block_size
                                                    : XTLS_IBB_DEFAULT_BLOCK_SIZE);
        return TRUE;
      case XTLS_IBB_PACKET_DATA:
        if (pkt->seq > 65535)
          return FALSE;
        g_string_append (out, "<data xmlns='" NS_IBB "'");
        xtls_wire_append_attr (out, "sid", pkt->sid);
        g_string_append_printf (out, " seq='%u'>", pkt->seq);
        append_base64 (out, pkt->data != NULL ? pkt->data : "");
        g_string_append (out, "</data>");
        return TRUE;
      case XTLS_IBB_PACKET_CLOSE:
        g_string_append (out, "<close xmlns='" NS_IBB "'");
        xtls_wire_append_attr (out, "sid", pkt->sid);
        g_string_append (out, "/>");
        return TRUE;
      case XTLS_IBB_PACKET_RESULT:
      case XTLS_IBB_PACKET_ERROR:
        return FALSE;
    }
  return FALSE;
}

char *
xtls_wire_build_iq (const XtlsIq *iq)
{
  g_autoptr (GString) out = NULL;
  gboolean ok = FALSE;

  g_return_val_if_fail (iq != NULL, NULL);
  g_return_val_if_fail (iq->id != NULL, NULL);

  out = g_string_sized_new (256);
  g_string_append_printf (out, "<iq type='%s'", xtls_wire_iq_types[iq->type]);
  xtls_wire_append_attr (out, "id", iq->id);
  xtls_wire_append_attr (out, "to", iq->to);
  xtls_wire_append_attr (out, "from", iq->from);

  switch (iq->type)
    {
      case XTLS_IQ_RESULT:
        g_string_append (out, "/>");
        return g_string_free (g_steal_pointer (&out), FALSE);
      case XTLS_IQ_ERROR:
        g_string_append_c (out, '>');
        append_error (out, iq->condition, iq->jingle_condition,
                      iq->jingle != NULL ? iq->jingle->dialect : XTLS_JINGLE_NS_1);
        ok = TRUE;
        break;
      case XTLS_IQ_GET:
      case XTLS_IQ_SET:
        g_string_append_c (out, '>');
        if (iq->payload == XTLS_IQ_PAYLOAD_JINGLE && iq->jingle != NULL && iq->jingle->sid != NULL)
          {
            append_jingle (out, iq->jingle);
            ok = TRUE;
          }
        else if (iq->payload == XTLS_IQ_PAYLOAD_IBB && iq->ibb.sid != NULL)
          ok = append_ibb (out, &iq->ibb);
        break;
    }
  g_return_val_if_fail (ok, NULL);
  g_string_append (out, "</iq>");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
xtls_wire_build_result (const char *id, const char *to)
{
  XtlsIq iq = { .type = XTLS_IQ_RESULT, .id = (char *)id, .to = (char *)to };

  return xtls_wire_build_iq (&iq);
}

char *
xtls_wire_build_error (const char *id, const char *to, XtlsStanzaCondition condition,
                       XtlsJingleErrorCondition jingle_condition, XtlsJingleDialect dialect)
{
  g_autoptr (GString) out = NULL;

  g_return_val_if_fail (id != NULL, NULL);

  out = g_string_new ("<iq type='error'");
  xtls_wire_append_attr (out, "id", id);
  xtls_wire_append_attr (out, "to", to);
  g_string_append_c (out, '>');
  append_error (out, condition, jingle_condition, dialect);
  g_string_append (out, "</iq>");
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
xtls_wire_build_jingle (const XtlsJingle *jingle, const char *id, const char *to)
{
  XtlsIq iq = { .type = XTLS_IQ_SET,
                .id = (char *)id,
                .to = (char *)to,
                .payload = XTLS_IQ_PAYLOAD_JINGLE,
                .jingle = (XtlsJingle *)jingle };

  return xtls_wire_build_iq (&iq);
}

char *
xtls_wire_build_ibb (const XtlsIbbPacket *pkt, const char *to)
{
  XtlsIq iq = { .type = XTLS_IQ_SET };

  g_return_val_if_fail (pkt != NULL, NULL);

  iq.id = (char *)pkt->iq_id;
  iq.to = (char *)to;
  switch (pkt->kind)
    {
      case XTLS_IBB_PACKET_RESULT:
        return xtls_wire_build_result (pkt->iq_id, to);
      case XTLS_IBB_PACKET_ERROR:
        return xtls_wire_build_error (pkt->iq_id, to, stanza_condition_from_ibb (pkt->condition),
                                      XTLS_JINGLE_ERROR_NONE, XTLS_JINGLE_NS_1);
      case XTLS_IBB_PACKET_OPEN:
      case XTLS_IBB_PACKET_DATA:
      case XTLS_IBB_PACKET_CLOSE:
        break;
    }
  iq.payload = XTLS_IQ_PAYLOAD_IBB;
  iq.ibb = *pkt;
  return xtls_wire_build_iq (&iq);
}
