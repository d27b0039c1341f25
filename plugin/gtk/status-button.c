/* The status button in each XMPP conversation: a padlock and a word for the trust level, a
 * tooltip saying what it means and why the last attempt failed, and a menu to start, stop,
 * verify and forget. It sits at the right end of the formatting toolbar (where pidgin-otr's
 * button is); when the user hides that toolbar it moves next to the text entry, so the trust
 * level never disappears. Alt+P opens the menu from the keyboard. */
#include "gtk-xtls.h"

#include <string.h>

#include <gdk/gdkkeysyms.h>
#include <pidgin.h>
#include <gtkconv.h>
#include <gtkconvwin.h>

#define ICON_SIZE 16
#define MAX_RESOURCE_CHARS 20 /* of a device's name on the button (the tooltip has it all) */

typedef struct
{
  PurpleConversation *conv; /* borrowed; we are destroyed on "deleting-conversation" */
  PurpleAccount *account;   /* borrowed */
  GtkWidget *holder;        /* owns everything below; destroying it frees this struct */
  GtkWidget *button;
  GtkWidget *image;
  GtkWidget *label;
  GtkWidget *menu;    /* attached to the button, rebuilt on every opening, or NULL */
  GtkWidget *toolbar; /* weak: the conversation's formatting toolbar */
  GtkWidget *lower;   /* weak: the box holding the toolbar and the entry */
  GtkWidget *window;  /* the toplevel our mnemonic is registered with, or NULL */
} StatusButton;

static GHashTable *buttons; /* PurpleConversation* -> StatusButton* (not owned) */

static char *
conv_bare (StatusButton *sb)
{
  return xtls_gtk_bare (purple_conversation_get_name (sb->conv));
}

/* ---- the menu ------------------------------------------------------------------------------ */

static GtkWindow *
parent_window (StatusButton *sb)
{
  GtkWidget *top = gtk_widget_get_toplevel (sb->button);
  return gtk_widget_is_toplevel (top) ? GTK_WINDOW (top) : NULL;
}

static void
on_start (GtkMenuItem *item, StatusButton *sb)
{
  g_autofree char *bare = conv_bare (sb);
  xtls_gtk_core_start (sb->account, bare);
}

/* One device of several: the session goes there and nowhere else. */
static void
on_start_device (GtkMenuItem *item, StatusButton *sb)
{
  const char *jid = g_object_get_data (G_OBJECT (item), "xtls-device");

  if (jid != NULL)
    xtls_gtk_core_start (sb->account, jid);
}

static void
on_stop (GtkMenuItem *item, StatusButton *sb)
{
  g_autofree char *bare = conv_bare (sb);
  xtls_gtk_peer_stop (xtls_gtk_peer_get (sb->account, bare));
}

static void
on_verify (GtkMenuItem *item, StatusButton *sb)
{
  g_autofree char *bare = conv_bare (sb);
  xtls_gtk_verify_open (sb->account, bare);
}

static void
on_forget (GtkMenuItem *item, StatusButton *sb)
{
  g_autofree char *bare = conv_bare (sb);
  xtls_gtk_confirm_forget (parent_window (sb), sb->account, bare, NULL);
}

static void
on_help (GtkMenuItem *item, StatusButton *sb)
{
  xtls_gtk_explain_open (parent_window (sb));
}

static GtkWidget *
add_item (GtkWidget *menu, const char *name, const char *label, GCallback cb, StatusButton *sb)
{
  GtkWidget *item = gtk_menu_item_new_with_mnemonic (label);

  gtk_widget_set_name (item, name);
  if (cb != NULL)
    g_signal_connect (item, "activate", cb, sb);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), item);
  return item;
}

/* "Start on device" with one numbered item per online device, best first (pidgin-otr lists
 * one entry per session; here the user picks before it starts). */
static void
add_device_menu (GtkWidget *menu, StatusButton *sb, GList *devices)
{
  GtkWidget *item = add_item (menu, "xtls-menu-devices", _ ("Start on _device"), NULL, sb);
  GtkWidget *sub = gtk_menu_new ();
  guint n = 0;

  gtk_widget_set_name (sub, "xtls-device-menu");
  for (GList *l = devices; l != NULL; l = l->next)
    {
      XtlsGtkDevice *d = l->data;
      g_autofree char *device = xtls_gtk_device_label (d->jid, devices);
      g_auto (GStrv) parts = g_strsplit (device, "_", -1);
      g_autofree char *literal = g_strjoinv ("__", parts); /* a resource's "_" is no mnemonic */
      g_autofree char *label = NULL;
      GtkWidget *child;

      n++;
      label = n < 10 ? g_strdup_printf ("_%u  %s", n, literal) : g_strdup (literal);
      child = gtk_menu_item_new_with_mnemonic (label);
      if (!d->supported)
        gtk_widget_set_tooltip_text (
            child, _ ("Its capabilities do not list XTLS; it will be asked directly."));
      g_object_set_data_full (G_OBJECT (child), "xtls-device", g_strdup (d->jid), g_free);
      g_signal_connect (child, "activate", G_CALLBACK (on_start_device), sb);
      gtk_menu_shell_append (GTK_MENU_SHELL (sub), child);
    }
  gtk_menu_item_set_submenu (GTK_MENU_ITEM (item), sub);
}

static GtkWidget *
build_menu (StatusButton *sb)
{
  g_autofree char *bare = conv_bare (sb);
  XtlsGtkPeer *peer = xtls_gtk_peer_get (sb->account, bare);
  GtkWidget *menu = gtk_menu_new ();
  GtkWidget *item;
  int state = xtls_gtk_peer_shown_state (peer);
  gboolean running = state == XTLS_API_STATE_NEGOTIATING || state == XTLS_API_STATE_UNVERIFIED
                     || state == XTLS_API_STATE_PRIVATE;
  gboolean ended = state == XTLS_API_STATE_FINISHED || state == XTLS_API_STATE_FAILED;
  GList *devices = xtls_gtk_core_devices (sb->account, bare);

  gtk_widget_set_name (menu, "xtls-status-menu");
  if (running && peer->peer != NULL)
    {
      g_autofree char *device = xtls_gtk_device_label (peer->peer, devices);
      /* Translators: %s is the contact's device, e.g. "“phone” (Gajim)" */
      g_autofree char *text = g_strdup_printf (_ ("With their device %s"), device);
      item = add_item (menu, "xtls-menu-device", text, NULL, sb);
      gtk_label_set_use_underline (GTK_LABEL (gtk_bin_get_child (GTK_BIN (item))), FALSE);
      gtk_widget_set_sensitive (item, FALSE);
    }
  if (!running)
    add_item (menu, "xtls-menu-start", _ ("_Start private conversation"), G_CALLBACK (on_start),
              sb);
  if (!running && g_list_length (devices) > 1)
    add_device_menu (menu, sb, devices);
  if (running)
    add_item (menu, "xtls-menu-stop", _ ("S_top private conversation"), G_CALLBACK (on_stop), sb);
  else if (ended)
    /* After an ended or failed private conversation the core holds back what the user types
     * until they choose: a new private conversation, or this. */
    add_item (menu, "xtls-menu-stop", _ ("_Continue without encryption"), G_CALLBACK (on_stop), sb);
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), gtk_separator_menu_item_new ());
  add_item (menu, "xtls-menu-verify", _ ("_Verify…"), G_CALLBACK (on_verify), sb);
  item = add_item (menu, "xtls-menu-forget", _ ("_Forget key…"), G_CALLBACK (on_forget), sb);
  gtk_widget_set_sensitive (item, xtls_gtk_core_is_known (sb->account, bare));
  gtk_menu_shell_append (GTK_MENU_SHELL (menu), gtk_separator_menu_item_new ());
  add_item (menu, "xtls-menu-help", _ ("_What is this?"), G_CALLBACK (on_help), sb);
  gtk_widget_show_all (menu);
  xtls_gtk_devices_free (devices);
  return menu;
}

/* Under the button, or above it when there is no room below. */
static void
position_menu (GtkMenu *menu, gint *x, gint *y, gboolean *push_in, gpointer data)
{
  GtkWidget *button = data;
  GtkAllocation alloc;
  GtkRequisition req;
  GdkScreen *screen = gtk_widget_get_screen (button);

  gdk_window_get_origin (gtk_widget_get_window (button), x, y);
  gtk_widget_get_allocation (button, &alloc);
  gtk_widget_size_request (GTK_WIDGET (menu), &req);
  *x += alloc.x;
  *y += alloc.y + alloc.height;
  if (*y + req.height > gdk_screen_get_height (screen))
    *y -= alloc.height + req.height;
  *push_in = TRUE;
}

static void
menu_detached (GtkWidget *button, GtkMenu *menu)
{
  StatusButton *sb = g_object_get_data (G_OBJECT (button), "xtls-status");

  if (sb != NULL && sb->menu == GTK_WIDGET (menu))
    sb->menu = NULL;
}

static void
popup (StatusButton *sb, gboolean from_keyboard)
{
  if (sb->menu != NULL)
    gtk_widget_destroy (sb->menu);
  sb->menu = build_menu (sb);
  gtk_menu_attach_to_widget (GTK_MENU (sb->menu), sb->button, menu_detached);
  gtk_menu_popup (GTK_MENU (sb->menu), NULL, NULL, position_menu, sb->button, 0,
                  gtk_get_current_event_time ());
  if (from_keyboard)
    gtk_menu_shell_select_first (GTK_MENU_SHELL (sb->menu), FALSE);
}

static void
on_clicked (GtkButton *button, StatusButton *sb)
{
  popup (sb, FALSE);
}

/* Alt+P (and mnemonic activation from accessibility tools): open the menu at once, with its
 * first item selected, instead of GtkButton's delayed "clicked". */
static gboolean
on_mnemonic (GtkWidget *button, gboolean group_cycling, StatusButton *sb)
{
  if (group_cycling)
    return FALSE;
  popup (sb, TRUE);
  return TRUE;
}

/* ---- showing the state --------------------------------------------------------------------- */

static void
show_peer (StatusButton *sb, const XtlsGtkPeer *peer)
{
  int state = xtls_gtk_peer_shown_state (peer);
  GString *tip = g_string_new (xtls_gtk_state_sentence (state));

  gboolean running = state == XTLS_API_STATE_NEGOTIATING || state == XTLS_API_STATE_UNVERIFIED
                     || state == XTLS_API_STATE_PRIVATE;
  GList *devices
      = running && peer->peer != NULL ? xtls_gtk_core_devices (sb->account, peer->bare) : NULL;
  g_autofree char *device = running ? xtls_gtk_device_label (peer->peer, devices) : NULL;
  g_autofree char *word = NULL;

  /* Which device the conversation goes to, when the contact may have several. */
  if (device != NULL)
    {
      const char *resource = strchr (peer->peer, '/') + 1;
      /* A resource can be long (up to 1023 bytes): the button stays a button. */
      gboolean long_name = g_utf8_strlen (resource, -1) > MAX_RESOURCE_CHARS;
      g_autofree char *head = long_name ? g_utf8_substring (resource, 0, MAX_RESOURCE_CHARS) : NULL;
      g_autofree char *shown = long_name ? g_strconcat (head, "…", NULL) : g_strdup (resource);
      /* Translators: the state word and the contact's device (its XMPP resource), shown on
       * the status button, e.g. "Private · phone" */
      word = g_strdup_printf (_ ("%s · %s"), xtls_gtk_state_word (state), shown);
      g_string_append_c (tip, '\n');
      /* Translators: %s is the contact's device, e.g. "“phone” (Gajim)" */
      g_string_append_printf (tip, _ ("With their device %s"), device);
    }
  else
    word = g_strdup (xtls_gtk_state_word (state));
  xtls_gtk_devices_free (devices);
  xtls_gtk_icon_set (GTK_IMAGE (sb->image), state, ICON_SIZE);
  gtk_label_set_text (GTK_LABEL (sb->label), word);
  purple_debug_info ("xtls-gtk", "status button for %s: %s\n", peer->bare, word);
  if (peer->pending != 0)
    g_string_append_printf (tip, "\n%s",
                            _ ("Waiting for your decision: choose Verify… in this menu."));
  if (peer->failure != NULL)
    g_string_append_printf (tip, "\n\n%s", peer->failure); /* the core's sentence, translated */
  /* The accessible name stays "xtls-status-button" (GUI tests look for it); the description
   * is what a screen reader says about the state. */
  atk_object_set_description (gtk_widget_get_accessible (sb->button), tip->str);
  g_string_append_printf (tip, "\n\n%s", _ ("Click, or press Alt+P, for options."));
  gtk_widget_set_tooltip_text (sb->button, tip->str);
  g_string_free (tip, TRUE);
}

void
xtls_gtk_status_refresh (const XtlsGtkPeer *peer)
{
  GHashTableIter iter;
  gpointer value;

  if (buttons == NULL)
    return;
  g_hash_table_iter_init (&iter, buttons);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      StatusButton *sb = value;
      g_autofree char *bare = conv_bare (sb);

      if (sb->account == peer->account && g_strcmp0 (bare, peer->bare) == 0)
        show_peer (sb, peer);
    }
}

void
xtls_gtk_status_refresh_all (void)
{
  GHashTableIter iter;
  gpointer value;

  if (buttons == NULL)
    return;
  g_hash_table_iter_init (&iter, buttons);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      StatusButton *sb = value;
      g_autofree char *bare = conv_bare (sb);

      show_peer (sb, xtls_gtk_peer_get (sb->account, bare));
    }
}

/* ---- placing the button -------------------------------------------------------------------- */

static void
place (StatusButton *sb)
{
  GtkWidget *target
      = sb->toolbar != NULL && gtk_widget_get_visible (sb->toolbar) ? sb->toolbar : sb->lower;
  GtkWidget *parent = gtk_widget_get_parent (sb->holder);

  if (target == NULL || parent == target)
    return;
  g_object_ref (sb->holder);
  if (parent != NULL)
    gtk_container_remove (GTK_CONTAINER (parent), sb->holder);
  gtk_box_pack_end (GTK_BOX (target), sb->holder, FALSE, FALSE, 0);
  g_object_unref (sb->holder);
}

static void
on_toolbar_visibility (GtkWidget *toolbar, StatusButton *sb)
{
  place (sb);
}

/* The mnemonic belongs to the window; a tab can be dragged to another window. */
static void
on_hierarchy_changed (GtkWidget *button, GtkWidget *previous, StatusButton *sb)
{
  GtkWidget *top = gtk_widget_get_toplevel (button);

  if (sb->window != NULL)
    {
      gtk_window_remove_mnemonic (GTK_WINDOW (sb->window), GDK_KEY_p, button);
      g_object_remove_weak_pointer (G_OBJECT (sb->window), (gpointer *)&sb->window);
      sb->window = NULL;
    }
  if (gtk_widget_is_toplevel (top) && GTK_IS_WINDOW (top))
    {
      sb->window = top;
      g_object_add_weak_pointer (G_OBJECT (top), (gpointer *)&sb->window);
      gtk_window_add_mnemonic (GTK_WINDOW (top), GDK_KEY_p, button);
    }
}

static void
on_destroy (GtkWidget *holder, StatusButton *sb)
{
  if (buttons != NULL && g_hash_table_lookup (buttons, sb->conv) == sb)
    g_hash_table_remove (buttons, sb->conv);
  if (sb->window != NULL)
    {
      gtk_window_remove_mnemonic (GTK_WINDOW (sb->window), GDK_KEY_p, sb->button);
      g_object_remove_weak_pointer (G_OBJECT (sb->window), (gpointer *)&sb->window);
    }
  g_signal_handlers_disconnect_by_data (sb->button, sb);
  if (sb->toolbar != NULL)
    {
      g_signal_handlers_disconnect_by_data (sb->toolbar, sb);
      g_object_remove_weak_pointer (G_OBJECT (sb->toolbar), (gpointer *)&sb->toolbar);
    }
  if (sb->lower != NULL)
    g_object_remove_weak_pointer (G_OBJECT (sb->lower), (gpointer *)&sb->lower);
  g_object_set_data (G_OBJECT (sb->button), "xtls-status", NULL);
  g_free (sb);
}

static gboolean
is_xmpp_im (PurpleConversation *conv)
{
  PurpleAccount *account = purple_conversation_get_account (conv);

  return purple_conversation_get_type (conv) == PURPLE_CONV_TYPE_IM && account != NULL
         && g_strcmp0 (purple_account_get_protocol_id (account), "prpl-jabber") == 0;
}

void
xtls_gtk_status_attach (PurpleConversation *conv)
{
  PidginConversation *gtkconv = PIDGIN_CONVERSATION (conv);
  StatusButton *sb;
  GtkWidget *box;
  g_autofree char *bare = NULL;

  if (!is_xmpp_im (conv) || gtkconv == NULL || gtkconv->toolbar == NULL
      || gtkconv->lower_hbox == NULL)
    return;
  if (buttons == NULL)
    buttons = g_hash_table_new (g_direct_hash, g_direct_equal);
  if (g_hash_table_lookup (buttons, conv) != NULL)
    return;

  sb = g_new0 (StatusButton, 1);
  sb->conv = conv;
  sb->account = purple_conversation_get_account (conv);
  sb->toolbar = gtkconv->toolbar;
  sb->lower = gtkconv->lower_hbox;
  g_object_add_weak_pointer (G_OBJECT (sb->toolbar), (gpointer *)&sb->toolbar);
  g_object_add_weak_pointer (G_OBJECT (sb->lower), (gpointer *)&sb->lower);

  sb->holder = gtk_alignment_new (1.0, 0.0, 0.0, 0.0);
  gtk_widget_set_name (sb->holder, "xtls-status-holder");
  sb->button = gtk_button_new ();
  gtk_widget_set_name (sb->button, "xtls-status-button");
  gtk_button_set_relief (GTK_BUTTON (sb->button), GTK_RELIEF_NONE);
  gtk_button_set_focus_on_click (GTK_BUTTON (sb->button), FALSE);
  box = gtk_hbox_new (FALSE, 4);
  sb->image = gtk_image_new ();
  gtk_widget_set_name (sb->image, "xtls-status-icon");
  sb->label = gtk_label_new (NULL);
  gtk_widget_set_name (sb->label, "xtls-status-label");
  gtk_box_pack_start (GTK_BOX (box), sb->image, FALSE, FALSE, 0);
  gtk_box_pack_start (GTK_BOX (box), sb->label, FALSE, FALSE, 0);
  gtk_container_add (GTK_CONTAINER (sb->button), box);
  gtk_container_add (GTK_CONTAINER (sb->holder), sb->button);
  atk_object_set_name (gtk_widget_get_accessible (sb->button), "xtls-status-button");
  g_object_set_data (G_OBJECT (sb->button), "xtls-status", sb);

  g_signal_connect (sb->button, "clicked", G_CALLBACK (on_clicked), sb);
  g_signal_connect (sb->button, "mnemonic-activate", G_CALLBACK (on_mnemonic), sb);
  g_signal_connect (sb->button, "hierarchy-changed", G_CALLBACK (on_hierarchy_changed), sb);
  g_signal_connect (sb->holder, "destroy", G_CALLBACK (on_destroy), sb);
  g_signal_connect (sb->toolbar, "show", G_CALLBACK (on_toolbar_visibility), sb);
  g_signal_connect (sb->toolbar, "hide", G_CALLBACK (on_toolbar_visibility), sb);
  g_hash_table_insert (buttons, conv, sb);

  bare = conv_bare (sb);
  show_peer (sb, xtls_gtk_peer_get (sb->account, bare));
  gtk_widget_show_all (sb->holder);
  place (sb);
}

void
xtls_gtk_status_detach (PurpleConversation *conv)
{
  StatusButton *sb = buttons != NULL ? g_hash_table_lookup (buttons, conv) : NULL;

  if (sb != NULL)
    gtk_widget_destroy (sb->holder);
}

void
xtls_gtk_status_detach_all (void)
{
  GList *all;

  if (buttons == NULL)
    return;
  all = g_hash_table_get_values (buttons);
  for (GList *l = all; l != NULL; l = l->next)
    gtk_widget_destroy (((StatusButton *)l->data)->holder);
  g_list_free (all);
  g_clear_pointer (&buttons, g_hash_table_unref);
}
