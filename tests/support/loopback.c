#include "loopback.h"

#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "loopback-net.h"
#include "test-keys.h"
#include "xtls-error.h"

typedef struct
{
  XtlsTestPeer *from;
  XtlsTestPeer *to;
  char *xml;
  gboolean held; /* already held back once this leg */
} WireItem;

static void
wire_item_free (WireItem *item)
{
  g_free (item->xml);
  g_free (item);
}

static XtlsTestPeer *
other (XtlsTestPeer *peer)
{
  return peer == peer->lb->alice ? peer->lb->bob : peer->lb->alice;
}

/* Like a real server, stamps the sender's full JID on stanzas that carry no 'from'. */
static char *
stamp_from (const char *xml, const char *jid)
{
  const char *end = strchr (xml, '>');
  g_autofree char *start_tag = end != NULL ? g_strndup (xml, end - xml) : NULL;

  if (start_tag == NULL || strstr (start_tag, " from=") != NULL || !g_str_has_prefix (xml, "<iq"))
    return g_strdup (xml);
  return g_strdup_printf ("<iq from='%s'%s", jid, xml + 3);
}

static void
peer_send (XtlsHub *hub, const char *xml, gpointer user_data)
{
  XtlsTestPeer *peer = user_data;
  WireItem *item;

  if (peer->lb->net != NULL && xtls_loopback_net_intercept (peer->lb->net, peer, xml))
    return; /* addressed to the simulated proxy */
  item = g_new0 (WireItem, 1);
  item->from = peer;
  item->to = other (peer);
  item->xml = stamp_from (xml, peer->jid);
  g_queue_push_tail (&peer->lb->in_flight, item);
}

static void
peer_state_changed (XtlsHub *hub, XtlsSession *session, XtlsTrustState state, const GError *error,
                    gpointer user_data)
{
  XtlsTestPeer *peer = user_data;

  g_array_append_val (peer->states, state);
  if (error != NULL)
    {
      g_clear_error (&peer->error);
      peer->error = g_error_copy (error);
    }
  peer->state = state;
  peer->state_leg = peer->lb->legs;
  if ((state == XTLS_STATE_PRIVATE || state == XTLS_STATE_UNVERIFIED)
      && xtls_session_get_tls_description (session) != NULL && peer->private_leg == 0)
    peer->private_leg = peer->lb->legs;
}

static void
peer_decision_needed (XtlsHub *hub, XtlsSession *session, XtlsDecision decision, gpointer user_data)
{
  XtlsTestPeer *peer = user_data;

  peer->decision = decision;
  peer->decisions++;
}

static void
peer_message_received (XtlsHub *hub, XtlsSession *session, const char *body, gpointer user_data)
{
  XtlsTestPeer *peer = user_data;

  g_ptr_array_add (peer->received, g_strdup (body));
  g_array_append_val (peer->received_legs, peer->lb->legs);
}

static void
peer_message_status (XtlsHub *hub, XtlsSession *session, guint64 id, gboolean sent,
                     gpointer user_data)
{
  XtlsTestPeer *peer = user_data;

  g_array_append_val (sent ? peer->sent_ids : peer->unsent_ids, id);
}

static void
peer_key_conflict (XtlsHub *hub, XtlsSession *session, const char *fingerprint, gpointer user_data)
{
  XtlsTestPeer *peer = user_data;

  peer->key_conflicts++;
}

static void
test_file_free (XtlsTestFile *tf)
{
  g_clear_pointer (&tf->source, g_bytes_unref);
  g_byte_array_unref (tf->stored);
  g_clear_error (&tf->error);
  g_free (tf);
}

XtlsTestFile *
xtls_test_peer_file (XtlsTestPeer *peer, XtlsSession *session)
{
  XtlsTestFile *tf = g_hash_table_lookup (peer->files, session);

  if (tf == NULL)
    {
      tf = g_new0 (XtlsTestFile, 1);
      tf->stored = g_byte_array_new ();
      g_hash_table_insert (peer->files, session, tf);
    }
  return tf;
}

XtlsSession *
xtls_test_peer_send_file (XtlsTestPeer *peer, const char *name, GBytes *contents,
                          gboolean with_hash)
{
  XtlsFileInfo info = { .name = name, .size = g_bytes_get_size (contents) };
  XtlsSession *s;

  if (with_hash)
    {
      g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      gsize len = XTLS_SHA256_LEN;

      g_checksum_update (sum, g_bytes_get_data (contents, NULL), g_bytes_get_size (contents));
      g_checksum_get_digest (sum, info.sha256, &len);
      info.has_sha256 = TRUE;
    }
  s = xtls_hub_send_file (peer->hub, other (peer)->jid, &info);
  if (s != NULL)
    xtls_test_peer_file (peer, s)->source = g_bytes_ref (contents);
  return s;
}

static void
peer_file_offered (XtlsHub *hub, XtlsSession *session, gpointer user_data)
{
  XtlsTestPeer *peer = user_data;

  xtls_test_peer_file (peer, session);
  g_ptr_array_add (peer->file_offers, session);
}

static gssize
peer_file_read (XtlsHub *hub, XtlsSession *session, guint8 *buf, gsize max, GError **error,
                gpointer user_data)
{
  XtlsTestFile *tf = xtls_test_peer_file (user_data, session);
  gsize size = tf->source != NULL ? g_bytes_get_size (tf->source) : 0;
  gsize n = MIN (max, size - tf->read_pos);

  if (tf->max_read > 0)
    n = MIN (n, tf->max_read);
  if (n > 0)
    memcpy (buf, (const guint8 *)g_bytes_get_data (tf->source, NULL) + tf->read_pos, n);
  tf->read_pos += n;
  return (gssize)n;
}

static gboolean
peer_file_store (XtlsHub *hub, XtlsSession *session, const guint8 *data, gsize len, GError **error,
                 gpointer user_data)
{
  g_byte_array_append (xtls_test_peer_file (user_data, session)->stored, data, (guint)len);
  return TRUE;
}

static void
peer_file_progress (XtlsHub *hub, XtlsSession *session, guint64 done, guint64 total,
                    gpointer user_data)
{
  XtlsTestFile *tf = xtls_test_peer_file (user_data, session);

  g_assert_cmpuint (done, >=, tf->progress);
  g_assert_cmpuint (done, <=, total);
  tf->progress = done;
}

static void
peer_file_ended (XtlsHub *hub, XtlsSession *session, const GError *error, gpointer user_data)
{
  XtlsTestFile *tf = xtls_test_peer_file (user_data, session);

  tf->ended++;
  g_clear_error (&tf->error);
  if (error != NULL)
    {
      tf->error = g_error_copy (error);
      /* What the glue does: the partial file is deleted, never left under its name. */
      g_byte_array_set_size (tf->stored, 0);
      tf->deleted = TRUE;
    }
}

static const XtlsHubOps peer_ops = {
  .file_offered = peer_file_offered,
  .file_read = peer_file_read,
  .file_store = peer_file_store,
  .file_progress = peer_file_progress,
  .file_ended = peer_file_ended,
  .key_conflict = peer_key_conflict,
  .send = peer_send,
  .state_changed = peer_state_changed,
  .decision_needed = peer_decision_needed,
  .message_received = peer_message_received,
  .message_status = peer_message_status,
};

static XtlsTestPeer *
peer_new (XtlsLoopback *lb, const char *jid, const XtlsHubConfig *config)
{
  XtlsTestPeer *peer = g_new0 (XtlsTestPeer, 1);
  g_autoptr (GError) error = NULL;
  g_autofree char *bare = g_strndup (jid, strchr (jid, '/') - jid);

  peer->lb = lb;
  peer->jid = g_strdup (jid);
  peer->identity = xtls_test_identity (bare);
  peer->trust = xtls_trust_store_new (NULL, &error);
  g_assert_no_error (error);
  peer->hub
      = xtls_hub_new (jid, peer->identity, peer->trust, &lb->clock.clock, config, &peer_ops, peer);
  peer->received = g_ptr_array_new_with_free_func (g_free);
  peer->received_legs = g_array_new (FALSE, FALSE, sizeof (guint));
  peer->sent_ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  peer->unsent_ids = g_array_new (FALSE, FALSE, sizeof (guint64));
  peer->states = g_array_new (FALSE, FALSE, sizeof (XtlsTrustState));
  peer->unclaimed = g_ptr_array_new_with_free_func (g_free);
  peer->file_offers = g_ptr_array_new ();
  peer->files = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify)test_file_free);
  return peer;
}

static void
peer_free (XtlsTestPeer *peer)
{
  xtls_hub_free (peer->hub);
  g_ptr_array_unref (peer->file_offers);
  g_hash_table_unref (peer->files);
  xtls_trust_store_free (peer->trust);
  xtls_identity_unref (peer->identity);
  g_ptr_array_unref (peer->received);
  g_array_unref (peer->received_legs);
  g_array_unref (peer->sent_ids);
  g_array_unref (peer->unsent_ids);
  g_array_unref (peer->states);
  g_ptr_array_unref (peer->unclaimed);
  g_clear_error (&peer->error);
  g_free (peer->auto_password);
  g_free (peer->jid);
  g_free (peer);
}

XtlsLoopback *
xtls_loopback_new (const XtlsHubConfig *given)
{
  /* Tests look at a session after it ended, sometimes minutes of fake time later: keep ended
   * sessions for an hour unless the test asks otherwise (the hub's own default is shorter). */
  XtlsHubConfig defaults = { .ended_linger_us = G_GINT64_CONSTANT (3600) * G_USEC_PER_SEC };
  XtlsHubConfig copy = given != NULL ? *given : defaults;
  const XtlsHubConfig *config = &copy;
  XtlsLoopback *lb = g_new0 (XtlsLoopback, 1);

  if (copy.ended_linger_us == 0)
    copy.ended_linger_us = defaults.ended_linger_us;

  xtls_fake_clock_init (&lb->clock);
  g_queue_init (&lb->in_flight);
  lb->leg_latency_us = 20 * 1000;
  lb->wire_log = g_ptr_array_new_with_free_func (g_free);
  lb->alice = peer_new (lb, "alice@example.org/laptop", config);
  lb->bob = peer_new (lb, "bob@example.net/phone", config);
  return lb;
}

void
xtls_loopback_free (XtlsLoopback *lb)
{
  /* Hubs end their sessions politely on free; what they send then goes nowhere. */
  if (lb->net != NULL)
    xtls_loopback_net_detach (lb->net);
  peer_free (lb->alice);
  peer_free (lb->bob);
  g_queue_clear_full (&lb->in_flight, (GDestroyNotify)wire_item_free);
  g_ptr_array_unref (lb->wire_log);
  g_clear_pointer (&lb->net, xtls_loopback_net_free);
  g_free (lb);
}

void
xtls_loopback_pin_both (XtlsLoopback *lb)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (xtls_trust_store_pin (lb->alice->trust, "bob@example.net",
                                       xtls_identity_get_fingerprint (lb->bob->identity),
                                       XTLS_VERIFIED_FINGERPRINT, 0, &error));
  g_assert_true (xtls_trust_store_pin (lb->bob->trust, "alice@example.org",
                                       xtls_identity_get_fingerprint (lb->alice->identity),
                                       XTLS_VERIFIED_FINGERPRINT, 0, &error));
  g_assert_no_error (error);
}

XtlsSession *
xtls_test_peer_session (XtlsTestPeer *peer)
{
  return xtls_hub_lookup (peer->hub, other (peer)->jid);
}

static void
answer_decision (XtlsTestPeer *peer, XtlsSession *s)
{
  if (s == NULL || !peer->auto_answer)
    return;
  switch (xtls_session_get_pending_decision (s))
    {
      case XTLS_DECISION_NONE:
        break;
      case XTLS_DECISION_UNKNOWN_KEY:
        xtls_session_decide (s, peer->answer);
        if (peer->answer == XTLS_ANSWER_USE_PASSWORD && peer->auto_password != NULL)
          xtls_session_supply_password (s, peer->auto_password);
        break;
      case XTLS_DECISION_PASSWORD:
        if (peer->auto_password != NULL)
          xtls_session_supply_password (s, peer->auto_password);
        else
          xtls_session_decide (s, XTLS_ANSWER_CANCEL);
        break;
    }
}

static void
apply_answers (XtlsTestPeer *peer)
{
  g_autoptr (GList) sessions = g_hash_table_get_keys (peer->files);

  answer_decision (peer, xtls_test_peer_session (peer));
  for (guint i = 0; i < peer->file_offers->len; i++)
    {
      XtlsSession *s = g_ptr_array_index (peer->file_offers, i);
      XtlsTestFile *tf = xtls_test_peer_file (peer, s);

      if (!tf->answered && peer->file_answer != 0)
        {
          tf->answered = TRUE;
          xtls_session_accept_file (s, peer->file_answer > 0);
        }
    }
  for (GList *l = sessions; l != NULL; l = l->next)
    answer_decision (peer, l->data);
}

/* XTLS_LOOPBACK_IBB_FIELDS=1 hands IBB <data/> sets to the hub as the glue does
 * (xtls_hub_receive_ibb_data, fields parsed here as libpurple would), so the suites check
 * that entry point gives the same answers as the text one. -1: not such a stanza. */
static int
deliver_ibb_fields (XtlsHub *hub, const char *xml)
{
  static int enabled = -1;
  xmlDoc *doc;
  xmlNode *root, *data = NULL;
  int ours = -1;

  if (enabled < 0)
    enabled = g_strcmp0 (g_getenv ("XTLS_LOOPBACK_IBB_FIELDS"), "1") == 0;
  if (!enabled || strstr (xml, "http://jabber.org/protocol/ibb") == NULL)
    return -1;
  doc = xmlReadMemory (xml, (int)strlen (xml), NULL, NULL, XML_PARSE_NONET);
  root = doc != NULL ? xmlDocGetRootElement (doc) : NULL;
  for (xmlNode *c = root != NULL ? root->children : NULL; c != NULL && data == NULL; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      data = c;
  if (data != NULL && strcmp ((const char *)data->name, "data") == 0 && data->ns != NULL
      && strcmp ((const char *)data->ns->href, "http://jabber.org/protocol/ibb") == 0)
    {
      g_autofree char *type = (char *)xmlGetProp (root, BAD_CAST "type");
      g_autofree char *id = (char *)xmlGetProp (root, BAD_CAST "id");
      g_autofree char *from = (char *)xmlGetProp (root, BAD_CAST "from");
      g_autofree char *sid = (char *)xmlGetProp (data, BAD_CAST "sid");
      g_autofree char *seq = (char *)xmlGetProp (data, BAD_CAST "seq");
      g_autofree char *text = (char *)xmlNodeGetContent (data);
      if (g_strcmp0 (type, "set") == 0)
        ours = xtls_hub_receive_ibb_data (hub, from, id, sid, seq, text);
    }
  xmlFreeDoc (doc);
  return ours;
}

static void
deliver (XtlsLoopback *lb, WireItem *item)
{
  int fields = deliver_ibb_fields (item->to->hub, item->xml);

  g_ptr_array_add (lb->wire_log, g_strdup (item->xml));
  if (fields == 0 || (fields < 0 && !xtls_hub_receive (item->to->hub, item->xml, -1)))
    g_ptr_array_add (item->to->unclaimed, g_strdup (item->xml));
}

guint
xtls_loopback_leg (XtlsLoopback *lb)
{
  guint n, delivered = 0, shaped = 0;
  GQueue held = G_QUEUE_INIT;
  GQueue later = G_QUEUE_INIT;

  apply_answers (lb->alice);
  apply_answers (lb->bob);
  n = g_queue_get_length (&lb->in_flight);
  if (n == 0 && (lb->net == NULL || !xtls_loopback_net_busy (lb->net)))
    return 0;
  lb->legs++;
  xtls_fake_clock_advance (&lb->clock, lb->leg_latency_us);
  /* The sockets move what was written before this leg, like the server does with stanzas. */
  if (lb->net != NULL)
    delivered += xtls_loopback_net_pump (lb->net);
  for (guint i = 0; i < n; i++)
    {
      WireItem *item = g_queue_pop_head (&lb->in_flight);
      XtlsWireAction action = XTLS_WIRE_DELIVER;

      if (lb->shaped != NULL && item->from == lb->shaped && ++shaped > lb->shaped_per_leg)
        {
          g_queue_push_tail (&later, item);
          continue;
        }
      if (lb->filter != NULL && !item->held)
        action = lb->filter (lb, item->from, item->to, &item->xml, lb->filter_data);
      switch (action)
        {
          case XTLS_WIRE_DELIVER:
            deliver (lb, item);
            delivered++;
            break;
          case XTLS_WIRE_DUPLICATE:
            deliver (lb, item);
            deliver (lb, item);
            delivered += 2;
            break;
          case XTLS_WIRE_DROP:
            break;
          case XTLS_WIRE_HOLD:
            item->held = TRUE;
            g_queue_push_tail (&held, item);
            continue;
        }
      wire_item_free (item);
    }
  /* Shaped stanzas keep their place: ahead of everything sent during this leg. */
  while (!g_queue_is_empty (&later))
    g_queue_push_head (&lb->in_flight, g_queue_pop_tail (&later));
  /* Held stanzas go behind everything sent during this leg: a reorder. */
  while (!g_queue_is_empty (&held))
    g_queue_push_tail (&lb->in_flight, g_queue_pop_head (&held));
  xtls_hub_tick (lb->alice->hub);
  xtls_hub_tick (lb->bob->hub);
  return delivered;
}

guint
xtls_loopback_run (XtlsLoopback *lb, guint max_legs)
{
  guint legs = 0;

  while (legs < max_legs
         && (!g_queue_is_empty (&lb->in_flight)
             || (lb->net != NULL && xtls_loopback_net_busy (lb->net))))
    {
      xtls_loopback_leg (lb);
      legs++;
    }
  return legs;
}

void
xtls_loopback_advance (XtlsLoopback *lb, gint64 usec)
{
  xtls_fake_clock_advance (&lb->clock, usec);
  xtls_hub_tick (lb->alice->hub);
  xtls_hub_tick (lb->bob->hub);
}

void
xtls_loopback_inject (XtlsLoopback *lb, XtlsTestPeer *from, XtlsTestPeer *to, const char *xml)
{
  WireItem *item = g_new0 (WireItem, 1);

  item->from = from;
  item->to = to;
  item->xml = g_strdup (xml);
  g_queue_push_tail (&lb->in_flight, item);
}

guint
xtls_loopback_drop_all (XtlsLoopback *lb)
{
  guint n = g_queue_get_length (&lb->in_flight);

  g_queue_clear_full (&lb->in_flight, (GDestroyNotify)wire_item_free);
  g_queue_init (&lb->in_flight);
  return n;
}

gboolean
xtls_loopback_wire_contains (XtlsLoopback *lb, const char *needle)
{
  for (guint i = 0; i < lb->wire_log->len; i++)
    if (strstr (g_ptr_array_index (lb->wire_log, i), needle) != NULL)
      return TRUE;
  return FALSE;
}
