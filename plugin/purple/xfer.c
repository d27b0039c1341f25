/* Encrypted file transfer through libpurple's PurpleXfer (issue 11): the core's file sessions
 * (xtls_hub_send_file, XtlsHubOps.file_*) behind Pidgin's and Finch's usual transfer window,
 * accept dialog, progress, speed and cancel button.
 *
 * The lever: libpurple 2.14 has no signal before a prpl starts an outgoing transfer (the
 * "file-send-accept" signal fires after the jabber prpl has made its own PurpleXfer, whose init
 * already offers the file through SI), so this file wraps three entries of the jabber prpl's
 * PurplePluginProtocolInfo while the plugin is loaded: send_file (Pidgin's and Finch's Send
 * File, drag and drop, serv_send_file from bots), new_xfer (code that makes the xfer itself)
 * and can_receive_file (whether the menu item is offered). They are public fields of the
 * prpl's info; the originals are kept and put back on unload. When the conversation is not
 * private and nothing requires encryption, every call goes straight to the original:
 * libpurple's own transfer is untouched. Otherwise the transfer is a PurpleXfer of ours whose
 * init/cancel/end drive a core file session; nothing of the file leaves in plaintext unless
 * the user says so in a dialog whose default is not to.
 *
 * Receiving: an encrypted offer becomes an incoming PurpleXfer (purple_xfer_request: the UI's
 * accept and save dialogs). The bytes go into "NAME.part" next to the chosen file (mode 0600)
 * and are renamed to NAME only once the core has checked size and SHA-256; on any failure the
 * partial file is deleted and the conversation says why in a sentence. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "xfer-private.h"

static GList *live;          /* XtlsXfer* of every transfer of ours */
static int ask_handle;       /* handle of the "send unencrypted?" dialogs */
static PurplePlugin *jabber; /* borrowed, while wrapped */
static void (*orig_send_file) (PurpleConnection *, const char *, const char *);
static PurpleXfer *(*orig_new_xfer) (PurpleConnection *, const char *);
static gboolean (*orig_can_receive_file) (PurpleConnection *, const char *);

/* ---- bookkeeping ---------------------------------------------------------------------- */

static XtlsXfer *
xfer_new (PurpleAccount *account, PurpleXfer *xfer, const char *bare, const char *peer)
{
  XtlsXfer *x = g_new0 (XtlsXfer, 1);

  x->account = account;
  x->xfer = xfer;
  purple_xfer_ref (xfer);
  x->bare = g_strdup (bare);
  x->peer = g_strdup (peer);
  x->fd = -1;
  xfer->data = x;
  live = g_list_prepend (live, x);
  return x;
}

/* Breaks the link both ways and drops our reference. The session, if any, is not touched. */
void
xtls_xfer_release (XtlsXfer *x)
{
  live = g_list_remove (live, x);
  xtls_prompt_close_file (x);
  if (x->fd >= 0)
    close (x->fd);
  if (x->xfer != NULL)
    {
      x->xfer->data = NULL;
      purple_xfer_unref (x->xfer);
    }
  g_free (x->bare);
  g_free (x->peer);
  g_free (x->final_path);
  g_free (x->part_path);
  g_free (x);
}

XtlsXfer *
xtls_xfer_lookup_session (XtlsSession *s)
{
  for (GList *l = live; l != NULL; l = l->next)
    if (((XtlsXfer *)l->data)->session == s)
      return l->data;
  return NULL;
}

XtlsXfer *
xtls_xfer_find_live (XtlsXfer *x)
{
  return x != NULL && g_list_find (live, x) != NULL ? x : NULL;
}

static XtlsXfer *
xfer_of (PurpleXfer *xfer)
{
  return xfer != NULL && g_list_find (live, xfer->data) != NULL ? xfer->data : NULL;
}

void
xtls_xfer_remove_partial (XtlsXfer *x)
{
  if (x->fd >= 0)
    {
      close (x->fd);
      x->fd = -1;
    }
  if (x->part_path != NULL && g_unlink (x->part_path) != 0 && errno != ENOENT)
    purple_debug_warning ("xtls", "could not delete a partial file: %s\n", g_strerror (errno));
}

/* ---- when a file must go through XTLS ---------------------------------------------------- */

/* The contact's conversation is private (or was, and is held until /xtls stop), the user
 * asked for encryption, or the policy requires it (or asks for it and the contact can). */
static gboolean
needs_xtls (XtlsAccount *xa, const char *bare)
{
  XtlsContact *c = xtls_contact_find (xa, bare);
  int policy = xtls_glue_policy (xa, bare);

  if (c != NULL && (c->held || c->wanted || xtls_conv_session (xa, bare) != NULL))
    return TRUE;
  if (policy == XTLS_API_POLICY_REQUIRE)
    return TRUE;
  if (policy == XTLS_API_POLICY_OPPORTUNISTIC)
    {
      GList *resources = xtls_xmpp_resources (xa, bare);
      gboolean supported = FALSE;
      for (GList *r = resources; r != NULL && !supported; r = r->next)
        supported = xtls_xmpp_peer_supports (xa, r->data);
      g_list_free (resources);
      return supported;
    }
  return FALSE;
}

static gboolean
is_online (XtlsAccount *xa, const char *bare, const char *full)
{
  GList *resources = xtls_xmpp_resources (xa, bare);
  gboolean found = g_list_find_custom (resources, full, (GCompareFunc)g_strcmp0) != NULL;

  g_list_free (resources);
  return found;
}

/* The resource the file goes to: the one asked for, else the one of the private
 * conversation, else the best one that supports XTLS. NULL if none does. Transfer full. */
static char *
pick_peer (XtlsAccount *xa, const char *who, const char *bare)
{
  XtlsContact *c = xtls_contact_find (xa, bare);
  GList *resources;
  char *chosen = NULL;

  if (strchr (who, '/') != NULL)
    return xtls_xmpp_peer_supports (xa, who) ? g_strdup (who) : NULL;
  if (c != NULL && c->peer != NULL && is_online (xa, bare, c->peer)
      && xtls_xmpp_peer_supports (xa, c->peer))
    return g_strdup (c->peer);
  resources = xtls_xmpp_resources (xa, bare);
  for (GList *r = resources; r != NULL && chosen == NULL; r = r->next)
    if (xtls_xmpp_peer_supports (xa, r->data))
      chosen = g_strdup (r->data);
  g_list_free (resources);
  return chosen;
}

/* ---- the "send unencrypted?" question ------------------------------------------------- */

typedef struct
{
  PurpleAccount *account;
  char *who;
  char *file; /* or NULL: the prpl asks for one */
} AskRef;

static void
ask_ref_free (AskRef *ref)
{
  g_free (ref->who);
  g_free (ref->file);
  g_free (ref);
}

static void
ask_send_plain (AskRef *ref, int action)
{
  XtlsAccount *xa = xtls_glue_find (ref->account);

  if (xa != NULL && xa->gc != NULL && orig_send_file != NULL)
    orig_send_file (xa->gc, ref->who, ref->file);
  ask_ref_free (ref);
}

static void
ask_keep (AskRef *ref, int action)
{
  ask_ref_free (ref);
}

/* Nothing has been sent. The default answer sends nothing. */
void
xtls_xfer_ask_unencrypted (XtlsAccount *xa, const char *who, const char *bare, const char *file,
                           const char *why)
{
  AskRef *ref = g_new0 (AskRef, 1);
  PurpleConversation *conv
      = purple_find_conversation_with_account (PURPLE_CONV_TYPE_IM, bare, xa->account);
  g_autofree char *primary = NULL;

  ref->account = xa->account;
  ref->who = g_strdup (who);
  ref->file = g_strdup (file);
  xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR,
                    /* Translators: the first %s is the contact's XMPP address, the second one
                     * of the reasons below ("their client cannot receive encrypted files") */
                    _ ("The file was not sent to %s: %s. Nothing left your computer."), bare, why);
  /* Translators: %s is the contact's XMPP address */
  primary = g_strdup_printf (_ ("Send the file to %s without encryption?"), bare);
  purple_request_action (
      &ask_handle, _ ("Encrypted file transfer not possible"), primary,
      _ ("Your conversation with this contact is private, or your settings require encryption, "
         "but the file cannot be sent encrypted. Sent without encryption, the servers in "
         "between can read it."),
      0, xa->account, bare, conv, ref, 2,
      /* Translators: a button; the default */
      _ ("_Do not send"), PURPLE_CALLBACK (ask_keep),
      /* Translators: a button */
      _ ("_Send unencrypted"), PURPLE_CALLBACK (ask_send_plain));
}

/* ---- PurpleXfer ops ------------------------------------------------------------------- */

static void
xfer_send_init (PurpleXfer *xfer)
{
  XtlsXfer *x = xfer_of (xfer);
  XtlsAccount *xa = x != NULL ? xtls_glue_find (x->account) : NULL;
  const char *path = purple_xfer_get_local_filename (xfer);
  XtlsFileInfo info = { 0 };
  struct stat st;
  int why;

  if (xa == NULL || x->session != NULL)
    return;
  if (x->peer == NULL)
    {
      /* Made through new_xfer by other code, for a contact who cannot receive it encrypted:
       * fail closed, there is nobody to ask before the file was chosen. */
      xtls_conv_notice (xa, x->bare, PURPLE_MESSAGE_ERROR,
                        /* Translators: %s is the file name */
                        _ ("%s was not sent: encryption is required with this contact, and their "
                           "client cannot receive encrypted files."),
                        purple_xfer_get_filename (xfer));
      purple_xfer_cancel_local (xfer);
      return;
    }
  x->fd = path != NULL ? g_open (path, O_RDONLY | O_CLOEXEC, 0) : -1;
  if (x->fd < 0 || fstat (x->fd, &st) != 0)
    why = path != NULL ? errno : ENOENT;
  else if (!S_ISREG (st.st_mode))
    why = EISDIR; /* a directory or a device is not a file to send */
  else
    why = 0;
  if (why != 0)
    {
      xtls_conv_notice (xa, x->bare, PURPLE_MESSAGE_ERROR,
                        /* Translators: the first %s is the file name, the second why */
                        _ ("%s was not sent: %s"), purple_xfer_get_filename (xfer),
                        g_strerror (why));
      purple_xfer_cancel_local (xfer);
      return;
    }
  purple_xfer_set_size (xfer, (size_t)st.st_size);
  info.name = purple_xfer_get_filename (xfer);
  info.size = (guint64)st.st_size;
  /* No hash in the offer: reading 50 MiB up front would freeze the window. The sender's
   * <checksum/> follows the file, computed over the bytes actually sent (XEP-0234 §8.1). */
  info.has_sha256 = FALSE;
  x->session = xtls_hub_send_file (xa->hub, x->peer, &info);
  xtls_glue_schedule (xa);
  if (x->session == NULL)
    {
      xtls_conv_notice (xa, x->bare, PURPLE_MESSAGE_ERROR,
                        /* Translators: %s is the file name */
                        _ ("%s was not sent: too many transfers are running with this contact. "
                           "Try again when one has finished."),
                        info.name);
      purple_xfer_cancel_local (xfer);
      return;
    }
  xtls_conv_notice (xa, x->bare, 0,
                    /* Translators: the first %s is the file name, the second the contact */
                    _ ("Offering %s to %s through an end-to-end encrypted connection..."),
                    info.name, x->bare);
}

/* Opens "NAME.part" (a new file, mode 0600) next to the chosen name. */
static int
open_partial (XtlsXfer *x, GError **error)
{
  for (int n = 0; n < 100; n++)
    {
      int fd;
      g_free (x->part_path);
      x->part_path = n == 0 ? g_strconcat (x->final_path, ".part", NULL)
                            : g_strdup_printf ("%s.%d.part", x->final_path, n);
      fd = g_open (x->part_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd >= 0)
        return fd;
      if (errno != EEXIST)
        break;
    }
  g_set_error_literal (error, G_FILE_ERROR, g_file_error_from_errno (errno), g_strerror (errno));
  g_clear_pointer (&x->part_path, g_free);
  return -1;
}

static void
xfer_recv_init (PurpleXfer *xfer)
{
  XtlsXfer *x = xfer_of (xfer);
  XtlsAccount *xa = x != NULL ? xtls_glue_find (x->account) : NULL;
  g_autoptr (GError) error = NULL;

  if (xa == NULL || x->session == NULL || x->fd >= 0)
    return;
  x->final_path = g_strdup (purple_xfer_get_local_filename (xfer));
  x->fd = x->final_path != NULL ? open_partial (x, &error) : -1;
  if (x->fd < 0)
    {
      xtls_conv_notice (xa, x->bare, PURPLE_MESSAGE_ERROR,
                        /* Translators: the first %s is the file name, the second why */
                        _ ("%s cannot be saved there: %s"), purple_xfer_get_filename (xfer),
                        error != NULL ? error->message : "?");
      purple_xfer_cancel_local (xfer); /* its cancel op declines the offer */
      return;
    }
  /* libpurple opens the local file when the transfer starts: let it open the partial one, so
   * nothing ever exists under the final name before the file is verified. */
  purple_xfer_set_local_filename (xfer, x->part_path);
  purple_xfer_start (xfer, -1, NULL, 0);
  xtls_session_accept_file (x->session, TRUE);
  xtls_glue_schedule (xa);
}

/* The user cancelled in the transfer window (or libpurple gave up): tell the peer. The
 * session's file_ended (now, or never if it had ended) cleans up. */
static void
xfer_cancel (PurpleXfer *xfer)
{
  XtlsXfer *x = xfer_of (xfer);
  XtlsAccount *xa = x != NULL ? xtls_glue_find (x->account) : NULL;

  if (x == NULL)
    return;
  if (x->session != NULL && xa != NULL)
    {
      XtlsSession *s = x->session;
      if (purple_xfer_get_type (xfer) == PURPLE_XFER_RECEIVE
          && xtls_session_get_file_state (s) == XTLS_FILEXFER_STATE_WAITING && x->fd < 0)
        xtls_session_accept_file (s, FALSE);
      else
        xtls_session_cancel_file (s);
      xtls_glue_schedule (xa);
    }
  /* file_ended may have freed it; if not (no session), nothing else will. */
  if ((x = xfer_of (xfer)) != NULL && x->session == NULL)
    {
      xtls_xfer_remove_partial (x);
      xtls_xfer_release (x);
    }
}

/* The receiver said no in the accept dialog, or the sender closed the file chooser. */
static void
xfer_denied (PurpleXfer *xfer)
{
  XtlsXfer *x = xfer_of (xfer);
  XtlsAccount *xa = x != NULL ? xtls_glue_find (x->account) : NULL;

  if (x == NULL)
    return;
  if (x->session != NULL && xa != NULL)
    {
      xtls_session_accept_file (x->session, FALSE);
      xtls_glue_schedule (xa);
    }
  if ((x = xfer_of (xfer)) != NULL)
    xtls_xfer_release (x);
}

PurpleXfer *
xtls_xfer_new_purple (XtlsAccount *xa, PurpleXferType type, const char *bare, const char *peer)
{
  PurpleXfer *xfer = purple_xfer_new (xa->account, type, bare);

  xfer_new (xa->account, xfer, bare, peer);
  purple_xfer_set_init_fnc (xfer, type == PURPLE_XFER_SEND ? xfer_send_init : xfer_recv_init);
  purple_xfer_set_request_denied_fnc (xfer, xfer_denied);
  purple_xfer_set_cancel_send_fnc (xfer, xfer_cancel);
  purple_xfer_set_cancel_recv_fnc (xfer, xfer_cancel);
  return xfer;
}

/* ---- the jabber prpl's entries, wrapped -------------------------------------------------- */

static PurpleXfer *
wrapped_new_xfer (PurpleConnection *gc, const char *who)
{
  XtlsAccount *xa = xtls_glue_find_gc (gc);
  g_autofree char *bare = who != NULL ? xtls_bare_of (who) : NULL;
  g_autofree char *peer = NULL;

  if (xa == NULL || bare == NULL || !needs_xtls (xa, bare))
    return orig_new_xfer != NULL ? orig_new_xfer (gc, who) : NULL;
  peer = pick_peer (xa, who, bare);
  return xtls_xfer_new_purple (xa, PURPLE_XFER_SEND, bare, peer);
}

static void
wrapped_send_file (PurpleConnection *gc, const char *who, const char *file)
{
  XtlsAccount *xa = xtls_glue_find_gc (gc);
  g_autofree char *bare = who != NULL ? xtls_bare_of (who) : NULL;
  g_autofree char *peer = NULL;
  PurpleXfer *xfer;

  if (xa == NULL || bare == NULL || !needs_xtls (xa, bare))
    {
      if (orig_send_file != NULL)
        orig_send_file (gc, who, file);
      return;
    }
  peer = pick_peer (xa, who, bare);
  if (peer == NULL)
    {
      /* Translators: a reason in "The file was not sent to %s: %s." */
      xtls_xfer_ask_unencrypted (xa, who, bare, file,
                                 _ ("their client cannot receive encrypted files"));
      return;
    }
  xfer = xtls_xfer_new_purple (xa, PURPLE_XFER_SEND, bare, peer);
  if (file != NULL)
    purple_xfer_request_accepted (xfer, file);
  else
    purple_xfer_request (xfer);
}

static gboolean
wrapped_can_receive_file (PurpleConnection *gc, const char *who)
{
  XtlsAccount *xa = xtls_glue_find_gc (gc);
  g_autofree char *bare = who != NULL ? xtls_bare_of (who) : NULL;

  if (xa != NULL && bare != NULL && needs_xtls (xa, bare))
    {
      g_autofree char *peer = pick_peer (xa, who, bare);
      if (peer != NULL)
        return TRUE;
    }
  return orig_can_receive_file != NULL ? orig_can_receive_file (gc, who) : TRUE;
}

void
xtls_xfer_init (PurplePlugin *plugin)
{
  PurplePluginProtocolInfo *info;

  jabber = xtls_glue_jabber ();
  info = jabber != NULL ? PURPLE_PLUGIN_PROTOCOL_INFO (jabber) : NULL;
  if (info == NULL)
    return;
  orig_send_file = info->send_file;
  orig_new_xfer = info->new_xfer;
  orig_can_receive_file = info->can_receive_file;
  info->send_file = wrapped_send_file;
  info->new_xfer = wrapped_new_xfer;
  info->can_receive_file = wrapped_can_receive_file;
}

void
xtls_xfer_uninit (void)
{
  PurplePluginProtocolInfo *info = jabber != NULL ? PURPLE_PLUGIN_PROTOCOL_INFO (jabber) : NULL;

  /* Sessions have ended with their accounts (xtls_xfer_account_gone); what is left has none:
   * transfers waiting for a file name. Their ops point into this plugin: end them now. */
  while (live != NULL)
    {
      XtlsXfer *x = live->data;
      PurpleXfer *xfer = x->xfer;
      purple_xfer_ref (xfer);
      xtls_xfer_remove_partial (x);
      xtls_xfer_release (x);
      purple_xfer_set_init_fnc (xfer, NULL);
      purple_xfer_set_cancel_send_fnc (xfer, NULL);
      purple_xfer_set_cancel_recv_fnc (xfer, NULL);
      purple_xfer_set_request_denied_fnc (xfer, NULL);
      purple_request_close_with_handle (xfer);
      if (!purple_xfer_is_completed (xfer) && !purple_xfer_is_canceled (xfer)
          && purple_xfer_get_status (xfer) != PURPLE_XFER_STATUS_UNKNOWN)
        purple_xfer_cancel_local (xfer);
      purple_xfer_unref (xfer);
    }
  purple_request_close_with_handle (&ask_handle);
  if (info != NULL)
    {
      if (info->send_file == wrapped_send_file)
        info->send_file = orig_send_file;
      if (info->new_xfer == wrapped_new_xfer)
        info->new_xfer = orig_new_xfer;
      if (info->can_receive_file == wrapped_can_receive_file)
        info->can_receive_file = orig_can_receive_file;
    }
  jabber = NULL;
}

/* The account is about to free its hub: the file sessions that end now end because of that,
 * not because of anyone's cancel. */
void
xtls_xfer_account_closing (XtlsAccount *xa)
{
  for (GList *l = live; l != NULL; l = l->next)
    if (((XtlsXfer *)l->data)->account == xa->account)
      ((XtlsXfer *)l->data)->closing = TRUE;
}

/* The account goes away (its hub was freed, so every file session has ended): anything still
 * linked to it is cut off. */
void
xtls_xfer_account_gone (XtlsAccount *xa)
{
  GList *mine = NULL;

  for (GList *l = live; l != NULL; l = l->next)
    if (((XtlsXfer *)l->data)->account == xa->account)
      mine = g_list_prepend (mine, l->data);
  for (GList *l = mine; l != NULL; l = l->next)
    {
      XtlsXfer *x = l->data;
      PurpleXfer *xfer = x->xfer;
      gboolean linked = x->session != NULL;
      purple_xfer_ref (xfer);
      x->session = NULL;
      xtls_xfer_remove_partial (x);
      xtls_xfer_release (x);
      if (linked && !purple_xfer_is_canceled (xfer) && !purple_xfer_is_completed (xfer))
        purple_xfer_cancel_local (xfer);
      purple_xfer_unref (xfer);
    }
  g_list_free (mine);
}
