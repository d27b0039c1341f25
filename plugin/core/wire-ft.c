/* The file-transfer payloads of the outer IQs, both ways: XEP-0234 <description/>, <file/>,
 * <checksum/> and <received/>; XEP-0300 <hash/>; the XEP-0260 SOCKS5 <transport/> with its
 * candidates and transport-info children. Sends :5 and hashes:2; accepts :4 and :3 (and their
 * hashes:1) on receipt. Everything a peer announces is bounded; a malformed payload is a parse
 * error, never a half-filled struct (wire.h). */
#include "wire-private.h"

#include "base64.h"

#include <string.h>

#include "xtls-error.h"

static const char *const ft_namespaces[] = {
  [XTLS_FT_VERSION_5] = NS_FT_5,
  [XTLS_FT_VERSION_4] = NS_FT_4,
  [XTLS_FT_VERSION_3] = NS_FT_3,
};
G_STATIC_ASSERT (G_N_ELEMENTS (ft_namespaces) == XTLS_FT_VERSION_3 + 1);

/* XEP-0300 moved to hashes:2 when XEP-0234 moved to :5; older peers expect hashes:1. */
static const char *
hashes_ns (XtlsFtVersion version)
{
  return version == XTLS_FT_VERSION_5 ? NS_HASHES_2 : NS_HASHES_1;
}

static gboolean
ft_version_from_ns (const char *ns, XtlsFtVersion *version)
{
  for (gsize i = 0; ns != NULL && i < G_N_ELEMENTS (ft_namespaces); i++)
    {
      if (strcmp (ns, ft_namespaces[i]) == 0)
        {
          *version = (XtlsFtVersion)i;
          return TRUE;
        }
    }
  return FALSE;
}

static gboolean
is_hashes_ns (const char *ns)
{
  return g_strcmp0 (ns, NS_HASHES_2) == 0 || g_strcmp0 (ns, NS_HASHES_1) == 0;
}

static gboolean
fail (GError **error, const char *what)
{
  g_set_error (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL, "malformed file transfer payload: %s", what);
  return FALSE;
}

/* An attribute that must be there and fit @max bytes; FALSE (error set) otherwise. */
static gboolean
required_attr (const xmlNode *node, const char *name, gsize max, char **out, GError **error)
{
  g_autofree char *value = xtls_wire_dup_attr (node, name);

  if (value == NULL || value[0] == '\0')
    return fail (error, name);
  if (strlen (value) > max)
    return fail (error, name);
  *out = g_steal_pointer (&value);
  return TRUE;
}

static gboolean
optional_attr (const xmlNode *node, const char *name, gsize max, char **out, GError **error)
{
  g_autofree char *value = xtls_wire_dup_attr (node, name);

  if (value != NULL && strlen (value) > max)
    return fail (error, name);
  *out = g_steal_pointer (&value);
  return TRUE;
}

/* Text of a <file/> child, at most @max bytes; FALSE (error set) if longer. */
static gboolean
bounded_text (const xmlNode *node, gsize max, const char *what, char **out, GError **error)
{
  g_autofree char *text = xtls_wire_dup_text (node);

  if (strlen (text) > max)
    return fail (error, what);
  g_free (*out);
  *out = g_steal_pointer (&text);
  return TRUE;
}

/* XEP-0234 §2: size is a count of bytes. Strict decimal, surrounding XML whitespace allowed
 * (pretty-printed stanzas), no sign, stops before it could overflow. */
static gboolean
parse_size (const char *text, guint64 *out)
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  guint64 value = 0;

  if (copy[0] == '\0')
    return FALSE;
  for (const char *p = copy; *p != '\0'; p++)
    {
      guint digit;

      if (!g_ascii_isdigit (*p))
        return FALSE;
      digit = (guint)(*p - '0');
      if (value > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      value = value * 10 + digit;
    }
  *out = value;
  return TRUE;
}

/* XEP-0300 §2: the hash is base64 (RFC 4648 §4). A SHA-256 value is exactly 44 characters,
 * the last one '=', with zero pad bits; whitespace around it is ignored. g_base64_decode()
 * would skip junk silently, so the text is checked first. */
static gboolean
parse_sha256 (const char *text, guint8 out[XTLS_SHA256_LEN])
{
  g_autofree char *copy = g_strstrip (g_strdup (text));
  g_autofree guint8 *raw = NULL;
  gsize len = 0;

  /* 44 characters exactly: no inner whitespace, one '=' of padding. */
  if (strlen (copy) != 44 || strpbrk (copy, " \t\r\n") != NULL
      || xtls_base64_decode_strict (copy, XTLS_SHA256_LEN, &raw, &len) != XTLS_BASE64_OK
      || len != XTLS_SHA256_LEN)
    return FALSE;
  memcpy (out, raw, XTLS_SHA256_LEN);
  return TRUE;
}

/* One <hash/>: only sha-256 is ours; other algorithms (sha-1, blake2b, ...) are skipped
 * unread, a sha-256 one that is not a valid digest is an error. The first sha-256 counts. */
static gboolean
parse_hash (XtlsJingleFile *file, const xmlNode *hash, GError **error)
{
  g_autofree char *algo = xtls_wire_dup_attr (hash, "algo");
  g_autofree char *text = NULL;

  if (g_strcmp0 (algo, "sha-256") != 0 || file->has_sha256)
    return TRUE;
  text = xtls_wire_dup_text (hash);
  if (!parse_sha256 (text, file->sha256))
    return fail (error, "sha-256 hash is not 32 bytes of base64");
  file->has_sha256 = TRUE;
  return TRUE;
}

/* XEP-0234 §2 <file/>; @need_name for an offer (a <checksum/>'s file carries only hashes). */
static XtlsJingleFile *
parse_file (const xmlNode *node, const char *ns, gboolean need_name, GError **error)
{
  g_autoptr (XtlsJingleFile) file = g_new0 (XtlsJingleFile, 1);
  g_autofree char *date = NULL;

  for (const xmlNode *c = node->children; c != NULL; c = c->next)
    {
      const char *name = (const char *)c->name;
      gboolean ok = TRUE;

      if (c->type != XML_ELEMENT_NODE)
        continue;
      if (is_hashes_ns (xtls_wire_node_ns (c)) && strcmp (name, "hash") == 0)
        ok = parse_hash (file, c, error);
      else if (is_hashes_ns (xtls_wire_node_ns (c)) && strcmp (name, "hashes") == 0)
        {
          /* XEP-0234 up to 0.15 (:3) wrapped the hashes in <hashes xmlns='urn:xmpp:hashes:1'>. */
          for (const xmlNode *h = c->children; ok && h != NULL; h = h->next)
            if (xtls_wire_node_is (h, "hash", xtls_wire_node_ns (c)))
              ok = parse_hash (file, h, error);
        }
      else if (g_strcmp0 (xtls_wire_node_ns (c), ns) != 0)
        continue;
      else if (strcmp (name, "name") == 0)
        ok = bounded_text (c, XTLS_FILE_MAX_NAME_BYTES, "name", &file->name, error);
      else if (strcmp (name, "media-type") == 0)
        ok = bounded_text (c, XTLS_FILE_MAX_MEDIA_TYPE_BYTES, "media-type", &file->media_type,
                           error);
      else if (strcmp (name, "desc") == 0)
        ok = bounded_text (c, XTLS_FILE_MAX_DESC_BYTES, "desc", &file->desc, error);
      else if (strcmp (name, "date") == 0)
        ok = bounded_text (c, XTLS_FILE_MAX_DATE_BYTES, "date", &date, error);
      else if (strcmp (name, "size") == 0)
        {
          g_autofree char *text = xtls_wire_dup_text (c);

          if (!parse_size (text, &file->size))
            ok = fail (error, "size is not a number");
          file->has_size = TRUE;
        }
      if (!ok)
        return NULL;
    }

  if (need_name && (file->name == NULL || file->name[0] == '\0'))
    {
      fail (error, "file without a name");
      return NULL;
    }
  /* XEP-0082 DateTime; one that does not parse is dropped: it is only ever shown. */
  if (date != NULL)
    {
      g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (g_strstrip (date), NULL);

      if (when != NULL)
        file->date = g_steal_pointer (&date);
    }
  return g_steal_pointer (&file);
}

gboolean
xtls_wire_ft_is_description (const xmlNode *node, XtlsFtVersion *version)
{
  return node->type == XML_ELEMENT_NODE && strcmp ((const char *)node->name, "description") == 0
         && ft_version_from_ns (xtls_wire_node_ns (node), version);
}

gboolean
xtls_wire_ft_parse_description (XtlsJingle *jingle, const xmlNode *description,
                                XtlsFtVersion version, GError **error)
{
  const char *ns = xtls_wire_node_ns (description);

  jingle->app = XTLS_APP_FILE_TRANSFER;
  jingle->ft_version = version;
  /* XEP-0234 §2: one <file/> per <description/>; the first counts. */
  for (const xmlNode *c = description->children; c != NULL; c = c->next)
    {
      if (xtls_wire_node_is (c, "file", ns))
        {
          /* A session-info's <checksum/> file gives way to the description's. */
          xtls_jingle_file_free (jingle->file);
          jingle->file = parse_file (c, ns, TRUE, error);
          return jingle->file != NULL;
        }
    }
  return fail (error, "description without a file");
}

gboolean
xtls_wire_ft_parse_info (XtlsJingle *jingle, const xmlNode *child, GError **error)
{
  XtlsFtVersion version;
  const char *name = (const char *)child->name;

  if (child->type != XML_ELEMENT_NODE || jingle->info != XTLS_JINGLE_INFO_NONE
      || !ft_version_from_ns (xtls_wire_node_ns (child), &version))
    return TRUE;
  if (strcmp (name, "checksum") != 0 && strcmp (name, "received") != 0)
    return TRUE;

  jingle->ft_version = version;
  g_clear_pointer (&jingle->content_name, g_free);
  g_clear_pointer (&jingle->content_creator, g_free);
  jingle->content_name = xtls_wire_dup_attr (child, "name");
  jingle->content_creator = xtls_wire_dup_attr (child, "creator");
  if (strcmp (name, "received") == 0)
    {
      jingle->info = XTLS_JINGLE_INFO_RECEIVED;
      return TRUE;
    }

  /* XEP-0234 §8.1: <checksum><file><hash/></file></checksum>. */
  for (const xmlNode *c = child->children; c != NULL; c = c->next)
    {
      if (xtls_wire_node_is (c, "file", xtls_wire_node_ns (child)))
        {
          jingle->file = parse_file (c, xtls_wire_node_ns (child), FALSE, error);
          if (jingle->file == NULL)
            return FALSE;
          jingle->info = XTLS_JINGLE_INFO_CHECKSUM;
          return TRUE;
        }
    }
  return fail (error, "checksum without a file");
}

/* ---- SOCKS5 transport (XEP-0260) ---------------------------------------------------------- */

/* XEP-0260 §2.2: cid, host, jid and priority are required; port defaults to 1080. */
static gboolean
parse_candidate (XtlsS5bTransportWire *t, const xmlNode *node, GError **error)
{
  g_autofree char *cid = NULL;
  g_autofree char *host = NULL;
  g_autofree char *jid = NULL;
  g_autofree char *port_text = xtls_wire_dup_attr (node, "port");
  g_autofree char *priority_text = xtls_wire_dup_attr (node, "priority");
  g_autofree char *type_text = xtls_wire_dup_attr (node, "type");
  guint port = 1080;
  guint priority = 0;
  XtlsS5bCandidateType type;

  if (t->candidates->len >= XTLS_S5B_MAX_CANDIDATES)
    return fail (error, "too many candidates");
  if (!required_attr (node, "cid", XTLS_S5B_MAX_TOKEN_BYTES, &cid, error)
      || !required_attr (node, "host", XTLS_S5B_MAX_TOKEN_BYTES, &host, error)
      || !required_attr (node, "jid", XTLS_S5B_MAX_JID_BYTES, &jid, error))
    return FALSE;
  if (port_text != NULL && (!xtls_wire_parse_decimal (port_text, 65535, &port) || port == 0))
    return fail (error, "candidate port");
  if (!xtls_wire_parse_decimal (priority_text, G_MAXINT32, &priority) || priority == 0)
    return fail (error, "candidate priority");
  /* XEP-0260 §2.2: an absent type means "direct". */
  type = XTLS_S5B_CANDIDATE_DIRECT;
  if (type_text != NULL && !xtls_s5b_candidate_type_from_string (type_text, &type))
    return fail (error, "candidate type");
  xtls_s5b_transport_wire_add (t, cid, host, jid, (guint16)port, (guint32)priority, type);
  return TRUE;
}

/* transport-info children (XEP-0260 §2.4-§2.5); the first one counts. */
static gboolean
parse_s5b_info (XtlsS5bTransportWire *t, const xmlNode *node, GError **error)
{
  const char *name = (const char *)node->name;

  if (t->info != XTLS_S5B_INFO_NONE)
    return TRUE;
  if (strcmp (name, "candidate-used") == 0)
    t->info = XTLS_S5B_INFO_CANDIDATE_USED;
  else if (strcmp (name, "activated") == 0)
    t->info = XTLS_S5B_INFO_ACTIVATED;
  else if (strcmp (name, "candidate-error") == 0)
    t->info = XTLS_S5B_INFO_CANDIDATE_ERROR;
  else if (strcmp (name, "proxy-error") == 0)
    t->info = XTLS_S5B_INFO_PROXY_ERROR;
  else
    return TRUE; /* unknown children are ignored (XEP-0166 §7.3 extensibility) */
  if (t->info == XTLS_S5B_INFO_CANDIDATE_USED || t->info == XTLS_S5B_INFO_ACTIVATED)
    return required_attr (node, "cid", XTLS_S5B_MAX_TOKEN_BYTES, &t->info_cid, error);
  return TRUE;
}

gboolean
xtls_wire_s5b_parse_transport (XtlsJingle *jingle, const xmlNode *transport, GError **error)
{
  g_autoptr (XtlsS5bTransportWire) t = xtls_s5b_transport_wire_new (NULL);
  g_autofree char *mode = NULL;

  if (!required_attr (transport, "sid", XTLS_S5B_MAX_TOKEN_BYTES, &t->sid, error)
      || !optional_attr (transport, "dstaddr", XTLS_S5B_MAX_TOKEN_BYTES, &t->dstaddr, error))
    return FALSE;
  mode = xtls_wire_dup_attr (transport, "mode");
  if (mode != NULL && strcmp (mode, "tcp") != 0 && strcmp (mode, "udp") != 0)
    return fail (error, "transport mode");
  t->udp = g_strcmp0 (mode, "udp") == 0;

  for (const xmlNode *c = transport->children; c != NULL; c = c->next)
    {
      gboolean ok = TRUE;

      if (c->type != XML_ELEMENT_NODE || g_strcmp0 (xtls_wire_node_ns (c), NS_S5B_TRANSPORT) != 0)
        continue;
      if (strcmp ((const char *)c->name, "candidate") == 0)
        ok = parse_candidate (t, c, error);
      else
        ok = parse_s5b_info (t, c, error);
      if (!ok)
        return FALSE;
    }
  jingle->s5b = g_steal_pointer (&t);
  return TRUE;
}

/* ---- building ----------------------------------------------------------------------------- */

static void
append_text_child (GString *out, const char *name, const char *text)
{
  if (text == NULL)
    return;
  g_string_append_printf (out, "<%s>", name);
  xtls_wire_append_escaped (out, text);
  g_string_append_printf (out, "</%s>", name);
}

static void
append_file (GString *out, const XtlsJingleFile *file, XtlsFtVersion version)
{
  g_string_append (out, "<file>");
  append_text_child (out, "date", file->date);
  append_text_child (out, "desc", file->desc);
  append_text_child (out, "media-type", file->media_type);
  append_text_child (out, "name", file->name);
  if (file->has_size)
    g_string_append_printf (out, "<size>%" G_GUINT64_FORMAT "</size>", file->size);
  if (file->has_sha256)
    {
      g_autofree char *b64 = g_base64_encode (file->sha256, XTLS_SHA256_LEN);

      g_string_append_printf (out, "<hash xmlns='%s' algo='sha-256'>%s</hash>", hashes_ns (version),
                              b64);
    }
  g_string_append (out, "</file>");
}

void
xtls_wire_ft_append_description (GString *out, const XtlsJingle *jingle)
{
  g_string_append_printf (out, "<description xmlns='%s'>", ft_namespaces[jingle->ft_version]);
  if (jingle->file != NULL)
    append_file (out, jingle->file, jingle->ft_version);
  g_string_append (out, "</description>");
}

void
xtls_wire_s5b_append_transport (GString *out, const XtlsS5bTransportWire *t)
{
  g_string_append (out, "<transport xmlns='" NS_S5B_TRANSPORT "'");
  xtls_wire_append_attr (out, "dstaddr", t->dstaddr);
  xtls_wire_append_attr (out, "mode", t->udp ? "udp" : "tcp");
  xtls_wire_append_attr (out, "sid", t->sid);
  g_string_append_c (out, '>');
  for (guint i = 0; i < t->candidates->len; i++)
    {
      const XtlsS5bCandidateWire *c = g_ptr_array_index (t->candidates, i);

      g_string_append (out, "<candidate");
      xtls_wire_append_attr (out, "cid", c->cid);
      xtls_wire_append_attr (out, "host", c->host);
      xtls_wire_append_attr (out, "jid", c->jid);
      g_string_append_printf (out, " port='%u' priority='%u'", c->port, c->priority);
      xtls_wire_append_attr (out, "type", xtls_s5b_candidate_type_to_string (c->type));
      g_string_append (out, "/>");
    }
  switch (t->info)
    {
      case XTLS_S5B_INFO_NONE:
        break;
      case XTLS_S5B_INFO_CANDIDATE_USED:
        xtls_wire_append_attr (g_string_append (out, "<candidate-used"), "cid", t->info_cid);
        g_string_append (out, "/>");
        break;
      case XTLS_S5B_INFO_ACTIVATED:
        xtls_wire_append_attr (g_string_append (out, "<activated"), "cid", t->info_cid);
        g_string_append (out, "/>");
        break;
      case XTLS_S5B_INFO_CANDIDATE_ERROR:
        g_string_append (out, "<candidate-error/>");
        break;
      case XTLS_S5B_INFO_PROXY_ERROR:
        g_string_append (out, "<proxy-error/>");
        break;
    }
  g_string_append (out, "</transport>");
}

void
xtls_wire_ft_append_info (GString *out, const XtlsJingle *jingle)
{
  const char *name;

  if (jingle->info == XTLS_JINGLE_INFO_NONE)
    return;
  name = jingle->info == XTLS_JINGLE_INFO_CHECKSUM ? "checksum" : "received";
  g_string_append_printf (out, "<%s xmlns='%s'", name, ft_namespaces[jingle->ft_version]);
  xtls_wire_append_attr (out, "creator",
                         jingle->content_creator ? jingle->content_creator : "initiator");
  xtls_wire_append_attr (out, "name", jingle->content_name);
  if (jingle->info == XTLS_JINGLE_INFO_CHECKSUM && jingle->file != NULL)
    {
      g_string_append_c (out, '>');
      append_file (out, jingle->file, jingle->ft_version);
      g_string_append_printf (out, "</%s>", name);
    }
  else
    g_string_append (out, "/>");
}

char *
xtls_wire_build_s5b_activate (const char *id, const char *to, const char *sid, const char *target)
{
  GString *out = g_string_new ("<iq type='set'");

  xtls_wire_append_attr (out, "id", id);
  xtls_wire_append_attr (out, "to", to);
  g_string_append (out, "><query xmlns='" NS_BYTESTREAMS "'");
  xtls_wire_append_attr (out, "sid", sid);
  g_string_append (out, "><activate>");
  xtls_wire_append_escaped (out, target);
  g_string_append (out, "</activate></query></iq>");
  return g_string_free (out, FALSE);
}
