/* Outer IQs as text <-> structs (XEP-0166, XEP-0047, XEP-0261, the XTLS draft; PROTOCOL.md §1,
 * §2, §3, §7). Parsing is a libxml2 tree read with every network and DTD feature off; building
 * is a string writer, because the output is a handful of fixed shapes. */
#include "wire-private.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>

#include "xtls-error.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (xmlDoc, xmlFreeDoc)

void
xtls_iq_free (XtlsIq *iq)
{
  if (iq == NULL)
    return;
  g_free (iq->id);
  g_free (iq->from);
  g_free (iq->to);
  xtls_jingle_free (iq->jingle);
  g_free (iq->ibb_sid_);
  g_free (iq->ibb_data_);
  g_free (iq);
}

/* ---- names ------------------------------------------------------------------------------ */

/* RFC 6120 §8.3.3 conditions: element name, the error type we send with it, and what it means
 * to the IBB engine. NONE has no element; OTHER goes out as undefined-condition. Types follow
 * RFC 6120; IBB failures are final (we close the bytestream after them, XEP-0047 §2.2), so
 * unexpected-request and item-not-found are cancel. */
const XtlsWireStanzaCondition xtls_wire_stanza_conditions[] = {
  [XTLS_STANZA_ERROR_NONE] = { NULL, "cancel", XTLS_IBB_COND_NONE },
  [XTLS_STANZA_ERROR_BAD_REQUEST] = { "bad-request", "modify", XTLS_IBB_COND_BAD_REQUEST },
  [XTLS_STANZA_ERROR_UNEXPECTED_REQUEST]
  = { "unexpected-request", "cancel", XTLS_IBB_COND_UNEXPECTED_REQUEST },
  [XTLS_STANZA_ERROR_ITEM_NOT_FOUND] = { "item-not-found", "cancel", XTLS_IBB_COND_ITEM_NOT_FOUND },
  [XTLS_STANZA_ERROR_CONFLICT] = { "conflict", "cancel", XTLS_IBB_COND_OTHER },
  [XTLS_STANZA_ERROR_NOT_ACCEPTABLE] = { "not-acceptable", "modify", XTLS_IBB_COND_NOT_ACCEPTABLE },
  [XTLS_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED]
  = { "feature-not-implemented", "cancel", XTLS_IBB_COND_OTHER },
  [XTLS_STANZA_ERROR_SERVICE_UNAVAILABLE]
  = { "service-unavailable", "cancel", XTLS_IBB_COND_OTHER },
  [XTLS_STANZA_ERROR_RECIPIENT_UNAVAILABLE]
  = { "recipient-unavailable", "wait", XTLS_IBB_COND_OTHER },
  [XTLS_STANZA_ERROR_RESOURCE_CONSTRAINT]
  = { "resource-constraint", "wait", XTLS_IBB_COND_RESOURCE_CONSTRAINT },
  [XTLS_STANZA_ERROR_OTHER] = { "undefined-condition", "cancel", XTLS_IBB_COND_OTHER },
};
G_STATIC_ASSERT (G_N_ELEMENTS (xtls_wire_stanza_conditions) == XTLS_STANZA_ERROR_OTHER + 1);

/* XEP-0166 §10 Jingle conditions, with the stanza condition and type the XEP pairs them with
 * (security-required has no pairing there; not-acceptable says what it means). */
const XtlsWireJingleCondition xtls_wire_jingle_conditions[] = {
  [XTLS_JINGLE_ERROR_NONE] = { NULL, XTLS_STANZA_ERROR_OTHER, NULL },
  [XTLS_JINGLE_ERROR_TIE_BREAK] = { "tie-break", XTLS_STANZA_ERROR_CONFLICT, "cancel" },
  [XTLS_JINGLE_ERROR_UNKNOWN_SESSION]
  = { "unknown-session", XTLS_STANZA_ERROR_ITEM_NOT_FOUND, "cancel" },
  [XTLS_JINGLE_ERROR_OUT_OF_ORDER]
  = { "out-of-order", XTLS_STANZA_ERROR_UNEXPECTED_REQUEST, "wait" },
  [XTLS_JINGLE_ERROR_UNSUPPORTED_INFO]
  = { "unsupported-info", XTLS_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED, "modify" },
  [XTLS_JINGLE_ERROR_SECURITY_REQUIRED]
  = { "security-required", XTLS_STANZA_ERROR_NOT_ACCEPTABLE, "cancel" },
};
G_STATIC_ASSERT (G_N_ELEMENTS (xtls_wire_jingle_conditions)
                 == XTLS_JINGLE_ERROR_SECURITY_REQUIRED + 1);

const char *const xtls_wire_jingle_namespaces[] = {
  [XTLS_JINGLE_NS_1] = NS_JINGLE_1,
  [XTLS_JINGLE_NS_0] = NS_JINGLE_0,
  [XTLS_JINGLE_NS_TMP] = NS_JINGLE_TMP,
};
G_STATIC_ASSERT (G_N_ELEMENTS (xtls_wire_jingle_namespaces) == XTLS_JINGLE_NS_TMP + 1);

const char *const xtls_wire_iq_types[] = {
  [XTLS_IQ_GET] = "get",
  [XTLS_IQ_SET] = "set",
  [XTLS_IQ_RESULT] = "result",
  [XTLS_IQ_ERROR] = "error",
};
G_STATIC_ASSERT (G_N_ELEMENTS (xtls_wire_iq_types) == XTLS_IQ_ERROR + 1);

/* ---- reading the document ----------------------------------------------------------------- */

/* A DOCTYPE is where entity declarations live; stopping at its very start means no entity is
 * ever declared, let alone expanded (RFC 6120 §11.1 forbids DTDs in XMPP anyway). */
static void
guard_internal_subset (void *ctx, const xmlChar *name, const xmlChar *external_id,
                       const xmlChar *system_id)
{
  xmlParserCtxtPtr ctxt = ctx;

  *(gboolean *)ctxt->_private = TRUE;
  xmlStopParser (ctxt);
}

static void
guard_entity_decl (void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                   const xmlChar *system_id, xmlChar *content)
{
  guard_internal_subset (ctx, NULL, NULL, NULL);
}

/* Hostile text must not reach stderr through libxml2's default error printer. */
static void
guard_structured_error (void *ctx, xmlErrorPtr error)
{
}

static xmlDoc *
read_document (const char *xml, gsize len, GError **error)
{
  gboolean saw_dtd = FALSE;
  xmlParserCtxtPtr ctxt;
  xmlDoc *doc;
  gboolean well_formed;
  int line;

  /* libxml2 takes a NUL as the end of the input and would ignore whatever follows it. */
  if (len == 0 || len > G_MAXINT || memchr (xml, '\0', len) != NULL)
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL,
                   "IQ text is empty, too large or contains a NUL");
      return NULL;
    }

  xmlInitParser ();
  ctxt = xmlCreateMemoryParserCtxt (xml, (int)len);
  if (ctxt == NULL)
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL, "cannot create an XML parser");
      return NULL;
    }
  /* No XML_PARSE_NOENT (entities would be substituted), no DTDLOAD/DTDATTR, no network. */
  xmlCtxtUseOptions (ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  /* Whatever process-wide defaults someone set (xmlSubstituteEntitiesDefault,
   * xmlLoadExtDtdDefaultValue), this context neither substitutes nor loads anything. */
  ctxt->replaceEntities = 0;
  ctxt->loadsubset = 0;
  ctxt->validate = 0;
  ctxt->_private = &saw_dtd;
  ctxt->sax->internalSubset = guard_internal_subset;
  ctxt->sax->externalSubset = guard_internal_subset;
  ctxt->sax->entityDecl = guard_entity_decl;
  ctxt->sax->serror = guard_structured_error;

  xmlParseDocument (ctxt);
  doc = ctxt->myDoc;
  ctxt->myDoc = NULL;
  /* Namespace well-formedness too: XMPP is namespace-aware (RFC 6120 §11.2). */
  well_formed = ctxt->wellFormed && ctxt->nsWellFormed;
  line = ctxt->lastError.line;
  xmlFreeParserCtxt (ctxt);

  if (saw_dtd || (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL)))
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL, "IQ text contains a DTD");
      xmlFreeDoc (doc);
      return NULL;
    }
  if (!well_formed || doc == NULL)
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL,
                   "IQ text is not well-formed XML (line %d)", line);
      xmlFreeDoc (doc);
      return NULL;
    }
  return doc;
}

/* ---- small tree helpers ------------------------------------------------------------------- */

const char *
xtls_wire_node_ns (const xmlNode *node)
{
  return node->ns != NULL ? (const char *)node->ns->href : NULL;
}

gboolean
xtls_wire_node_is (const xmlNode *node, const char *name, const char *ns)
{
  const char *href = xtls_wire_node_ns (node);

  return node->type == XML_ELEMENT_NODE && strcmp ((const char *)node->name, name) == 0
         && href != NULL && strcmp (href, ns) == 0;
}

/* libxml2 allocates with xmlMalloc; everything we keep is g_malloc'd. */
static char *
dup_xml_string (xmlChar *value)
{
  char *copy;

  if (value == NULL)
    return NULL;
  copy = g_strdup ((const char *)value);
  xmlFree (value);
  return copy;
}

char *
xtls_wire_dup_attr (const xmlNode *node, const char *name)
{
  return dup_xml_string (xmlGetNoNsProp (node, (const xmlChar *)name));
}

char *
xtls_wire_dup_text (const xmlNode *node)
{
  char *text = dup_xml_string (xmlNodeGetContent (node));

  return text != NULL ? text : g_strdup ("");
}

/* Strict unsigned decimal (digits only, no sign or space, leading zeros allowed) up to @max.
 * Accumulation stops as soon as the value passes @max, so a long digit run cannot overflow. */
gboolean
xtls_wire_parse_decimal (const char *text, guint max, guint *out)
{
  guint value = 0;

  if (text == NULL || *text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      value = value * 10 + (guint)(*p - '0');
      if (value > max)
        return FALSE;
    }
  *out = value;
  return TRUE;
}

/* XEP-0047 §2.1: block-size is 1..65535. Anything else (0, too large, not a number) reads as
 * absent, i.e. 0 = the default: a peer that breaks the range has told us nothing usable, and
 * the responder's session-accept restates the value both sides then use (XEP-0261 §2). */
static guint
parse_block_size (const xmlNode *node)
{
  g_autofree char *text = xtls_wire_dup_attr (node, "block-size");
  guint value = 0;

  if (!xtls_wire_parse_decimal (text, XTLS_IBB_MAX_BLOCK_SIZE, &value))
    return 0;
  return value;
}

/* ---- Jingle ----------------------------------------------------------------------------- */

static gboolean
jingle_dialect_from_ns (const char *ns, XtlsJingleDialect *dialect)
{
  for (gsize i = 0; ns != NULL && i < G_N_ELEMENTS (xtls_wire_jingle_namespaces); i++)
    {
      if (strcmp (ns, xtls_wire_jingle_namespaces[i]) == 0)
        {
          *dialect = (XtlsJingleDialect)i;
          return TRUE;
        }
    }
  return FALSE;
}

static XtlsJingleAction
parse_action (const char *text)
{
  static const XtlsJingleAction known[] = {
    XTLS_JINGLE_SESSION_INITIATE,  XTLS_JINGLE_SESSION_ACCEPT, XTLS_JINGLE_SECURITY_INFO,
    XTLS_JINGLE_SESSION_TERMINATE, XTLS_JINGLE_SESSION_INFO,
  };

  for (gsize i = 0; text != NULL && i < G_N_ELEMENTS (known); i++)
    {
      if (strcmp (text, xtls_jingle_action_to_string (known[i])) == 0)
        return known[i];
    }
  return XTLS_JINGLE_OTHER;
}

/* Transport actions stay action OTHER (jingle.h); this says which one. */
static XtlsJingleTransportAction
parse_transport_action (const char *text)
{
  for (int a = XTLS_JINGLE_TRANSPORT_INFO; text != NULL && a <= XTLS_JINGLE_TRANSPORT_REJECT; a++)
    {
      if (strcmp (text, xtls_jingle_transport_action_to_string ((XtlsJingleTransportAction)a)) == 0)
        return (XtlsJingleTransportAction)a;
    }
  return XTLS_JINGLE_TRANSPORT_ACTION_NONE;
}

static XtlsJingleReason
parse_reason_name (const char *name)
{
  for (int r = XTLS_REASON_SUCCESS; r < XTLS_REASON_OTHER; r++)
    {
      if (strcmp (name, xtls_jingle_reason_to_string ((XtlsJingleReason)r)) == 0)
        return (XtlsJingleReason)r;
    }
  return XTLS_REASON_OTHER;
}

static XtlsJingleApp
app_from_description (const xmlNode *node)
{
  if (xtls_wire_node_is (node, "description", NS_XMLSTREAM))
    return XTLS_APP_XMLSTREAM;
  if (xtls_wire_node_is (node, "description", NS_XMLSTREAM_TMP))
    return XTLS_APP_XMLSTREAM_TMP;
  return XTLS_APP_NONE;
}

static gboolean
content_is_xmlstream (const xmlNode *content)
{
  for (const xmlNode *c = content->children; c != NULL; c = c->next)
    {
      if (app_from_description (c) != XTLS_APP_NONE)
        return TRUE;
    }
  return FALSE;
}

/* The draft §6 <security/>. Several <fingerprint/>s may appear; SHA-256 is preferred over the
 * SHA-1 that kaa sent (PROTOCOL.md §7). One that does not parse leaves fingerprint NULL: the
 * offer is still read, and the caller treats the peer as one it cannot verify by x509. */
static void
parse_security (XtlsJingle *jingle, const xmlNode *security)
{
  jingle->has_security = TRUE;
  for (const xmlNode *c = security->children; c != NULL; c = c->next)
    {
      if (xtls_wire_node_is (c, "method", NS_XTLS))
        {
          g_autofree char *name = xtls_wire_dup_attr (c, "name");

          /* Unknown methods (openpgp, ...) are ignored: the draft §12 leaves the set open. */
          if (g_strcmp0 (name, "x509") == 0)
            jingle->methods |= XTLS_METHOD_X509;
          else if (g_strcmp0 (name, "srp") == 0)
            jingle->methods |= XTLS_METHOD_SRP;
        }
      else if (xtls_wire_node_is (c, "decide-together", NS_XTLS_DECIDE))
        jingle->decide_together = TRUE;
      else if (xtls_wire_node_is (c, "deciding", NS_XTLS_DECIDE))
        jingle->deciding = TRUE;
      else if (xtls_wire_node_is (c, "fingerprint", NS_XTLS))
        {
          g_autofree char *algo_attr = NULL;
          g_autofree char *text = NULL;
          XtlsHashAlgo algo = XTLS_HASH_SHA256;
          char *hex = NULL;

          if (jingle->fingerprint != NULL && jingle->fingerprint_algo == XTLS_HASH_SHA256)
            continue;
          algo_attr = xtls_wire_dup_attr (c, "algo");
          text = xtls_wire_dup_text (c);
          if (!xtls_fingerprint_parse (algo_attr, text, &algo, &hex, NULL))
            continue;
          g_free (jingle->fingerprint);
          jingle->fingerprint = hex;
          jingle->fingerprint_algo = algo;
        }
    }
}

/* XEP-0166 §7.3 <content/>; name and creator may be missing (PROTOCOL.md §2 tolerance). FALSE
 * with an error only for a malformed file-transfer or s5b payload (wire.h). */
static gboolean
parse_content (XtlsJingle *jingle, const xmlNode *content, GError **error)
{
  XtlsFtVersion ft_version;

  jingle->has_content = TRUE;
  /* A session-info <checksum/> may have named its content already; the <content/> decides. */
  g_free (jingle->content_name);
  g_free (jingle->content_creator);
  jingle->content_name = xtls_wire_dup_attr (content, "name");
  jingle->content_creator = xtls_wire_dup_attr (content, "creator");
  jingle->content_senders = xtls_wire_dup_attr (content, "senders");

  for (const xmlNode *c = content->children; c != NULL; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (jingle->app == XTLS_APP_NONE && app_from_description (c) != XTLS_APP_NONE)
        jingle->app = app_from_description (c);
      else if (jingle->app == XTLS_APP_NONE && xtls_wire_ft_is_description (c, &ft_version))
        {
          if (!xtls_wire_ft_parse_description (jingle, c, ft_version, error))
            return FALSE;
        }
      else if (!jingle->has_transport
               && (xtls_wire_node_is (c, "transport", NS_IBB_TRANSPORT_1)
                   || xtls_wire_node_is (c, "transport", NS_IBB_TRANSPORT_0)))
        {
          /* XEP-0261 §2: ibb:1 adds an explicit <open/>; ibb:0 (kaa) starts with data. */
          jingle->has_transport = TRUE;
          jingle->ibb_version = xtls_wire_node_is (c, "transport", NS_IBB_TRANSPORT_1)
                                    ? XTLS_IBB_VERSION_1
                                    : XTLS_IBB_VERSION_0;
          jingle->transport_sid = xtls_wire_dup_attr (c, "sid");
          jingle->block_size = parse_block_size (c);
        }
      else if (jingle->s5b == NULL && xtls_wire_node_is (c, "transport", NS_S5B_TRANSPORT))
        {
          if (!xtls_wire_s5b_parse_transport (jingle, c, error))
            return FALSE;
        }
      else if (!jingle->has_security && xtls_wire_node_is (c, "security", NS_XTLS))
        parse_security (jingle, c);
    }
  return TRUE;
}

/* XEP-0166 §7.4: the condition is the first element of <reason/> in the Jingle namespace
 * other than <text/>; a <reason/> without one still says the session failed. */
static void
parse_reason (XtlsJingle *jingle, const xmlNode *reason, const char *ns)
{
  for (const xmlNode *c = reason->children; c != NULL; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE || g_strcmp0 (xtls_wire_node_ns (c), ns) != 0)
        continue;
      if (strcmp ((const char *)c->name, "text") == 0)
        {
          if (jingle->reason_text == NULL)
            jingle->reason_text = xtls_wire_dup_text (c);
        }
      else if (jingle->reason == XTLS_REASON_NONE)
        jingle->reason = parse_reason_name ((const char *)c->name);
    }
  if (jingle->reason == XTLS_REASON_NONE)
    jingle->reason = XTLS_REASON_OTHER;
}

/* NULL when the element has no sid: XEP-0166 §7.1 requires one, and without it the payload
 * cannot belong to a session of ours. NULL with @error set for a malformed file-transfer or
 * s5b payload. */
static XtlsJingle *
parse_jingle (const xmlNode *node, XtlsJingleDialect dialect, GError **error)
{
  g_autofree char *sid = xtls_wire_dup_attr (node, "sid");
  g_autofree char *action = NULL;
  const char *ns = xtls_wire_node_ns (node);
  const xmlNode *content = NULL;
  gboolean content_is_ours = FALSE;
  const xmlNode *reason = NULL;
  XtlsJingle *jingle;

  if (sid == NULL || sid[0] == '\0')
    return NULL;
  action = xtls_wire_dup_attr (node, "action");
  jingle = xtls_jingle_new (parse_action (action), sid);
  if (jingle->action == XTLS_JINGLE_OTHER)
    jingle->transport_action = parse_transport_action (action);
  jingle->dialect = dialect;
  jingle->initiator = xtls_wire_dup_attr (node, "initiator");
  jingle->responder = xtls_wire_dup_attr (node, "responder");

  for (const xmlNode *c = node->children; c != NULL; c = c->next)
    {
      /* One xmlstream content is all XTLS chat uses; if a peer sends several, the xmlstream
       * one counts, else the first. Each content is scanned at most once: no quadratic walk. */
      if (xtls_wire_node_is (c, "content", ns) && !content_is_ours)
        {
          content_is_ours = content_is_xmlstream (c);
          if (content == NULL || content_is_ours)
            content = c;
        }
      else if (reason == NULL && xtls_wire_node_is (c, "reason", ns))
        reason = c;
      else if (jingle->action == XTLS_JINGLE_SESSION_INFO
               && xtls_wire_node_is (c, "deciding", NS_XTLS_DECIDE))
        jingle->deciding = TRUE;
      else if (jingle->action == XTLS_JINGLE_SESSION_INFO && c->type == XML_ELEMENT_NODE)
        {
          if (!xtls_wire_ft_parse_info (jingle, c, error))
            {
              xtls_jingle_free (jingle);
              return NULL;
            }
          if (jingle->info == XTLS_JINGLE_INFO_NONE)
            jingle->info_unknown = TRUE;
        }
    }
  if (content != NULL && !parse_content (jingle, content, error))
    {
      xtls_jingle_free (jingle);
      return NULL;
    }
  if (reason != NULL)
    parse_reason (jingle, reason, ns);
  return jingle;
}

/* ---- IBB and errors ----------------------------------------------------------------------- */

/* XEP-0047 §2-§4. Returns FALSE for an element that cannot be a packet of ours. */
static gboolean
parse_ibb (XtlsIq *iq, const xmlNode *node)
{
  if (xtls_wire_node_is (node, "open", NS_IBB))
    iq->ibb.kind = XTLS_IBB_PACKET_OPEN;
  else if (xtls_wire_node_is (node, "data", NS_IBB))
    iq->ibb.kind = XTLS_IBB_PACKET_DATA;
  else if (xtls_wire_node_is (node, "close", NS_IBB))
    iq->ibb.kind = XTLS_IBB_PACKET_CLOSE;
  else
    return FALSE;

  iq->ibb_sid_ = xtls_wire_dup_attr (node, "sid");
  if (iq->ibb_sid_ == NULL || iq->ibb_sid_[0] == '\0')
    return FALSE;
  iq->ibb.sid = iq->ibb_sid_;
  iq->ibb.iq_id = iq->id;

  switch (iq->ibb.kind)
    {
      case XTLS_IBB_PACKET_OPEN:
        iq->ibb.block_size = parse_block_size (node);
        break;
      case XTLS_IBB_PACKET_DATA:
        {
          g_autofree char *seq = xtls_wire_dup_attr (node, "seq");

          /* XEP-0047 §3: seq is a 16-bit counter. Anything else is kept as "no seq" for the IBB
           * engine to reject, so the answer can still name the packet. The text is kept raw:
           * checking the base64 is the engine's job (PROTOCOL.md §3). */
          iq->ibb.has_seq = xtls_wire_parse_decimal (seq, 65535, &iq->ibb.seq);
          if (!iq->ibb.has_seq)
            iq->ibb.seq = 0;
          iq->ibb_data_ = xtls_wire_dup_text (node);
          iq->ibb.data = iq->ibb_data_;
        }
        break;
      case XTLS_IBB_PACKET_CLOSE:
      case XTLS_IBB_PACKET_RESULT:
      case XTLS_IBB_PACKET_ERROR:
        break;
    }
  return TRUE;
}

/* RFC 6120 §8.3: the first defined condition in the stanzas namespace, plus a Jingle one
 * (XEP-0166 §10) in either errors namespace. */
static void
parse_error (XtlsIq *iq, const xmlNode *error)
{
  for (const xmlNode *c = error->children; c != NULL; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (iq->condition == XTLS_STANZA_ERROR_NONE
          && xtls_wire_node_is (c, (const char *)c->name, NS_STANZAS)
          && strcmp ((const char *)c->name, "text") != 0)
        {
          iq->condition = XTLS_STANZA_ERROR_OTHER;
          for (int k = XTLS_STANZA_ERROR_BAD_REQUEST; k < XTLS_STANZA_ERROR_OTHER; k++)
            {
              if (strcmp ((const char *)c->name, xtls_wire_stanza_conditions[k].name) == 0)
                iq->condition = (XtlsStanzaCondition)k;
            }
        }
      else if (iq->jingle_condition == XTLS_JINGLE_ERROR_NONE
               && (xtls_wire_node_is (c, (const char *)c->name, NS_JINGLE_ERRORS_1)
                   || xtls_wire_node_is (c, (const char *)c->name, NS_JINGLE_ERRORS_0)))
        {
          for (int k = XTLS_JINGLE_ERROR_TIE_BREAK; k <= XTLS_JINGLE_ERROR_SECURITY_REQUIRED; k++)
            {
              if (strcmp ((const char *)c->name, xtls_wire_jingle_conditions[k].name) == 0)
                iq->jingle_condition = (XtlsJingleErrorCondition)k;
            }
        }
    }
}

static gboolean
parse_iq_type (const char *text, XtlsIqType *type)
{
  for (gsize i = 0; text != NULL && i < G_N_ELEMENTS (xtls_wire_iq_types); i++)
    {
      if (strcmp (text, xtls_wire_iq_types[i]) == 0)
        {
          *type = (XtlsIqType)i;
          return TRUE;
        }
    }
  return FALSE;
}

/* Sorts the one payload child into the struct. In a result or error an echoed IBB element is
 * not a new request, so it counts as no payload; an echoed <jingle/> is kept (wire.h). FALSE
 * with @error for a malformed file-transfer or s5b payload. */
static gboolean
parse_payload (XtlsIq *iq, const xmlNode *child, GError **error)
{
  gboolean request = iq->type == XTLS_IQ_GET || iq->type == XTLS_IQ_SET;
  XtlsJingleDialect dialect;

  if (child == NULL)
    iq->payload = XTLS_IQ_PAYLOAD_NONE;
  else if (strcmp ((const char *)child->name, "jingle") == 0
           && jingle_dialect_from_ns (xtls_wire_node_ns (child), &dialect))
    {
      GError *local = NULL;

      iq->jingle = parse_jingle (child, dialect, &local);
      if (local != NULL)
        {
          g_propagate_error (error, local);
          return FALSE;
        }
      iq->payload = iq->jingle != NULL ? XTLS_IQ_PAYLOAD_JINGLE : XTLS_IQ_PAYLOAD_OTHER;
    }
  else if (g_strcmp0 (xtls_wire_node_ns (child), NS_IBB) == 0 && !request)
    iq->payload = XTLS_IQ_PAYLOAD_NONE;
  else if (g_strcmp0 (xtls_wire_node_ns (child), NS_IBB) == 0 && parse_ibb (iq, child))
    iq->payload = XTLS_IQ_PAYLOAD_IBB;
  else
    iq->payload = XTLS_IQ_PAYLOAD_OTHER;
  return TRUE;
}

static gboolean
fill_iq (XtlsIq *iq, const xmlNode *root, GError **error)
{
  const char *ns = xtls_wire_node_ns (root);
  g_autofree char *type = NULL;
  const xmlNode *payload = NULL;

  if (strcmp ((const char *)root->name, "iq") != 0
      || (ns != NULL && strcmp (ns, NS_CLIENT) != 0 && strcmp (ns, NS_SERVER) != 0))
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL, "not an IQ stanza");
      return FALSE;
    }
  /* RFC 6120 §8.1.3, §8.2.3: an IQ needs an id and one of the four types. */
  type = xtls_wire_dup_attr (root, "type");
  if (!parse_iq_type (type, &iq->type))
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL, "IQ without a valid type");
      return FALSE;
    }
  iq->id = xtls_wire_dup_attr (root, "id");
  if (iq->id == NULL)
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL, "IQ without an id");
      return FALSE;
    }
  iq->from = xtls_wire_dup_attr (root, "from");
  iq->to = xtls_wire_dup_attr (root, "to");

  for (const xmlNode *c = root->children; c != NULL; c = c->next)
    {
      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (iq->type == XTLS_IQ_ERROR && strcmp ((const char *)c->name, "error") == 0
          && g_strcmp0 (xtls_wire_node_ns (c), ns) == 0)
        parse_error (iq, c);
      else if (payload == NULL)
        payload = c;
    }

  if (iq->type == XTLS_IQ_RESULT || iq->type == XTLS_IQ_ERROR)
    {
      /* Answers carry no IBB payload; the engine matches them by id (ibb.h). */
      iq->ibb.kind = iq->type == XTLS_IQ_RESULT ? XTLS_IBB_PACKET_RESULT : XTLS_IBB_PACKET_ERROR;
      iq->ibb.iq_id = iq->id;
      if (iq->type == XTLS_IQ_ERROR && iq->condition == XTLS_STANZA_ERROR_NONE)
        iq->condition = XTLS_STANZA_ERROR_OTHER;
      iq->ibb.condition = xtls_wire_stanza_conditions[iq->condition].ibb;
    }
  return parse_payload (iq, payload, error);
}

XtlsIq *
xtls_wire_parse_iq (const char *xml, gssize len, GError **error)
{
  g_autoptr (xmlDoc) doc = NULL;
  const xmlNode *root;
  XtlsIq *iq;

  g_return_val_if_fail (xml != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  doc = read_document (xml, len < 0 ? strlen (xml) : (gsize)len, error);
  if (doc == NULL)
    return NULL;
  root = xmlDocGetRootElement (doc);
  if (root == NULL)
    {
      g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL, "no element");
      return NULL;
    }

  iq = g_new0 (XtlsIq, 1);
  if (!fill_iq (iq, root, error))
    g_clear_pointer (&iq, xtls_iq_free);
  return iq;
}
