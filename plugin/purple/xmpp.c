/* The XMPP side of the glue, through the jabber prpl's public hooks only (STYLE.md habit 9):
 * jabber-receiving-iq in, jabber-sending-xmlnode out, add_feature / contact_has_feature IPC,
 * jabber-receiving-presence for the resources that are online. Conversion between libpurple's
 * xmlnode and the core happens here and only here: xmlnode <-> text, the core's wire.c does
 * the rest. */
#include <string.h>

#include "glue.h"

#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_IBB "http://jabber.org/protocol/ibb"
#define DISCO_TIMEOUT_S 10
/* How long the acknowledgement of a message that just reached the user waits for the reply
 * to travel with it (see "outgoing stanzas" below). */
#define LONE_ACK_WAIT_MS 10
/* Presence can come from anyone (directed presence): the resource table is bounded. Buddies
 * are always tracked (the user's roster bounds them); strangers only while there is room. */
#define MAX_RESOURCES_PER_CONTACT 16
#define MAX_TRACKED_STRANGERS 256 /* strangers only while fewer contacts are tracked */

/* PROTOCOL.md §1: libpurple already advertises urn:xmpp:jingle:1 and the IBB namespace.
 * Encrypted file transfer has no feature of its own in the profile, and
 * urn:xmpp:jingle:apps:file-transfer:5 is deliberately NOT advertised: next to the IBB
 * transports above it would tell every Jingle client (Gajim, Conversations) that this client
 * takes plain Jingle file transfers, which libpurple 2.14 does not (it only does SI): their
 * ordinary transfers to Pidgin users would fail. A sender of this plugin offers encrypted
 * files to resources that do XTLS (xfer.c); one that cannot answers the offer with
 * <unsupported-applications/>, and the user is asked before anything goes unencrypted. */
static const char *const features[] = {
  XTLS_NS_XTLS,
  XTLS_NS_XMLSTREAM,
  "urn:xmpp:jingle:transports:ibb:0",
  "urn:xmpp:jingle:transports:ibb:1",
  XTLS_NS_S5B, /* encrypted file sessions (s5b-net.c); libpurple itself does not speak it */
};

/* Namespaces of the IQ payloads the core may own; everything else is not even looked at. */
static const char *const claimable[] = {
  "urn:xmpp:jingle:1",
  "urn:xmpp:jingle:0",
  "urn:xmpp:tmp:jingle",
  NS_IBB,
};

typedef struct
{
  XtlsAccount *xa; /* borrowed: the query dies with the account */
  char *id;
  char *bare;
  guint timer;
} DiscoQuery;

char *
xtls_bare_of (const char *jid)
{
  const char *slash = jid != NULL ? strchr (jid, '/') : NULL;

  if (jid == NULL)
    return NULL;
  return slash != NULL ? g_strndup (jid, slash - jid) : g_strdup (jid);
}

void
xtls_xmpp_add_features (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (features); i++)
    purple_plugin_ipc_call (xtls_glue_jabber (), "add_feature", NULL, features[i]);
}

/* ---- outgoing stanzas: one write per main-loop dispatch -------------------------------- */

/* Everything the plugin sends while handling one event (an IQ result and the IBB data IQ
 * behind it, a window of IBB acknowledgements, a Jingle reply and what follows it) leaves in
 * ONE write on the client-server socket. Written as separate writes, the second one waits in
 * the kernel for the server's ACK of the first (Nagle), which the server delays by up to 40 ms
 * (delayed ACK): measured (issue 8) as 178 ms to private and 86 ms per message on loopback
 * against 1.5 ms without the plugin.
 *
 * Why not TCP_NODELAY: libpurple keeps the socket inside the jabber prpl's private
 * JabberStream and exposes no fd through a public API (STYLE.md habit 9), and setting it
 * would change the socket for everything libpurple sends, not only for our stanzas.
 *
 * So xtls_xmpp_send() serializes each stanza into a per-account buffer and a zero-delay
 * timeout (G_PRIORITY_DEFAULT, the priority of libpurple's own socket watches, so a busy
 * socket cannot starve it) hands the whole buffer to the prpl's public send_raw, in the order
 * the stanzas were produced. send_raw is what libpurple's own sending path ends in: it emits
 * jabber-sending-text (XMPP console, other plugins), applies a SASL security layer, and
 * queues behind a partial write. Stanzas that are not ours are untouched: they still go out
 * when and as libpurple writes them. What differs for ours: jabber-sending-xmlnode no longer
 * fires for them (no plugin has a reason to rewrite Jingle/IBB IQs), and when several leave
 * in one write, jabber-sending-text carries them as one text, which the XMPP console cannot
 * parse as one element and does not show (the debug log shows every byte sent). The buffer is
 * flushed synchronously when the account signs off or the plugin unloads (xtls_xmpp_flush()
 * from account_free), so the session-terminates sent then are not lost.
 *
 * One more case is across dispatches: a message reaches the user, we acknowledge its IBB
 * data IQ, and the user (or a bot) answers a moment later: the reply's write would wait
 * behind the lone acknowledgement's. So when the only thing the handling of an incoming IQ
 * produced is one IQ result and that IQ completed a message for the user, the result waits
 * up to LONE_ACK_WAIT_MS for company; anything else we send takes it along at once. Data IQs
 * in the middle of a message, handshake flights and stop-and-wait peers are acknowledged
 * without waiting, and nobody waits for that one result (the sender's window has room).
 *
 * Over BOSH the prpl already batches, and raw text would miss the jabber:client namespace it
 * adds to xmlnodes: there each stanza goes out through jabber-sending-xmlnode as before. */

static void
emit (XtlsAccount *xa, xmlnode *node)
{
  purple_signal_emit (xtls_glue_jabber (), "jabber-sending-xmlnode", xa->gc, &node);
  if (node != NULL)
    xmlnode_free (node);
}

static PurplePluginProtocolInfo *
raw_sender (XtlsAccount *xa)
{
  PurplePlugin *prpl = xa->gc != NULL ? purple_connection_get_prpl (xa->gc) : NULL;
  PurplePluginProtocolInfo *info = prpl != NULL ? PURPLE_PLUGIN_PROTOCOL_INFO (prpl) : NULL;
  const char *bosh = purple_account_get_string (xa->account, "bosh_url", "");

  if (info == NULL || info->send_raw == NULL || (bosh != NULL && *bosh != '\0'))
    return NULL;
  return info;
}

void
xtls_xmpp_flush (XtlsAccount *xa)
{
  PurplePluginProtocolInfo *info;
  GString *out;

  if (xa->flush_timer != 0)
    {
      purple_timeout_remove (xa->flush_timer);
      xa->flush_timer = 0;
    }
  xa->flush_late = FALSE;
  xa->out_stanzas = 0;
  xa->out_lone = FALSE;
  out = g_steal_pointer (&xa->out); /* a send_raw handler may queue more */
  if (out == NULL)
    return;
  info = raw_sender (xa);
  if (info != NULL && out->len > 0 && out->len <= G_MAXINT)
    info->send_raw (xa->gc, out->str, (int)out->len);
  else if (out->len > 0)
    purple_debug_error ("xtls", "could not write %" G_GSIZE_FORMAT " bytes of stanzas\n", out->len);
  g_string_free (out, TRUE);
}

static gboolean
on_flush (gpointer data)
{
  XtlsAccount *xa = data;

  xa->flush_timer = 0;
  xtls_xmpp_flush (xa);
  return FALSE;
}

/* @late: the lone acknowledgement may wait for company; otherwise write in this dispatch. */
static void
schedule_flush (XtlsAccount *xa, gboolean late)
{
  if (xa->out == NULL || (xa->flush_timer != 0 && xa->flush_late == late))
    return;
  if (xa->flush_timer != 0)
    purple_timeout_remove (xa->flush_timer);
  xa->flush_late = late;
  xa->flush_timer = purple_timeout_add (late ? LONE_ACK_WAIT_MS : 0, on_flush, xa);
}

void
xtls_xmpp_send (XtlsAccount *xa, const char *xml)
{
  gsize len = strlen (xml);
  xmlnode *node;

  if (raw_sender (xa) != NULL)
    {
      /* The core's text goes out as it is (well-formed, escaped, without 'from': the server
       * stamps it): no parse and re-serialization per stanza. */
      if (xa->out == NULL)
        xa->out = g_string_sized_new (len);
      g_string_append_len (xa->out, xml, (gssize)len);
      xa->out_lone = ++xa->out_stanzas == 1 && g_str_has_prefix (xml, "<iq type='result'");
      schedule_flush (xa, FALSE);
      return;
    }
  node = xmlnode_from_str (xml, -1);
  if (node == NULL)
    {
      purple_debug_error ("xtls", "could not convert an outgoing stanza\n");
      return;
    }
  xtls_xmpp_flush (xa); /* keeps our order if the way of sending changed */
  emit (xa, node);
}

/* ---- disco#info fallback (XEP-0030) when caps do not tell ------------------------------ */

static void
disco_query_free (DiscoQuery *q)
{
  if (q->timer != 0)
    purple_timeout_remove (q->timer);
  g_free (q->id);
  g_free (q->bare);
  g_free (q);
}

static void
disco_finish (XtlsAccount *xa, const char *id, const char *supporting_jid)
{
  DiscoQuery *q = g_hash_table_lookup (xa->disco, id);
  XtlsContact *contact;

  if (q == NULL)
    return;
  contact = xtls_contact_get (xa, q->bare);
  g_hash_table_remove (xa->disco, id);
  xtls_conv_resolved (xa, contact, supporting_jid);
}

static gboolean
disco_timeout (gpointer data)
{
  DiscoQuery *q = data;
  g_autofree char *id = g_strdup (q->id);

  q->timer = 0;
  disco_finish (q->xa, id, NULL);
  return FALSE;
}

void
xtls_xmpp_query_support (XtlsAccount *xa, XtlsContact *contact, const char *full_jid)
{
  DiscoQuery *q = g_new0 (DiscoQuery, 1);
  xmlnode *iq = xmlnode_new ("iq");
  xmlnode *query;
  g_autofree char *text = NULL;

  q->xa = xa;
  q->id = g_strdup_printf ("xtlsdisco%" G_GUINT64_FORMAT, ++xa->next_disco);
  q->bare = g_strdup (contact->bare);
  q->timer = purple_timeout_add_seconds (DISCO_TIMEOUT_S, disco_timeout, q);
  g_hash_table_insert (xa->disco, q->id, q);
  g_free (contact->resolving);
  contact->resolving = g_strdup (full_jid);

  xmlnode_set_attrib (iq, "type", "get");
  xmlnode_set_attrib (iq, "id", q->id);
  xmlnode_set_attrib (iq, "to", full_jid);
  query = xmlnode_new_child (iq, "query");
  xmlnode_set_namespace (query, NS_DISCO_INFO);
  text = xmlnode_to_str (iq, NULL);
  xmlnode_free (iq);
  xtls_xmpp_send (xa, text); /* behind whatever of ours waits to be written */
}

/* PROTOCOL.md §1: XTLS chat needs both the xtls and the xmlstream feature. */
static gboolean
features_support_xtls (xmlnode *query)
{
  gboolean xtls = FALSE, xmlstream = FALSE;

  for (xmlnode *f = query != NULL ? xmlnode_get_child (query, "feature") : NULL; f != NULL;
       f = xmlnode_get_next_twin (f))
    {
      const char *var = xmlnode_get_attrib (f, "var");
      xtls |= g_strcmp0 (var, XTLS_NS_XTLS) == 0;
      xmlstream |= g_strcmp0 (var, XTLS_NS_XMLSTREAM) == 0;
    }
  return xtls && xmlstream;
}

static void
disco_answer (XtlsAccount *xa, const char *type, const char *id, const char *from, xmlnode *iq)
{
  xmlnode *query = xmlnode_get_child_with_namespace (iq, "query", NS_DISCO_INFO);
  gboolean ok = g_strcmp0 (type, "result") == 0 && features_support_xtls (query);

  disco_finish (xa, id, ok ? from : NULL);
}

gboolean
xtls_xmpp_peer_supports (XtlsAccount *xa, const char *full_jid)
{
  for (gsize i = 0; i < 2; i++)
    if (!GPOINTER_TO_INT (purple_plugin_ipc_call (xtls_glue_jabber (), "contact_has_feature", NULL,
                                                  xa->account, full_jid, features[i])))
      return FALSE;
  return TRUE;
}

/* ---- incoming IQs ------------------------------------------------------------------------- */

static xmlnode *
payload_of (xmlnode *iq)
{
  for (xmlnode *child = iq->child; child != NULL; child = child->next)
    if (child->type == XMLNODE_TYPE_TAG)
      return child;
  return NULL;
}

static gboolean
is_claimable (xmlnode *payload)
{
  const char *ns = payload != NULL ? xmlnode_get_namespace (payload) : NULL;

  for (gsize i = 0; ns != NULL && i < G_N_ELEMENTS (claimable); i++)
    if (strcmp (ns, claimable[i]) == 0)
      return TRUE;
  return FALSE;
}

/* Most of the bytes arrive as IBB <data/> sets: the core takes their fields as libpurple
 * parsed them, rather than the stanza serialized here and parsed again there. */
static gboolean
receive_ibb_data (XtlsAccount *xa, const char *id, const char *from, xmlnode *payload)
{
  g_autofree char *text = xmlnode_get_data (payload);

  return xtls_hub_receive_ibb_data (xa->hub, from, id, xmlnode_get_attrib (payload, "sid"),
                                    xmlnode_get_attrib (payload, "seq"), text);
}

/* First in libpurple's order (TESTING-NOTES): TRUE stops all further handling, so only what
 * the core recognises as its own (by sid, IBB sid or IQ id, and sender) is consumed. */
static gboolean
on_receiving_iq (PurpleConnection *gc, const char *type, const char *id, const char *from,
                 xmlnode *iq, gpointer data)
{
  XtlsAccount *xa = xtls_glue_find_gc (gc);
  xmlnode *payload = payload_of (iq);
  g_autofree char *xml = NULL;
  gboolean ours;
  int len = 0;

  if (xa == NULL || xa->hub == NULL || id == NULL || type == NULL)
    return FALSE;
  if (strcmp (type, "result") == 0 || strcmp (type, "error") == 0)
    {
      if (!g_str_has_prefix (id, "xtls"))
        return FALSE;
      if (g_hash_table_contains (xa->disco, id))
        {
          disco_answer (xa, type, id, from, iq);
          return TRUE;
        }
      if (xtls_s5b_net_answer (xa, type, id, from, iq))
        return TRUE;
    }
  else if (!is_claimable (payload))
    return FALSE;

  xa->delivered = FALSE;
  if (strcmp (type, "set") == 0 && strcmp (payload->name, "data") == 0
      && g_strcmp0 (xmlnode_get_namespace (payload), NS_IBB) == 0)
    ours = receive_ibb_data (xa, id, from, payload);
  else
    {
      xml = xmlnode_to_str (iq, &len);
      ours = xtls_hub_receive (xa->hub, xml, len);
    }
  if (xa->delivered && xa->out_lone)
    schedule_flush (xa, TRUE);
  xa->delivered = FALSE;
  xtls_glue_schedule (xa);
  return ours;
}

/* ---- presence: which resources are online ------------------------------------------------ */

#define NS_CAPS "http://jabber.org/protocol/caps"
#define MAX_CAPS_NODE 256

/* What we keep of one online resource. */
typedef struct
{
  int priority;
  char *client; /* owned: the client's name from its caps node, or NULL */
} Resource;

static void
resource_free (gpointer data)
{
  Resource *r = data;

  g_free (r->client);
  g_free (r);
}

/* A name for people from a caps node (XEP-0115 §4: "a URI that uniquely identifies a software
 * application"), e.g. "https://pidgin.im/" -> "Pidgin". Unknown clients show their host name;
 * anything odd gives NULL (the device is then shown by its resource alone). Transfer full. */
static char *
client_from_node (const char *node)
{
  static const struct
  {
    const char *host;
    const char *name;
  } known[] = {
    { "pidgin.im", "Pidgin" },
    { "gajim.org", "Gajim" },
    { "conversations.im", "Conversations" },
    { "dino.im", "Dino" },
    { "psi-im.org", "Psi" },
    { "monal-im.org", "Monal" },
    { "poez.io", "Poezio" },
    { "profanity-im.github.io", "Profanity" },
    { "kaidan.im", "Kaidan" },
    { "movim.eu", "Movim" },
  };
  const char *start, *end;
  g_autofree char *host = NULL;

  if (node == NULL || strlen (node) > MAX_CAPS_NODE || !g_utf8_validate (node, -1, NULL))
    return NULL;
  start = strstr (node, "://");
  start = start != NULL ? start + 3 : node;
  end = start + strcspn (start, "/?#:");
  if (end == start)
    return NULL;
  host = g_ascii_strdown (start, end - start);
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-')
      return NULL;
  if (g_str_has_prefix (host, "www."))
    memmove (host, host + 4, strlen (host + 4) + 1);
  for (gsize i = 0; i < G_N_ELEMENTS (known); i++)
    if (strcmp (host, known[i].host) == 0)
      return g_strdup (known[i].name);
  return g_steal_pointer (&host);
}

static gboolean
on_receiving_presence (PurpleConnection *gc, const char *type, const char *from, xmlnode *presence,
                       gpointer data)
{
  XtlsAccount *xa = xtls_glue_find_gc (gc);
  g_autofree char *bare = NULL;
  g_autofree char *key = NULL;
  GHashTable *online;

  if (xa == NULL || from == NULL || strchr (from, '/') == NULL)
    return FALSE;
  bare = xtls_bare_of (from);
  key = g_utf8_strdown (bare, -1);
  online = g_hash_table_lookup (xa->resources, key);
  if (type == NULL || strcmp (type, "available") == 0)
    {
      xmlnode *prio = xmlnode_get_child (presence, "priority");
      xmlnode *caps = xmlnode_get_child_with_namespace (presence, "c", NS_CAPS);
      g_autofree char *text = prio != NULL ? xmlnode_get_data (prio) : NULL;
      gboolean buddy = purple_find_buddy (xa->account, bare) != NULL;
      Resource *r;
      if (online == NULL)
        {
          if (!buddy && g_hash_table_size (xa->resources) >= MAX_TRACKED_STRANGERS)
            return FALSE;
          online = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, resource_free);
          g_hash_table_insert (xa->resources, g_strdup (key), online);
        }
      if (!g_hash_table_contains (online, from)
          && g_hash_table_size (online) >= MAX_RESOURCES_PER_CONTACT)
        return FALSE;
      r = g_new0 (Resource, 1);
      r->priority = text != NULL ? atoi (text) : 0;
      r->client = client_from_node (caps != NULL ? xmlnode_get_attrib (caps, "node") : NULL);
      g_hash_table_insert (online, g_strdup (from), r);
    }
  else if (strcmp (type, "unavailable") == 0 || strcmp (type, "error") == 0)
    {
      /* The session with that resource ends with a visible reason, which names the device
       * (so it is still in the table) and the others still online. */
      xtls_hub_peer_offline (xa->hub, from);
      xtls_glue_schedule (xa);
      online = g_hash_table_lookup (xa->resources, key); /* looked up again after the hub */
      if (online != NULL)
        {
          g_hash_table_remove (online, from);
          if (g_hash_table_size (online) == 0)
            g_hash_table_remove (xa->resources, key);
        }
    }
  return FALSE;
}

/* Best first: the highest priority (RFC 6121 §8.5.2.1.1), then by JID so that the order is
 * the same every time (menus number the devices). */
static gint
by_priority (gconstpointer a, gconstpointer b, gpointer online)
{
  const Resource *ra = g_hash_table_lookup (online, a);
  const Resource *rb = g_hash_table_lookup (online, b);

  if (ra->priority != rb->priority)
    return rb->priority - ra->priority;
  return strcmp (a, b);
}

GList *
xtls_xmpp_resources (XtlsAccount *xa, const char *bare)
{
  g_autofree char *key = g_utf8_strdown (bare, -1);
  GHashTable *online = g_hash_table_lookup (xa->resources, key);

  if (online == NULL)
    return NULL;
  return g_list_sort_with_data (g_hash_table_get_keys (online), by_priority, online);
}

const char *
xtls_xmpp_client_name (XtlsAccount *xa, const char *full_jid)
{
  g_autofree char *bare = xtls_bare_of (full_jid);
  g_autofree char *key = bare != NULL ? g_utf8_strdown (bare, -1) : NULL;
  GHashTable *online = key != NULL ? g_hash_table_lookup (xa->resources, key) : NULL;
  const Resource *r = online != NULL ? g_hash_table_lookup (online, full_jid) : NULL;

  return r != NULL ? r->client : NULL;
}

static void
on_received_im (PurpleAccount *account, const char *who, const char *text, PurpleConversation *conv,
                PurpleMessageFlags flags, gpointer data)
{
  XtlsAccount *xa = xtls_glue_find (account);

  if (xa != NULL && xa->delivering)
    xa->delivered = TRUE;
}

/* ---- messages that bypass the conversation ------------------------------------------------
 *
 * conv.c catches what the user types (sending-im-msg). Bots and other plugins calling
 * serv_send_im(), and libpurple's own away auto-reply, reach the jabber prpl without that
 * signal: for a contact whose conversation must stay private, their <message/> is caught
 * here instead, just before the prpl serializes it (our handler runs right before the prpl's
 * own sender, which is connected at PURPLE_SIGNAL_PRIORITY_HIGHEST, so other plugins have
 * made their changes). The prpl cannot take a NULL node there (2.14 serializes whatever is
 * left), so the stanza loses its body and XHTML (nothing private is left even if the next
 * step failed) and the text it becomes is dropped in jabber-sending-text, which does allow
 * cancelling. The message itself goes through the tunnel or is reported as not sent. */

static PurpleConnection *dropping_message; /* the next <message text of this gc is dropped */

static void
on_sending_xmlnode (PurpleConnection *gc, xmlnode **packet, gpointer data)
{
  xmlnode *node = packet != NULL ? *packet : NULL;
  XtlsAccount *xa;
  xmlnode *body;
  const char *to, *type;
  g_autofree char *text = NULL;

  if (node == NULL || g_strcmp0 (node->name, "message") != 0)
    return;
  type = xmlnode_get_attrib (node, "type");
  to = xmlnode_get_attrib (node, "to");
  body = xmlnode_get_child (node, "body");
  if (body == NULL || to == NULL || g_strcmp0 (type, "groupchat") == 0 || g_strcmp0 (type, "error") == 0)
    return;
  xa = xtls_glue_find (purple_connection_get_account (gc));
  if (xa == NULL)
    return;
  text = xmlnode_get_data (body);
  if (!xtls_conv_divert_stanza (xa, to, text != NULL ? text : ""))
    return;
  for (xmlnode *child; (child = xmlnode_get_child (node, "body")) != NULL
                       || (child = xmlnode_get_child (node, "html")) != NULL;)
    xmlnode_free (child);
  dropping_message = gc;
}

static void
on_sending_text (PurpleConnection *gc, char **text, gpointer data)
{
  if (dropping_message == NULL || dropping_message != gc || text == NULL || *text == NULL)
    return;
  dropping_message = NULL;
  if (g_str_has_prefix (*text, "<message"))
    *text = NULL; /* the prpl's own buffer: it frees it */
}

void
xtls_xmpp_init (PurplePlugin *plugin)
{
  PurplePlugin *jabber = xtls_glue_jabber ();

  purple_signal_connect (jabber, "jabber-receiving-iq", plugin, PURPLE_CALLBACK (on_receiving_iq),
                         NULL);
  purple_signal_connect (jabber, "jabber-receiving-presence", plugin,
                         PURPLE_CALLBACK (on_receiving_presence), NULL);
  purple_signal_connect (purple_conversations_get_handle (), "received-im-msg", plugin,
                         PURPLE_CALLBACK (on_received_im), NULL);
  purple_signal_connect_priority (jabber, "jabber-sending-xmlnode", plugin,
                                  PURPLE_CALLBACK (on_sending_xmlnode), NULL,
                                  PURPLE_SIGNAL_PRIORITY_HIGHEST - 1);
  purple_signal_connect_priority (jabber, "jabber-sending-text", plugin,
                                  PURPLE_CALLBACK (on_sending_text), NULL,
                                  PURPLE_SIGNAL_PRIORITY_HIGHEST);
}

void
xtls_disco_query_free (gpointer query)
{
  disco_query_free (query);
}
