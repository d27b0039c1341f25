/* The verify dialog (pidgin-otr's "Authenticate buddy"): the safety code to compare aloud, both
 * fingerprints to copy, and three answers. It opens by itself when the core meets an unknown
 * key (we claimed the decision), and from the status menu. One dialog per contact; it keeps
 * only the account and the bare JID and asks the core again when the user answers. */
#include "gtk-xtls.h"

enum
{
  RESPONSE_VERIFIED = 1,
  RESPONSE_PASSWORD = 2,
  RESPONSE_HELP = 3,
};

typedef struct
{
  PurpleAccount *account; /* borrowed, checked with xtls_gtk_account_alive() before use */
  char *bare;             /* owned */
  char *shown;            /* owned: the peer fingerprint on screen, or NULL */
  gboolean asked;         /* it showed the core's question about an unknown key */
  GtkWidget *dialog;
  GtkWidget *icon;
  GtkWidget *heading;
  GtkWidget *device; /* which of the contact's devices the session is with */
  GtkWidget *code;
  GtkWidget *own;
  GtkWidget *theirs_title;
  GtkWidget *theirs;
  GtkWidget *note;
  GtkWidget *verified;
  GtkWidget *password;
} VerifyDialog;

static GHashTable *dialogs; /* "account-pointer bare" -> VerifyDialog (freed on destroy) */

static char *
dialog_key (PurpleAccount *account, const char *bare)
{
  return g_strdup_printf ("%p %s", (void *)account, bare);
}

static GtkWidget *
mono_label (const char *name)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_widget_set_name (label, name);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  return label;
}

static void
set_mono (GtkWidget *label, const char *text, const char *size, const char *weight)
{
  g_autofree char *markup = g_markup_printf_escaped (
      "<span font_family=\"monospace\" size=\"%s\" weight=\"%s\">%s</span>", size, weight, text);
  gtk_label_set_markup (GTK_LABEL (label), markup);
}

/* The device the key belongs to: a contact may be online from several. */
static void
show_device (VerifyDialog *vd, const XtlsGtkPeer *peer)
{
  GList *devices = peer->peer != NULL ? xtls_gtk_core_devices (vd->account, vd->bare) : NULL;
  g_autofree char *device = xtls_gtk_device_label (peer->peer, devices);
  /* Translators: %s is the contact's device, e.g. "“phone” (Gajim)" */
  g_autofree char *text = device != NULL ? g_strdup_printf (_ ("Their device: %s"), device) : NULL;

  xtls_gtk_devices_free (devices);
  if (text != NULL)
    purple_debug_info ("xtls-gtk", "verify dialog for %s: %s\n", vd->bare, text);
  gtk_label_set_text (GTK_LABEL (vd->device), text != NULL ? text : "");
  gtk_widget_set_visible (vd->device, text != NULL);
}

/* Everything on screen comes from the core again: a new session may bring a new key. */
static void
refresh (VerifyDialog *vd)
{
  XtlsGtkPeer *peer = xtls_gtk_peer_get (vd->account, vd->bare);
  const char *name = xtls_gtk_display_name (vd->account, vd->bare);
  g_autofree char *own = xtls_gtk_core_fingerprint (vd->account);
  g_autofree char *theirs
      = xtls_gtk_core_peer_fingerprint (vd->account, xtls_gtk_peer_target (peer));
  g_autofree char *code = xtls_gtk_core_safety_code (vd->account, xtls_gtk_peer_target (peer));
  g_autofree char *own_text = xtls_gtk_group (own, 4, 8);
  g_autofree char *theirs_text = xtls_gtk_group (theirs, 4, 8);
  g_autofree char *code_text = xtls_gtk_group (code, 4, 5);
  g_autofree char *heading = NULL;
  g_autofree char *who = NULL;
  g_autofree char *theirs_title = NULL;
  gboolean tunnel_up = peer->state == XTLS_API_STATE_PRIVATE
                       || (peer->state == XTLS_API_STATE_UNVERIFIED && peer->pending == 0);

  g_free (vd->shown);
  vd->shown = g_strdup (theirs);
  vd->asked = vd->asked || peer->pending == XTLS_API_DECISION_UNKNOWN_KEY;
  /* Translators: a contact's name and, in brackets, their XMPP address */
  who = g_strcmp0 (name, vd->bare) != 0 ? g_strdup_printf (_ ("%s (%s)"), name, vd->bare)
                                        : g_strdup (vd->bare);
  heading = g_markup_printf_escaped ("<span size=\"larger\" weight=\"bold\">%s</span>\n%s",
                                     peer->pending == XTLS_API_DECISION_UNKNOWN_KEY
                                         ? _ ("Is this really your contact?")
                                         : _ ("Verify your contact"),
                                     who);
  xtls_gtk_icon_set (GTK_IMAGE (vd->icon),
                     peer->pending != 0 ? XTLS_API_STATE_UNVERIFIED : peer->state, 48);
  gtk_label_set_markup (GTK_LABEL (vd->heading), heading);
  show_device (vd, peer);

  /* Ten groups of four digits: two lines of five read well aloud. */
  set_mono (vd->code, code_text[0] != '\0' ? code_text : "—", "xx-large", "bold");

  set_mono (vd->own, own_text != NULL ? own_text : "", "medium", "normal");
  /* Translators: %s is the contact's name; the label above their fingerprint */
  theirs_title = g_strdup_printf (_ ("%s's fingerprint:"), name);
  gtk_label_set_text (GTK_LABEL (vd->theirs_title), theirs_title);
  if (theirs != NULL)
    {
      set_mono (vd->theirs, theirs_text, "medium", "normal");
      gtk_label_set_text (GTK_LABEL (vd->note),
                          _ ("Read the code to each other by phone or in person. If it is the "
                             "same, nobody in between can read or change what you write. If it "
                             "is different, do not choose \"I have verified this\"."));
    }
  else
    {
      gtk_label_set_text (GTK_LABEL (vd->theirs), _ ("(not known yet)"));
      gtk_label_set_text (GTK_LABEL (vd->note),
                          _ ("Your contact has not shown a key yet. Start a private conversation "
                             "first: the code appears here once it is being set up."));
    }
  gtk_widget_set_sensitive (vd->verified, theirs != NULL);
  /* What the user reads, for the GUI tests: the safety code is derived from two public
   * fingerprints and is no secret. */
  {
    g_autofree char *one_line = g_strdelimit (g_strdup (code_text), "\n", ' ');
    purple_debug_info ("xtls-gtk", "verify dialog %s: code %s, verify %s\n", vd->bare,
                       one_line[0] != '\0' ? one_line : "-",
                       theirs != NULL ? "enabled" : "disabled");
  }
  gtk_widget_set_sensitive (vd->password, !tunnel_up);
  gtk_widget_set_tooltip_text (
      vd->password, tunnel_up ? _ ("A private conversation is already running. Stop it first to "
                                   "verify with a shared password instead.")
                              : NULL);
}

static void
on_destroy (GtkWidget *dialog, VerifyDialog *vd)
{
  g_autofree char *key = dialog_key (vd->account, vd->bare);

  if (dialogs != NULL && g_hash_table_lookup (dialogs, key) == vd)
    g_hash_table_remove (dialogs, key);
  g_free (vd->bare);
  g_free (vd->shown);
  g_free (vd);
}

static void
show_error (GtkWindow *parent, const char *primary, const char *secondary)
{
  GtkWidget *msg = gtk_message_dialog_new (parent, GTK_DIALOG_DESTROY_WITH_PARENT,
                                           GTK_MESSAGE_ERROR, GTK_BUTTONS_CLOSE, "%s", primary);

  gtk_widget_set_name (msg, "xtls-error-dialog");
  gtk_message_dialog_format_secondary_text (GTK_MESSAGE_DIALOG (msg), "%s", secondary);
  g_signal_connect (msg, "response", G_CALLBACK (gtk_widget_destroy), NULL);
  gtk_widget_show (msg);
}

/* "I have verified this": answers the pending question, or pins the key that was on screen. */
static gboolean
verified (VerifyDialog *vd)
{
  XtlsGtkPeer *peer = xtls_gtk_peer_get (vd->account, vd->bare);
  g_autofree char *now = xtls_gtk_core_peer_fingerprint (vd->account, xtls_gtk_peer_target (peer));

  if (vd->shown == NULL || g_strcmp0 (now, vd->shown) != 0)
    {
      /* The key changed while the dialog was open: show the new one, decide nothing. */
      refresh (vd);
      return FALSE;
    }
  if (peer->pending == XTLS_API_DECISION_UNKNOWN_KEY)
    {
      peer->pending = 0;
      xtls_gtk_core_decide (vd->account, xtls_gtk_peer_target (peer), XTLS_API_ANSWER_VERIFIED);
      xtls_gtk_status_refresh (peer);
      return TRUE;
    }
  if (!xtls_gtk_core_trust (vd->account, vd->bare, vd->shown))
    {
      show_error (GTK_WINDOW (vd->dialog), _ ("The key could not be saved"),
                  _ ("Is the account still connected? Try again after it has signed on."));
      return FALSE;
    }
  xtls_gtk_prefs_refresh ();
  return TRUE;
}

static void
on_response (GtkDialog *dialog, int response, VerifyDialog *vd)
{
  PurpleAccount *account = vd->account;
  g_autofree char *bare = g_strdup (vd->bare);

  if (!xtls_gtk_account_alive (account))
    {
      gtk_widget_destroy (GTK_WIDGET (dialog));
      return;
    }
  switch (response)
    {
      case RESPONSE_VERIFIED:
        if (verified (vd))
          gtk_widget_destroy (GTK_WIDGET (dialog));
        break;
      case RESPONSE_HELP:
        xtls_gtk_explain_verification (GTK_WINDOW (dialog));
        break;
      case RESPONSE_PASSWORD:
        {
          XtlsGtkPeer *peer = xtls_gtk_peer_get (account, bare);

          gtk_widget_destroy (GTK_WIDGET (dialog));
          if (peer->pending == XTLS_API_DECISION_UNKNOWN_KEY)
            {
              /* Answered now, not when the password is typed: the contact's screen switches
               * to its password dialog at the same moment (PROTOCOL.md §2.1). The core asks
               * us for the password, which opens the dialog below. */
              peer->pending = 0;
              xtls_gtk_core_decide (account, xtls_gtk_peer_target (peer),
                                    XTLS_API_ANSWER_USE_PASSWORD);
            }
          xtls_gtk_password_open (account, bare);
        }
        break;
      default:
        /* "Not now" leaves a pending question open: the session waits (no deadline runs while
         * the core waits for the user) and Verify… in the status menu brings this back. */
        gtk_widget_destroy (GTK_WIDGET (dialog));
        break;
    }
}

static GtkWidget *
add_button (GtkWidget *dialog, const char *name, const char *label, int response)
{
  GtkWidget *button = gtk_dialog_add_button (GTK_DIALOG (dialog), label, response);
  gtk_widget_set_name (button, name);
  return button;
}

static GtkWidget *
small_title (const char *text)
{
  GtkWidget *label = gtk_label_new (text);
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  return label;
}

static VerifyDialog *
build (PurpleAccount *account, const char *bare)
{
  VerifyDialog *vd = g_new0 (VerifyDialog, 1);
  g_autofree char *title = g_strdup_printf (_ ("Verify %s"), bare);
  GtkWidget *content, *hbox, *vbox, *label, *frame;

  vd->account = account;
  vd->bare = g_strdup (bare);
  vd->dialog = gtk_dialog_new ();
  gtk_window_set_title (GTK_WINDOW (vd->dialog), title);
  gtk_window_set_role (GTK_WINDOW (vd->dialog), "xtls-verify-dialog");
  gtk_widget_set_name (vd->dialog, "xtls-verify-dialog");
  gtk_dialog_set_has_separator (GTK_DIALOG (vd->dialog), FALSE);
  gtk_container_set_border_width (GTK_CONTAINER (vd->dialog), 6);
  content = gtk_dialog_get_content_area (GTK_DIALOG (vd->dialog));
  gtk_box_set_spacing (GTK_BOX (content), 12);

  hbox = gtk_hbox_new (FALSE, 12);
  gtk_container_set_border_width (GTK_CONTAINER (hbox), 6);
  gtk_box_pack_start (GTK_BOX (content), hbox, TRUE, TRUE, 0);
  vd->icon = gtk_image_new ();
  gtk_misc_set_alignment (GTK_MISC (vd->icon), 0.5, 0.0);
  gtk_box_pack_start (GTK_BOX (hbox), vd->icon, FALSE, FALSE, 0);
  vbox = gtk_vbox_new (FALSE, 6);
  gtk_box_pack_start (GTK_BOX (hbox), vbox, TRUE, TRUE, 0);

  vd->heading = gtk_label_new (NULL);
  gtk_widget_set_name (vd->heading, "xtls-verify-heading");
  gtk_misc_set_alignment (GTK_MISC (vd->heading), 0.0, 0.5);
  gtk_box_pack_start (GTK_BOX (vbox), vd->heading, FALSE, FALSE, 0);
  vd->device = gtk_label_new (NULL);
  gtk_widget_set_name (vd->device, "xtls-verify-device");
  gtk_misc_set_alignment (GTK_MISC (vd->device), 0.0, 0.5);
  gtk_widget_set_no_show_all (vd->device, TRUE);
  gtk_box_pack_start (GTK_BOX (vbox), vd->device, FALSE, FALSE, 0);

  label = gtk_label_new (_ ("Compare this code with your contact: it is the same on both "
                            "screens."));
  gtk_label_set_line_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_set_size_request (label, 440, -1);
  gtk_misc_set_alignment (GTK_MISC (label), 0.0, 0.5);
  gtk_box_pack_start (GTK_BOX (vbox), label, FALSE, FALSE, 6);

  frame = gtk_frame_new (NULL);
  gtk_frame_set_shadow_type (GTK_FRAME (frame), GTK_SHADOW_ETCHED_IN);
  vd->code = mono_label ("xtls-safety-code");
  gtk_misc_set_alignment (GTK_MISC (vd->code), 0.5, 0.5);
  gtk_misc_set_padding (GTK_MISC (vd->code), 12, 12);
  gtk_label_set_justify (GTK_LABEL (vd->code), GTK_JUSTIFY_CENTER);
  gtk_container_add (GTK_CONTAINER (frame), vd->code);
  gtk_box_pack_start (GTK_BOX (vbox), frame, FALSE, FALSE, 0);

  vd->note = gtk_label_new (NULL);
  gtk_widget_set_name (vd->note, "xtls-verify-note");
  gtk_label_set_line_wrap (GTK_LABEL (vd->note), TRUE);
  gtk_widget_set_size_request (vd->note, 440, -1);
  gtk_misc_set_alignment (GTK_MISC (vd->note), 0.0, 0.5);
  gtk_box_pack_start (GTK_BOX (vbox), vd->note, FALSE, FALSE, 6);

  gtk_box_pack_start (GTK_BOX (vbox), small_title (_ ("Your fingerprint:")), FALSE, FALSE, 0);
  vd->own = mono_label ("xtls-own-fingerprint");
  gtk_box_pack_start (GTK_BOX (vbox), vd->own, FALSE, FALSE, 0);
  vd->theirs_title = small_title (NULL);
  gtk_box_pack_start (GTK_BOX (vbox), vd->theirs_title, FALSE, FALSE, 0);
  vd->theirs = mono_label ("xtls-peer-fingerprint");
  gtk_box_pack_start (GTK_BOX (vbox), vd->theirs, FALSE, FALSE, 0);

  gtk_button_box_set_child_secondary (
      GTK_BUTTON_BOX (gtk_dialog_get_action_area (GTK_DIALOG (vd->dialog))),
      add_button (vd->dialog, "xtls-verify-help", _ ("What is _this?"), RESPONSE_HELP), TRUE);
  vd->password = add_button (vd->dialog, "xtls-verify-password",
                             _ ("Use a shared _password instead"), RESPONSE_PASSWORD);
  add_button (vd->dialog, "xtls-verify-not-now", _ ("_Not now"), GTK_RESPONSE_CLOSE);
  vd->verified = add_button (vd->dialog, "xtls-verify-verified", _ ("I have _verified this"),
                             RESPONSE_VERIFIED);
  gtk_dialog_set_default_response (GTK_DIALOG (vd->dialog), GTK_RESPONSE_CLOSE);

  g_signal_connect (vd->dialog, "response", G_CALLBACK (on_response), vd);
  g_signal_connect (vd->dialog, "destroy", G_CALLBACK (on_destroy), vd);
  return vd;
}

void
xtls_gtk_verify_open (PurpleAccount *account, const char *bare)
{
  g_autofree char *key = dialog_key (account, bare);
  VerifyDialog *vd;

  if (dialogs == NULL)
    dialogs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  vd = g_hash_table_lookup (dialogs, key);
  if (vd == NULL)
    {
      vd = build (account, bare);
      g_hash_table_insert (dialogs, g_steal_pointer (&key), vd);
    }
  refresh (vd);
  gtk_widget_show_all (vd->dialog);
  gtk_window_present (GTK_WINDOW (vd->dialog));
}

void
xtls_gtk_verify_state_changed (const XtlsGtkPeer *peer)
{
  g_autofree char *key = dialog_key (peer->account, peer->bare);
  VerifyDialog *vd = dialogs != NULL ? g_hash_table_lookup (dialogs, key) : NULL;

  if (vd == NULL)
    return;
  /* The question it answered is gone with the session (the core closes its own prompts the
   * same way); otherwise keep it, with what the core knows now. */
  if (vd->asked && (peer->state == XTLS_API_STATE_FAILED || peer->state == XTLS_API_STATE_FINISHED))
    gtk_widget_destroy (vd->dialog);
  else
    refresh (vd);
}

void
xtls_gtk_verify_question_replaced (const XtlsGtkPeer *peer)
{
  g_autofree char *key = dialog_key (peer->account, peer->bare);
  VerifyDialog *vd = dialogs != NULL ? g_hash_table_lookup (dialogs, key) : NULL;

  /* The contact chose a shared password: the key question this dialog asked is gone, and
   * the password dialog takes its place (nothing is pinned that the user did not confirm). */
  if (vd != NULL && vd->asked)
    gtk_widget_destroy (vd->dialog);
}

void
xtls_gtk_verify_close_all (void)
{
  GList *all;

  if (dialogs == NULL)
    return;
  all = g_hash_table_get_values (dialogs);
  for (GList *l = all; l != NULL; l = l->next)
    gtk_widget_destroy (((VerifyDialog *)l->data)->dialog);
  g_list_free (all);
  g_clear_pointer (&dialogs, g_hash_table_unref);
}
