/* Internals of the Pidgin UI plugin ("gtk-xtls"). It talks to the core plugin ("core-xtls")
 * only through the core's public API: the signals and IPC calls documented in xtls-api.h,
 * reached with purple_plugins_find_with_id(). Nothing here includes a core or glue header.
 *
 * One job per file: core-ipc.c (typed IPC calls), peer-state.c (what we know per contact),
 * icons.c, status-button.c, verify-dialog.c, password-dialog.c, key-changed-dialog.c,
 * small-dialogs.c (explanations, confirmations), known-peers.c (the preferences frame) and
 * gtk-plugin.c (the plugin entry that wires the signals to the rest). */
#pragma once

/* Include this header first: <purple.h> defines PURPLE_PLUGINS, which decides what
 * PURPLE_INIT_PLUGIN expands to, before any Pidgin header pulls in plugin.h. */
#include <gtk/gtk.h>
#include <purple.h>

#include "xtls-gtk-config.h"

#ifndef GETTEXT_PACKAGE
#define GETTEXT_PACKAGE XTLS_GTK_GETTEXT_PACKAGE
#endif
#include <glib/gi18n-lib.h>

#include "xtls-api.h"

#define XTLS_GTK_PLUGIN_ID "gtk-xtls"

/* The core's preferences (README "Use"); the core registers them, we only read and write. */
#define XTLS_GTK_PREF_POLICY "/plugins/core/xtls/policy"
#define XTLS_GTK_PREF_NO_LOG "/plugins/core/xtls/no-log"
#define XTLS_GTK_PREF_STRANGERS "/plugins/core/xtls/strangers"

/* ---- core-ipc.c: the core's IPC calls, typed. Every call is harmless when the core is gone. */

PurplePlugin *xtls_gtk_core (void);
gboolean xtls_gtk_core_start (PurpleAccount *account, const char *peer);
void xtls_gtk_core_stop (PurpleAccount *account, const char *peer);
int xtls_gtk_core_get_state (PurpleAccount *account, const char *peer);
/* The full JID of the running session with @bare, or NULL. Transfer full. */
char *xtls_gtk_core_peer_resource (PurpleAccount *account, const char *bare);
void xtls_gtk_core_decide (PurpleAccount *account, const char *peer, guint answer);
/* @password is handed over and not kept; the caller wipes its own copy. */
void xtls_gtk_core_supply_password (PurpleAccount *account, const char *peer, const char *password);
/* Fingerprints are 64 hex digits; safety codes ten groups of four digits. Transfer full. */
char *xtls_gtk_core_fingerprint (PurpleAccount *account);
char *xtls_gtk_core_peer_fingerprint (PurpleAccount *account, const char *peer);
char *xtls_gtk_core_safety_code (PurpleAccount *account, const char *peer);
gboolean xtls_gtk_core_trust (PurpleAccount *account, const char *bare, const char *fingerprint);
gboolean xtls_gtk_core_forget (PurpleAccount *account, const char *bare);

typedef struct
{
  char *bare;        /* owned */
  char *fingerprint; /* owned, hex */
  char *how;         /* owned: "password" or "fingerprint" */
  gint64 when;       /* unix time of the verification */
} XtlsGtkKnownPeer;

/* The account's known peers, sorted by JID: a list of XtlsGtkKnownPeer, free it with
 * xtls_gtk_known_peers_free(). NULL when there are none or the account is not connected. */
GList *xtls_gtk_core_known_peers (PurpleAccount *account);
void xtls_gtk_known_peers_free (GList *peers);
gboolean xtls_gtk_core_is_known (PurpleAccount *account, const char *bare);

/* What the user typed to verify @bare (a fingerprint or the safety code): XTLS_API_TYPED_*. */
int xtls_gtk_core_verify_typed (PurpleAccount *account, const char *bare, const char *typed);

typedef struct
{
  char *jid;          /* owned: full JID */
  char *client;       /* owned: the client's name from its caps, or NULL */
  gboolean supported; /* its caps say it supports XTLS */
} XtlsGtkDevice;

/* The contact's online devices, best first: a list of XtlsGtkDevice, free it with
 * xtls_gtk_devices_free(). */
GList *xtls_gtk_core_devices (PurpleAccount *account, const char *bare);
void xtls_gtk_devices_free (GList *devices);
/* "“phone” (Gajim)" for the device @jid (a full JID; the client looked up in @devices, which
 * may be NULL), or NULL for a bare JID. Transfer full. */
char *xtls_gtk_device_label (const char *jid, GList *devices);

/* The core gives failure reasons as sentences (xtls-api.h); these recognise two of them, in
 * English or in the user's language. */
/* XTLS_API_FAILURE_* for the session with @peer (bare or full JID). */
int xtls_gtk_core_failure (PurpleAccount *account, const char *peer);

/* "abcd1234..." -> "abcd 1234 ..." (spaces in @text ignored), with a line break after every
 * @per_line groups (0: never). Transfer full. */
char *xtls_gtk_group (const char *text, guint group, guint per_line);
/* The contact's bare JID, lowercased. Transfer full. */
char *xtls_gtk_bare (const char *jid);
/* The buddy's alias, or @bare. Owned by libpurple or the caller's @bare. */
const char *xtls_gtk_display_name (PurpleAccount *account, const char *bare);
/* TRUE if @account still exists (dialogs keep a pointer and look it up again). */
gboolean xtls_gtk_account_alive (PurpleAccount *account);

/* ---- peer-state.c: the trust level of each contact, as the core last told us ----------- */

typedef struct
{
  PurpleAccount *account; /* borrowed */
  char *bare;             /* owned, lowercase */
  char *peer;             /* owned: full JID of the latest session, or NULL */
  int state;              /* XTLS_API_STATE_* */
  char *failure;          /* owned: why the last session failed or ended, or NULL */
  guint pending;          /* a decision we claimed and did not answer yet, or 0 */
  gboolean stopped;       /* the user stopped the session from our menu */
} XtlsGtkPeer;

void xtls_gtk_peers_init (void);
void xtls_gtk_peers_shutdown (void);
/* The record for @jid (bare or full), created with the core's current state. Never NULL. */
XtlsGtkPeer *xtls_gtk_peer_get (PurpleAccount *account, const char *jid);
/* Who to name in IPC calls: the session's full JID if known, else the bare JID. */
const char *xtls_gtk_peer_target (const XtlsGtkPeer *peer);
void xtls_gtk_peer_update (XtlsGtkPeer *peer, const char *full_jid, int state, const char *reason);
/* The state to show: a session the user stopped here shows as not private, not finished
 * ("finished" means the other side ended it and the core holds messages back). */
int xtls_gtk_peer_shown_state (const XtlsGtkPeer *peer);
/* Stops the session with @peer (IPC "stop"), remembering that the user did. */
void xtls_gtk_peer_stop (XtlsGtkPeer *peer);
void xtls_gtk_peers_forget_account (PurpleAccount *account);
/* A short word for the state ("Private") and a sentence explaining it. */
const char *xtls_gtk_state_word (int state);
const char *xtls_gtk_state_sentence (int state);

/* ---- icons.c --------------------------------------------------------------------------- */

void xtls_gtk_icons_init (PurplePlugin *plugin);
void xtls_gtk_icons_shutdown (void);
/* An image of the state's padlock at @size pixels (SVG, else a GTK stock icon). */
GtkWidget *xtls_gtk_icon_new (int state, int size);
void xtls_gtk_icon_set (GtkImage *image, int state, int size);
/* The state's padlock as a pixbuf, or NULL when no SVG was found. Transfer none. */
GdkPixbuf *xtls_gtk_icon_pixbuf (int state, int size);

/* ---- message-marks.c ------------------------------------------------------------------- */

void xtls_gtk_marks_init (PurplePlugin *plugin);
void xtls_gtk_marks_shutdown (void);

/* ---- status-button.c: the button in each XMPP conversation (Alt+P opens its menu) ------- */

void xtls_gtk_status_attach (PurpleConversation *conv);
void xtls_gtk_status_detach (PurpleConversation *conv);
void xtls_gtk_status_detach_all (void);
/* Shows the state of @peer in every conversation with that contact. */
void xtls_gtk_status_refresh (const XtlsGtkPeer *peer);
/* Asks the core again for every conversation (after an account signed off). */
void xtls_gtk_status_refresh_all (void);

/* ---- verify-dialog.c -------------------------------------------------------------------- */

void xtls_gtk_verify_open (PurpleAccount *account, const char *bare);
void xtls_gtk_verify_state_changed (const XtlsGtkPeer *peer);
/* The core replaced the key question with the password question: a dialog that asked closes. */
void xtls_gtk_verify_question_replaced (const XtlsGtkPeer *peer);
void xtls_gtk_verify_close_all (void);

/* ---- password-dialog.c ------------------------------------------------------------------ */

void xtls_gtk_password_open (PurpleAccount *account, const char *bare);
/* A decision arrived: TRUE if an open password dialog for that contact takes it. */
gboolean xtls_gtk_password_claims (XtlsGtkPeer *peer, guint decision);
void xtls_gtk_password_state_changed (const XtlsGtkPeer *peer, const char *reason);
void xtls_gtk_password_close_all (void);

/* ---- key-changed-dialog.c --------------------------------------------------------------- */

void xtls_gtk_key_changed_open (PurpleAccount *account, const char *bare);
void xtls_gtk_key_changed_close_all (void);

/* ---- fingerprint-dialog.c: verify a contact by typing their fingerprint or code ------- */

/* Opens (or raises) the dialog for @account, with @bare (may be NULL) as the contact. */
void xtls_gtk_fingerprint_open (GtkWindow *parent, PurpleAccount *account, const char *bare);
void xtls_gtk_fingerprint_close_all (void);

/* ---- buddy-menu.c: the buddy list's context menu ---------------------------------------- */

void xtls_gtk_buddy_menu_init (PurplePlugin *plugin);

/* ---- small-dialogs.c -------------------------------------------------------------------- */

typedef void (*XtlsGtkForgotten) (PurpleAccount *account, const char *bare);

void xtls_gtk_explain_open (GtkWindow *parent);
/* "What is this?" for verification: the safety code in three plain sentences. */
void xtls_gtk_explain_verification (GtkWindow *parent);
/* Asks before forgetting @bare's key, then forgets it; @done (may be NULL) runs after a
 * successful forget. */
void xtls_gtk_confirm_forget (GtkWindow *parent, PurpleAccount *account, const char *bare,
                              XtlsGtkForgotten done);
void xtls_gtk_small_dialogs_close_all (void);

/* ---- known-peers.c: the preferences frame ----------------------------------------------- */

GtkWidget *xtls_gtk_prefs_frame (PurplePlugin *plugin);
void xtls_gtk_prefs_refresh (void);
void xtls_gtk_prefs_destroy (void);
