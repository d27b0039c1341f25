/* What the hub's sessions get from it (XtlsSessionHost): the trampolines from a session's
 * callbacks to the account's XtlsHubOps, with the optional ones NULL-checked. */
#include "hub-private.h"

static void
host_send (XtlsSession *s, const char *xml, gpointer user_data)
{
  xtls_hub_send_xml (user_data, xml);
}

static char *
host_make_iq_id (gpointer user_data)
{
  return xtls_hub_make_iq_id (user_data);
}

static guint64
host_make_message_id (gpointer user_data)
{
  return ++((XtlsHub *)user_data)->next_message_id;
}

static void
host_bury (gpointer object, GDestroyNotify free_func, gpointer user_data)
{
  xtls_hub_bury (user_data, object, free_func);
}

static void
host_enter (gpointer user_data)
{
  xtls_hub_enter (user_data);
}

static void
host_leave (gpointer user_data)
{
  xtls_hub_leave (user_data);
}

static void
host_state_changed (XtlsSession *s, XtlsTrustState state, const GError *error, gpointer user_data)
{
  XtlsHub *hub = user_data;

  if (hub->ops->state_changed != NULL)
    hub->ops->state_changed (hub, s, state, error, hub->user_data);
}

static gboolean
host_decision_needed (XtlsSession *s, XtlsDecision decision, gpointer user_data)
{
  XtlsHub *hub = user_data;

  if (hub->ops->decision_needed == NULL)
    return FALSE;
  hub->ops->decision_needed (hub, s, decision, hub->user_data);
  return TRUE;
}

static void
host_message_received (XtlsSession *s, const char *body, gpointer user_data)
{
  XtlsHub *hub = user_data;

  if (hub->ops->message_received != NULL)
    hub->ops->message_received (hub, s, body, hub->user_data);
}

static void
host_message_status (XtlsSession *s, guint64 id, gboolean sent, gpointer user_data)
{
  XtlsHub *hub = user_data;

  if (hub->ops->message_status != NULL)
    hub->ops->message_status (hub, s, id, sent, hub->user_data);
}

static void
host_key_conflict (XtlsSession *s, const char *fingerprint, gpointer user_data)
{
  XtlsHub *hub = user_data;

  if (hub->ops->key_conflict != NULL)
    hub->ops->key_conflict (hub, s, fingerprint, hub->user_data);
}

static gboolean
host_file_offered (XtlsSession *s, gpointer user_data)
{
  XtlsHub *hub = user_data;

  if (hub->ops->file_offered == NULL)
    return FALSE;
  hub->ops->file_offered (hub, s, hub->user_data);
  return TRUE;
}

static gssize
host_file_read (XtlsSession *s, guint8 *buf, gsize max, GError **error, gpointer user_data)
{
  XtlsHub *hub = user_data;

  if (hub->ops->file_read == NULL)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_NOSYS, "no file to read");
      return -1;
    }
  return hub->ops->file_read (hub, s, buf, max, error, hub->user_data);
}

static gboolean
host_file_store (XtlsSession *s, const guint8 *data, gsize len, GError **error, gpointer user_data)
{
  XtlsHub *hub = user_data;

  if (hub->ops->file_store == NULL)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_NOSYS, "nowhere to store");
      return FALSE;
    }
  return hub->ops->file_store (hub, s, data, len, error, hub->user_data);
}

static void
host_file_progress (XtlsSession *s, guint64 done, guint64 total, gpointer user_data)
{
  XtlsHub *hub = user_data;

  if (hub->ops->file_progress != NULL)
    hub->ops->file_progress (hub, s, done, total, hub->user_data);
}

static void
host_file_ended (XtlsSession *s, const GError *error, gpointer user_data)
{
  XtlsHub *hub = user_data;

  if (hub->ops->file_ended != NULL)
    hub->ops->file_ended (hub, s, error, hub->user_data);
}

static XtlsS5bTransportWire *
host_s5b_offer (XtlsSession *s, const char *sid, const XtlsS5bTransportWire *peer,
                gpointer user_data)
{
  return xtls_hub_net_offer (user_data, s, sid, peer);
}

static guint
host_net_connect (XtlsSession *s, const char *host, guint16 port, gpointer user_data)
{
  return xtls_hub_net_connect (user_data, s, host, port);
}

static void
host_net_write (XtlsSession *s, guint conn, const guint8 *data, gsize len, gpointer user_data)
{
  xtls_hub_net_write (user_data, conn, data, len);
}

static void
host_net_close (XtlsSession *s, guint conn, gpointer user_data)
{
  xtls_hub_net_close (user_data, conn);
}

static void
host_send_activate (XtlsSession *s, const char *proxy_jid, const char *sid, const char *target,
                    gpointer user_data)
{
  xtls_hub_net_send_activate (user_data, s, proxy_jid, sid, target);
}

const XtlsSessionHostOps xtls_hub_host_ops = {
  .send = host_send,
  .make_iq_id = host_make_iq_id,
  .make_message_id = host_make_message_id,
  .bury = host_bury,
  .enter = host_enter,
  .leave = host_leave,
  .state_changed = host_state_changed,
  .decision_needed = host_decision_needed,
  .message_received = host_message_received,
  .message_status = host_message_status,
  .key_conflict = host_key_conflict,
  .file_offered = host_file_offered,
  .file_read = host_file_read,
  .file_store = host_file_store,
  .file_progress = host_file_progress,
  .file_ended = host_file_ended,
  .s5b_offer = host_s5b_offer,
  .net_connect = host_net_connect,
  .net_write = host_net_write,
  .net_close = host_net_close,
  .send_activate = host_send_activate,
};
