/* Internals of the libpurple glue: the only code that includes libpurple (STYLE.md).
 *
 * One XtlsAccount per connected XMPP account holds the core hub, the account's identity and
 * known peers, the resources we have seen online, and the per-contact conversation state. */
#pragma once

#include <glib.h>
#include <purple.h>

#include "session.h"
#include "xtls-api.h"

/* Prefs under /plugins/core/xtls */
#define XTLS_PREF_ROOT "/plugins/core/xtls"
#define XTLS_PREF_POLICY XTLS_PREF_ROOT "/policy" /* int, XTLS_API_POLICY_* (not DEFAULT) */
#define XTLS_PREF_NO_LOG XTLS_PREF_ROOT "/no-log" /* bool: keep encrypted chats out of logs */
/* bool: answer offers from people who are not in the buddy list (default: refused silently,
 * with no dialog and no conversation window, as a client without XTLS would answer) */
#define XTLS_PREF_STRANGERS XTLS_PREF_ROOT "/strangers"
#define XTLS_BLIST_POLICY "xtls-policy"

#define XTLS_NS_XTLS "urn:xmpp:jingle:security:xtls:0"
#define XTLS_NS_XMLSTREAM "urn:xmpp:jingle:apps:xmlstream:0"
#define XTLS_NS_S5B "urn:xmpp:jingle:transports:s5b:1"

typedef struct _XtlsAccount XtlsAccount;
typedef struct _XtlsNet XtlsNet;

/* What the user wants for one contact (bare JID), whether or not a session exists yet. */
typedef struct
{
  char *bare;           /* owned, lowercase */
  char *peer;           /* owned: full JID of the latest session with this contact, or NULL */
  gboolean wanted;      /* the user asked for encryption with this contact */
  gboolean stopping;    /* the user asked to stop: the end that follows is expected */
  gboolean held;        /* the conversation has been private and its session is gone or
                         * going: nothing is sent in plaintext until the user says so
                         * (/xtls stop), whoever started it and however it ended (OTR's
                         * "finished"; an end from outside the tunnel may be forged) */
  gboolean unsupported; /* the last support check found no XTLS-capable resource */
  gboolean initiating;  /* our xtls_hub_start() for this contact is on the stack: the first
                         * state change comes before the core's negotiation knows its role */
  XtlsTrustState last_state;
  char *resolving;    /* owned: the full JID a disco#info query is out for, or NULL */
  GQueue waiting;     /* char* texts typed while we find out whether the peer supports XTLS */
  void *request;      /* the open purple_request_* dialog for this contact, or NULL */
  XtlsAccount *xa;    /* borrowed: the account that owns this contact */
  guint slow_timer;   /* watches a long message on its way (conv.c), or 0 */
  gboolean slow_told; /* the user was told that it is slow */
  PurpleRequestType request_type;
  gpointer request_ref; /* owned: what the dialog's callbacks get */
} XtlsContact;

struct _XtlsAccount
{
  PurpleAccount *account; /* borrowed */
  PurpleConnection *gc;   /* borrowed */
  XtlsHub *hub;           /* owned */
  XtlsIdentity *identity; /* owned */
  XtlsTrustStore *trust;  /* owned */
  guint timer;            /* purple_timeout for the hub's next deadline */
  GHashTable *resources;  /* bare -> GHashTable (full JID -> priority) */
  GHashTable *contacts;   /* bare -> XtlsContact */
  GHashTable *messages;   /* message id (guint64*) -> text, until its status is known */
  GHashTable *disco;      /* IQ id -> bare JID, disco#info queries in flight */
  guint64 next_disco;
  GString *out;        /* owned: serialized stanzas waiting for one write (xmpp.c), or NULL */
  guint out_stanzas;   /* how many are in @out */
  gboolean out_lone;   /* @out is one IQ result */
  guint flush_timer;   /* the timeout that writes @out */
  gboolean flush_late; /* @flush_timer waits for company (a lone acknowledgement) */
  gboolean delivered;  /* a tunnel message reached the user during this IQ's handling */
  gboolean delivering; /* a tunnel message is being handed to serv_got_im */
  XtlsNet *net;        /* owned (s5b-net.c): sockets for SOCKS5 bytestreams, or NULL */
};

/* plugin.c */
PurplePlugin *xtls_glue_plugin (void);
PurplePlugin *xtls_glue_jabber (void);
XtlsAccount *xtls_glue_find (PurpleAccount *account);
XtlsAccount *xtls_glue_find_gc (PurpleConnection *gc);
gboolean xtls_glue_no_log (void);
/* Ensures the account's key exists (created on first use). NULL if it cannot be stored. */
XtlsIdentity *xtls_glue_identity (PurpleAccount *account, GError **error);
/* Re-arms the timer for the hub's next deadline; call after every hub call. */
void xtls_glue_schedule (XtlsAccount *xa);

/* xmpp.c: stanzas, features, presence */
void xtls_xmpp_init (PurplePlugin *plugin);
void xtls_xmpp_add_features (void);
/* Queues @xml (one stanza); everything queued during one main-loop dispatch leaves in one
 * write, in order (see xmpp.c for why). */
void xtls_xmpp_send (XtlsAccount *xa, const char *xml);
/* Writes what is queued now (the account is going away). */
void xtls_xmpp_flush (XtlsAccount *xa);
/* The online resources of @bare, best first (highest priority). Transfer container. */
GList *xtls_xmpp_resources (XtlsAccount *xa, const char *bare);
gboolean xtls_xmpp_peer_supports (XtlsAccount *xa, const char *full_jid);
/* The client @full_jid runs, from its caps (e.g. "Pidgin"), or NULL. Transfer none: valid
 * until its next presence. */
const char *xtls_xmpp_client_name (XtlsAccount *xa, const char *full_jid);
/* "“phone” (Gajim)": a device of a contact as people read it. Transfer full. */
char *xtls_conv_device_name (XtlsAccount *xa, const char *full_jid);
/* Sends a disco#info query; the answer resumes xtls_conv_resolved(). */
void xtls_xmpp_query_support (XtlsAccount *xa, XtlsContact *contact, const char *full_jid);
char *xtls_bare_of (const char *jid);
void xtls_disco_query_free (gpointer query);

/* s5b-net.c: SOCKS5 bytestreams for file sessions (the hub's XtlsHubNetOps) */
/* Gives the hub sockets: a listener, outgoing connections, the account's proxy. */
void xtls_s5b_net_attach (XtlsAccount *xa);
/* Closes every socket (before the hub goes). */
void xtls_s5b_net_detach (XtlsAccount *xa);
/* An answer to one of its disco / streamhost queries: TRUE if it was one (then consumed). */
gboolean xtls_s5b_net_answer (XtlsAccount *xa, const char *type, const char *id, const char *from,
                              xmlnode *iq);

/* conv.c: conversations, messages, what the user reads */
void xtls_conv_init (PurplePlugin *plugin);
XtlsContact *xtls_contact_get (XtlsAccount *xa, const char *bare);
/* The same without creating one (for what remote parties send), or NULL. */
XtlsContact *xtls_contact_find (XtlsAccount *xa, const char *jid);
/* Drops contacts that remember nothing once there are many (bounded table). */
void xtls_conv_prune (XtlsAccount *xa);
void xtls_contact_free (XtlsContact *contact);
/* The live session with this contact (any resource), or NULL. */
XtlsSession *xtls_conv_session (XtlsAccount *xa, const char *bare);
/* The user asks for a private conversation with @peer (bare or full JID). */
gboolean xtls_conv_start (XtlsAccount *xa, const char *peer);
void xtls_conv_stop (XtlsAccount *xa, const char *peer);
/* The support check for @contact finished: @full_jid supports XTLS, or NULL if none does. */
void xtls_conv_resolved (XtlsAccount *xa, XtlsContact *contact, const char *full_jid);
/* A <message/> with @body (plain text) for @to is about to leave as a stanza that did not come
 * through the conversation (serv_send_im from a bot or another plugin, libpurple's away
 * auto-reply). TRUE when it must not go out in plaintext: it then goes through the tunnel,
 * waits for it, or is reported as not sent, and the caller drops the stanza. */
gboolean xtls_conv_divert_stanza (XtlsAccount *xa, const char *to, const char *body);
/* A system message in the conversation with @bare (created if needed). */
void xtls_conv_notice (XtlsAccount *xa, const char *bare, PurpleMessageFlags flags,
                       const char *format, ...) G_GNUC_PRINTF (4, 5);
int xtls_glue_policy (XtlsAccount *xa, const char *bare);
extern const XtlsHubOps xtls_conv_hub_ops;

/* prompts.c: every decision goes through purple_request_* */
void xtls_prompt_decision (XtlsAccount *xa, XtlsSession *session, XtlsDecision decision);
void xtls_prompt_close (XtlsAccount *xa, const char *bare);
void xtls_prompt_close_contact (XtlsContact *contact);
void xtls_prompt_key_changed (XtlsAccount *xa, XtlsSession *session);
/* After a password-verified session the contact's key differs from the pinned one: ask before
 * replacing the pin. */
void xtls_prompt_replace_key (XtlsAccount *xa, XtlsSession *session, const char *fingerprint);
/* Fingerprint text for people: grouped, with the combined safety code. Transfer full. */
char *xtls_prompt_fingerprints (XtlsAccount *xa, const char *peer_fingerprint, const char *peer);

/* xfer.c: encrypted file transfer through PurpleXfer. init wraps the jabber prpl's send_file,
 * new_xfer and can_receive_file; uninit puts them back and ends transfers still waiting. */
void xtls_xfer_init (PurplePlugin *plugin);
void xtls_xfer_uninit (void);
/* Before the account's hub is freed: the ends that follow are the account's going away. */
void xtls_xfer_account_closing (XtlsAccount *xa);
/* After the account's hub was freed: transfers still linked to it are cancelled. */
void xtls_xfer_account_gone (XtlsAccount *xa);
/* A file session's key decision (no dialog: see xfer.c). */
void xtls_xfer_decision (XtlsAccount *xa, XtlsSession *session, XtlsDecision decision);
/* The XtlsHubOps file callbacks (conv.c puts them into xtls_conv_hub_ops). */
void xtls_xfer_offered (XtlsHub *hub, XtlsSession *session, gpointer user_data);
gssize xtls_xfer_read (XtlsHub *hub, XtlsSession *session, guint8 *buf, gsize max, GError **error,
                       gpointer user_data);
gboolean xtls_xfer_store (XtlsHub *hub, XtlsSession *session, const guint8 *data, gsize len,
                          GError **error, gpointer user_data);
void xtls_xfer_progress (XtlsHub *hub, XtlsSession *session, guint64 done, guint64 total,
                         gpointer user_data);
void xtls_xfer_ended (XtlsHub *hub, XtlsSession *session, const GError *error, gpointer user_data);

/* cmds.c */
void xtls_cmds_register (PurplePlugin *plugin);
void xtls_cmds_unregister (void);

/* api.c */
void xtls_api_register (PurplePlugin *plugin);
/* The user typed @typed (a fingerprint or a safety code) to verify @bare: XTLS_API_TYPED_*
 * (see xtls-api.h, "verify-typed"). */
int xtls_glue_verify_typed (XtlsAccount *xa, const char *bare, const char *typed);
void xtls_api_emit_state (XtlsAccount *xa, XtlsSession *session, XtlsTrustState state,
                          const char *reason);
/* The same for a contact without a session (@peer a bare JID). */
void xtls_api_emit_state_for (XtlsAccount *xa, const char *peer, XtlsTrustState state,
                              const char *reason);
/* TRUE if a UI claimed the decision (it answers through IPC). */
gboolean xtls_api_emit_decision (XtlsAccount *xa, XtlsSession *session, XtlsDecision decision);
void xtls_api_emit_message_status (XtlsAccount *xa, XtlsSession *session, const char *text,
                                   gboolean sent);
