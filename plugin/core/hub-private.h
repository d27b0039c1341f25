/* Between hub.c (routing, bounds, tie-break, deadlines) and hub-host.c (what the sessions get
 * from the hub). Fields belong to hub.c; hub-host.c only reads ops, user_data and counters. */
#pragma once

#include "session-private.h"

struct _XtlsHub
{
  char *own_jid;          /* owned, full JID */
  XtlsIdentity *identity; /* ref */
  XtlsTrustStore *trust;  /* borrowed */
  const XtlsClock *clock; /* borrowed */
  XtlsHubConfig config;   /* defaults filled in */
  const XtlsHubOps *ops;  /* borrowed */
  gpointer user_data;
  XtlsSessionHost host; /* what the sessions get (points into this struct) */
  GHashTable *sessions; /* chat: peer full JID (the session's string) -> owned XtlsSession */
  GHashTable *files;    /* file sessions: file_key() (owned) -> owned XtlsSession; several
                         * per peer, so keyed by peer and Jingle sid */
  double offer_tokens;  /* token bucket for incoming offers */
  gint64 offer_refilled;
  GPtrArray *graveyard; /* owned: objects whose free waits until no callback runs */
  guint depth;          /* nesting of public entry points */
  guint64 next_iq;
  guint64 next_message_id;
};

/* hub.c */
void xtls_hub_enter (XtlsHub *hub);
void xtls_hub_leave (XtlsHub *hub);
/* Frees @object with @free_func once no callback can be on the stack. */
void xtls_hub_bury (XtlsHub *hub, gpointer object, GDestroyNotify free_func);
void xtls_hub_send_xml (XtlsHub *hub, const char *xml);
/* Transfer full. */
char *xtls_hub_make_iq_id (XtlsHub *hub);

/* hub-host.c */
extern const XtlsSessionHostOps xtls_hub_host_ops;
