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

#include "glue.h"
#include "xtls-error.h"

/* Pidgin redraws the transfer window on every update: at most this often (and at the end). */
#define PROGRESS_INTERVAL_US (100 * 1000)

typedef struct
{
  PurpleAccount *account; /* borrowed; looked up again before use */
  PurpleXfer *xfer;       /* a reference of ours */
  XtlsSession *session;   /* transfer none: NULL before the offer and after file_ended */
  char *bare;             /* owned: the contact */
  char *peer;             /* owned: the full JID the file goes to, or NULL (none can) */
  char *final_path;       /* owned, receiver: the name the user chose */
  char *part_path;        /* owned, receiver: where the bytes go until they are verified */
  int fd;                 /* the file being read or written, or -1 */
  gboolean closing;       /* the account is going away: its sessions end now */
  gint64 last_update;     /* monotonic µs of the last purple_xfer_update_progress */
} XtlsXfer;

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
static void
xfer_free (XtlsXfer *x)
{
  live = g_list_remove (live, x);
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

static XtlsXfer *
xfer_of_session (XtlsSession *s)
{
  for (GList *l = live; l != NULL; l = l->next)
    if (((XtlsXfer *)l->data)->session == s)
      return l->data;
  return NULL;
}

static XtlsXfer *
xfer_of (PurpleXfer *xfer)
{
  return xfer != NULL && g_list_find (live, xfer->data) != NULL ? xfer->data : NULL;
}

static void
remove_partial (XtlsXfer *x)
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

/* ---- sentences ------------------------------------------------------------------------ */

static const char *
describe_failure (const GError *error, gboolean receiving)
{
  if (error == NULL)
    return "";
  if (error->domain == XTLS_FILEXFER_ERROR)
    switch ((XtlsFilexferError)error->code)
      {
        case XTLS_FILEXFER_ERROR_HASH_MISMATCH:
        case XTLS_FILEXFER_ERROR_HASH_CONFLICT:
          /* Translators: this and the next sentences say why an encrypted file transfer
           * failed; they follow "The encrypted transfer of <file> failed:" */
          return _ ("the received bytes are not the file that was announced (checksum "
                    "mismatch). The partial file was deleted.");
        case XTLS_FILEXFER_ERROR_TOO_LONG:
          return _ ("the other side sent more than the announced size. The partial file was "
                    "deleted.");
        case XTLS_FILEXFER_ERROR_TRUNCATED:
          return _ ("the other side stopped before the end of the file. The partial file was "
                    "deleted.");
        case XTLS_FILEXFER_ERROR_SOURCE_CHANGED:
          return _ ("the file changed on disk while it was being sent.");
        case XTLS_FILEXFER_ERROR_TUNNEL:
          return _ ("the encrypted connection closed before the end of the file.");
        case XTLS_FILEXFER_ERROR_CANCELLED:
          return _ ("you cancelled it.");
        case XTLS_FILEXFER_ERROR_PEER_CANCELLED:
          return _ ("your contact cancelled or declined it.");
      }
  /* <failed-application/> from the peer (or another error end): XEP-0234 says no more. */
  if (g_error_matches (error, XTLS_ERROR, XTLS_ERROR_PROTOCOL))
    return receiving ? _ ("the sender's client ended it with an error before the whole file was "
                          "sent. A partial file is deleted.")
                     : _ ("your contact's client ended it with an error: the file did not arrive "
                          "intact there, or could not be stored.");
  if (g_error_matches (error, XTLS_ERROR, XTLS_ERROR_PEER_GONE))
    return _ ("your contact went offline. A partial file is deleted.");
  if (g_error_matches (error, XTLS_ERROR, XTLS_ERROR_TIMEOUT))
    return _ ("your contact stopped answering. A partial file is deleted.");
  if (error->domain == XTLS_ERROR)
    return xtls_error_describe (error);
  /* The glue's own errors: reading the file, or writing it (e.g. the disk is full). */
  return error->message;
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
static void
ask_unencrypted (XtlsAccount *xa, const char *who, const char *bare, const char *file,
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
      remove_partial (x);
      xfer_free (x);
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
    xfer_free (x);
}

static PurpleXfer *
our_xfer (XtlsAccount *xa, PurpleXferType type, const char *bare, const char *peer)
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
  return our_xfer (xa, PURPLE_XFER_SEND, bare, peer);
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
      ask_unencrypted (xa, who, bare, file, _ ("their client cannot receive encrypted files"));
      return;
    }
  xfer = our_xfer (xa, PURPLE_XFER_SEND, bare, peer);
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
      remove_partial (x);
      xfer_free (x);
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

/* ---- the core's callbacks ------------------------------------------------------------- */

/* How far the receiver can trust who sends this, before the tunnel proves it: the announced
 * key against the verified one (the handshake then checks the announcement). */
static const char *
trust_of_offer (XtlsAccount *xa, XtlsSession *s, const char *bare, gboolean *acceptable)
{
  const char *announced = xtls_session_get_peer_fingerprint (s);
  const char *pinned = xtls_trust_store_lookup (xa->trust, bare);
  XtlsContact *c = xtls_contact_find (xa, bare);
  XtlsSession *chat = c != NULL ? xtls_conv_session (xa, bare) : NULL;

  *acceptable = TRUE;
  if (announced != NULL && pinned != NULL && g_ascii_strcasecmp (announced, pinned) == 0)
    /* Translators: how far the sender of an encrypted file is trusted */
    return _ ("Their identity is verified.");
  if (announced != NULL && chat != NULL && xtls_session_get_peer_fingerprint (chat) != NULL
      && g_ascii_strcasecmp (announced, xtls_session_get_peer_fingerprint (chat)) == 0
      && xtls_session_get_state (chat) == XTLS_STATE_UNVERIFIED
      && xtls_session_get_tls_description (chat) != NULL)
    /* Translators: how far the sender of an encrypted file is trusted */
    return _ ("Their identity is NOT verified: you accepted their key for this session only.");
  *acceptable = FALSE;
  return NULL;
}

void
xtls_xfer_offered (XtlsHub *hub, XtlsSession *s, gpointer user_data)
{
  XtlsAccount *xa = user_data;
  const XtlsFileInfo *file = xtls_session_get_file (s);
  g_autofree char *bare = xtls_bare_of (xtls_session_get_peer (s));
  g_autofree char *size = purple_str_size_to_units ((size_t)file->size);
  gboolean acceptable;
  const char *trust = trust_of_offer (xa, s, bare, &acceptable);
  PurpleXfer *xfer;
  XtlsXfer *x;

  if (!acceptable)
    {
      /* Their key is unknown here: there is nobody to verify it with in a file dialog. */
      xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR,
                        /* Translators: the first %s is the contact, the second the file name;
                         * do not translate the command */
                        _ ("%s offered the encrypted file %s, but their key is not verified "
                           "here, so it was declined. Start a private conversation (/xtls "
                           "start), verify them, and ask them to send it again."),
                        bare, file->name);
      xtls_session_accept_file (s, FALSE);
      return;
    }
  xtls_conv_notice (xa, bare, 0,
                    /* Translators: the first %s is the contact, the second the file name, the
                     * third its size ("1.0 MB"), the fourth how far the sender is trusted */
                    _ ("%s offers the file %s (%s) through an end-to-end encrypted connection. "
                       "%s"),
                    bare, file->name, size, trust);
  xfer = our_xfer (xa, PURPLE_XFER_RECEIVE, bare, xtls_session_get_peer (s));
  x = xfer->data;
  x->session = s;
  purple_xfer_set_filename (xfer, file->name);
  purple_xfer_set_size (xfer, (size_t)file->size);
  purple_xfer_request (xfer);
}

gssize
xtls_xfer_read (XtlsHub *hub, XtlsSession *s, guint8 *buf, gsize max, GError **error,
                gpointer user_data)
{
  XtlsXfer *x = xfer_of_session (s);
  gssize n;

  if (x == NULL || x->fd < 0)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_BADF, _ ("the file is not open"));
      return -1;
    }
  do
    n = read (x->fd, buf, max);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                 /* Translators: %s is the system's reason */
                 _ ("the file could not be read (%s)"), g_strerror (errno));
  return n;
}

gboolean
xtls_xfer_store (XtlsHub *hub, XtlsSession *s, const guint8 *data, gsize len, GError **error,
                 gpointer user_data)
{
  XtlsXfer *x = xfer_of_session (s);

  if (x == NULL || x->fd < 0)
    {
      g_set_error_literal (error, G_FILE_ERROR, G_FILE_ERROR_BADF, _ ("the file is not open"));
      return FALSE;
    }
  while (len > 0)
    {
      gssize n = write (x->fd, data, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (n < 0 ? errno : ENOSPC),
                       /* Translators: %s is the system's reason, e.g. "No space left on
                        * device" */
                       _ ("the file could not be saved (%s). The partial file was deleted."),
                       g_strerror (n < 0 ? errno : ENOSPC));
          return FALSE;
        }
      data += n;
      len -= (gsize)n;
    }
  return TRUE;
}

void
xtls_xfer_progress (XtlsHub *hub, XtlsSession *s, guint64 done, guint64 total, gpointer user_data)
{
  XtlsXfer *x = xfer_of_session (s);
  gint64 now = g_get_monotonic_time ();

  if (x == NULL || x->xfer == NULL)
    return;
  if (purple_xfer_get_status (x->xfer) != PURPLE_XFER_STATUS_STARTED)
    purple_xfer_start (x->xfer, -1, NULL, 0); /* sender: the receiver accepted */
  purple_xfer_set_bytes_sent (x->xfer, (size_t)MIN (done, total));
  if (done >= total || now - x->last_update >= PROGRESS_INTERVAL_US)
    {
      x->last_update = now;
      purple_xfer_update_progress (x->xfer);
    }
}

static gboolean
finish_received (XtlsXfer *x, GError **error)
{
  int fd = x->fd;

  x->fd = -1;
  if (fsync (fd) != 0 || close (fd) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   _ ("the file could not be saved (%s). The partial file was deleted."),
                   g_strerror (errno));
      return FALSE;
    }
  if (g_rename (x->part_path, x->final_path) != 0)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno),
                   _ ("the file could not be saved (%s). The partial file was deleted."),
                   g_strerror (errno));
      return FALSE;
    }
  g_clear_pointer (&x->part_path, g_free);
  return TRUE;
}

void
xtls_xfer_ended (XtlsHub *hub, XtlsSession *s, const GError *error, gpointer user_data)
{
  XtlsAccount *xa = user_data;
  XtlsXfer *x = xfer_of_session (s);
  g_autoptr (GError) local = NULL;
  g_autofree char *x_peer = NULL;
  gboolean closing;
  PurpleXfer *xfer;
  const char *name;
  gboolean receiving;

  if (x == NULL)
    return;
  x->session = NULL;
  closing = x->closing;
  x_peer = g_strdup (x->peer);
  xfer = x->xfer;
  purple_xfer_ref (xfer);
  name = purple_xfer_get_filename (xfer);
  receiving = purple_xfer_get_type (xfer) == PURPLE_XFER_RECEIVE;
  if (error == NULL && receiving && !finish_received (x, &local))
    error = local;
  if (error == NULL)
    {
      const char *tls = xtls_session_get_tls_description (s);
      if (receiving)
        purple_xfer_set_local_filename (xfer, x->final_path);
      purple_xfer_set_bytes_sent (xfer, purple_xfer_get_size (xfer));
      purple_xfer_update_progress (xfer);
      xtls_conv_notice (xa, x->bare, 0,
                        receiving
                            /* Translators: the first %s is the file name, the second the
                             * encryption in technical terms, e.g. "TLS1.3, AES-256-GCM" */
                            ? _ ("%s was received privately: end-to-end encrypted (%s), size "
                                 "and checksum verified.")
                            /* Translators: the first %s is the file name, the second the
                             * encryption in technical terms, e.g. "TLS1.3, AES-256-GCM" */
                            : _ ("%s was sent privately: end-to-end encrypted (%s), and your "
                                 "contact's client confirmed that it arrived intact."),
                        name, tls != NULL ? tls : "TLS");
      xfer_free (x);
      if (purple_xfer_get_status (xfer) != PURPLE_XFER_STATUS_STARTED)
        purple_xfer_start (xfer, -1, NULL, 0);
      purple_xfer_set_completed (xfer, TRUE);
      purple_xfer_end (xfer);
      purple_xfer_unref (xfer);
      return;
    }
  remove_partial (x);
  xfer_free (x);
  if (!receiving && !closing && g_error_matches (error, XTLS_ERROR, XTLS_ERROR_UNSUPPORTED)
      && !purple_xfer_is_canceled (xfer))
    {
      /* Their client answered that it cannot take an encrypted file (an XTLS client that only
       * does chat): nothing of the file left; the user may choose to send it unencrypted. */
      g_autofree char *path = g_strdup (purple_xfer_get_local_filename (xfer));
      g_autofree char *who = g_strdup (purple_xfer_get_remote_user (xfer));
      g_autofree char *peer = g_strdup (x_peer);
      purple_xfer_cancel_local (xfer);
      /* Translators: a reason in "The file was not sent to %s: %s." */
      ask_unencrypted (xa, peer != NULL ? peer : who, who, path,
                       _ ("their client refused an encrypted file"));
      purple_xfer_unref (xfer);
      return;
    }
  if (!purple_xfer_is_canceled (xfer) && !purple_xfer_is_completed (xfer))
    {
      gboolean by_peer
          = g_error_matches (error, XTLS_FILEXFER_ERROR, XTLS_FILEXFER_ERROR_PEER_CANCELLED)
            || g_error_matches (error, XTLS_ERROR, XTLS_ERROR_DECLINED);
      if (closing)
        xtls_conv_notice (xa, purple_xfer_get_remote_user (xfer), PURPLE_MESSAGE_ERROR,
                          /* Translators: %s is the file name */
                          _ ("The encrypted transfer of %s stopped: your account is going "
                             "offline (or the plugin was turned off). A partial file is "
                             "deleted."),
                          name);
      else if (by_peer && !receiving && purple_xfer_get_status (xfer) != PURPLE_XFER_STATUS_STARTED)
        xtls_conv_notice (xa, purple_xfer_get_remote_user (xfer), 0,
                          /* Translators: the first %s is the contact, the second the file
                           * name; do not translate the command */
                          _ ("%s did not accept %s. Encrypted files are only taken from "
                             "verified contacts: if you have not verified each other yet, start "
                             "a private conversation (/xtls start) and verify first."),
                          purple_xfer_get_remote_user (xfer), name);
      else if (!by_peer)
        xtls_conv_notice (xa, purple_xfer_get_remote_user (xfer), PURPLE_MESSAGE_ERROR,
                          /* Translators: the first %s is the file name, the second a sentence
                           * saying why */
                          _ ("The encrypted transfer of %s failed: %s"), name,
                          describe_failure (error, receiving));
      /* libpurple's window says "Failed" for a remote end, "Cancelled" for a local one. */
      if (!closing
          && (purple_xfer_get_status (xfer) == PURPLE_XFER_STATUS_STARTED
              || purple_xfer_get_status (xfer) == PURPLE_XFER_STATUS_ACCEPTED || by_peer))
        purple_xfer_cancel_remote (xfer);
      else
        purple_xfer_cancel_local (xfer);
    }
  purple_xfer_unref (xfer);
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
      remove_partial (x);
      xfer_free (x);
      if (linked && !purple_xfer_is_canceled (xfer) && !purple_xfer_is_completed (xfer))
        purple_xfer_cancel_local (xfer);
      purple_xfer_unref (xfer);
    }
  g_list_free (mine);
}

/* A file session needs a decision about the peer's key. There is no verify dialog for a file:
 * the key the user accepted for the running private conversation is accepted again; anything
 * else is cancelled with a sentence (fail closed). */
void
xtls_xfer_decision (XtlsAccount *xa, XtlsSession *s, XtlsDecision decision)
{
  g_autofree char *bare = xtls_bare_of (xtls_session_get_peer (s));
  gboolean acceptable = FALSE;

  if (decision == XTLS_DECISION_UNKNOWN_KEY)
    trust_of_offer (xa, s, bare, &acceptable);
  if (acceptable)
    {
      xtls_session_decide (s, XTLS_ANSWER_ACCEPT_ONCE);
      return;
    }
  xtls_conv_notice (xa, bare, PURPLE_MESSAGE_ERROR,
                    /* Translators: %s is the contact; do not translate the command */
                    _ ("Files to and from %s go only through a verified connection: start a "
                       "private conversation (/xtls start) and verify them first."),
                    bare);
  xtls_session_decide (s, XTLS_ANSWER_CANCEL);
}
