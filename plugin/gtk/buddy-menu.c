/* The buddy list's context menu for an XMPP buddy (pidgin-otr has the same): when to use
 * private conversations with this contact, and verifying them by fingerprint before any
 * conversation. The setting is the buddy-list node's int "xtls-policy" (xtls-api.h), which
 * the core reads for every message (conv.c): "always" holds messages back even before the
 * first private conversation, "never" sends in plaintext and declines their requests. */
#include "gtk-xtls.h"

#include <pidgin.h>
#include <gtkblist.h>

#define BLIST_POLICY "xtls-policy"

typedef struct
{
  int policy;
  const char *label; /* the menu item, with a mnemonic */
  const char *word;  /* the current setting, in the parent item */
} Choice;

static const Choice choices[] = {
  { XTLS_API_POLICY_DEFAULT, N_ ("_Follow my preferences"), N_ ("as in my preferences") },
  { XTLS_API_POLICY_OPPORTUNISTIC, N_ ("A_utomatic, when their client supports it"),
    N_ ("automatic") },
  { XTLS_API_POLICY_REQUIRE, N_ ("_Always, never unencrypted"), N_ ("always") },
  { XTLS_API_POLICY_MANUAL, N_ ("_Only when I start one"), N_ ("when I start one") },
  { XTLS_API_POLICY_NEVER, N_ ("_Never"), N_ ("never") },
};

static int
buddy_policy (PurpleBuddy *buddy)
{
  int policy = purple_blist_node_get_int ((PurpleBlistNode *)buddy, BLIST_POLICY);

  for (guint i = 0; i < G_N_ELEMENTS (choices); i++)
    if (choices[i].policy == policy)
      return policy;
  return XTLS_API_POLICY_DEFAULT;
}

static void
on_policy (PurpleBlistNode *node, gpointer data)
{
  int policy = GPOINTER_TO_INT (data);
  PurpleBuddy *buddy = (PurpleBuddy *)node;

  if (!PURPLE_BLIST_NODE_IS_BUDDY (node))
    return;
  if (policy == XTLS_API_POLICY_DEFAULT)
    purple_blist_node_remove_setting (node, BLIST_POLICY);
  else
    purple_blist_node_set_int (node, BLIST_POLICY, policy);
  purple_debug_info ("xtls-gtk", "policy for %s: %d\n", purple_buddy_get_name (buddy), policy);
}

static void
on_verify (PurpleBlistNode *node, gpointer data)
{
  PurpleBuddy *buddy = (PurpleBuddy *)node;
  g_autofree char *bare = NULL;
  PidginBuddyList *blist = pidgin_blist_get_default_gtk_blist ();

  if (!PURPLE_BLIST_NODE_IS_BUDDY (node))
    return;
  bare = xtls_gtk_bare (purple_buddy_get_name (buddy));
  xtls_gtk_fingerprint_open (blist != NULL ? GTK_WINDOW (blist->window) : NULL,
                             purple_buddy_get_account (buddy), bare);
}

static void
on_extended_menu (PurpleBlistNode *node, GList **menu, gpointer data)
{
  PurpleBuddy *buddy;
  PurpleAccount *account;
  GList *children = NULL;
  int current;
  const char *word = NULL;
  g_autofree char *title = NULL;

  if (!PURPLE_BLIST_NODE_IS_BUDDY (node))
    return;
  buddy = (PurpleBuddy *)node;
  account = purple_buddy_get_account (buddy);
  if (g_strcmp0 (purple_account_get_protocol_id (account), "prpl-jabber") != 0)
    return;
  current = buddy_policy (buddy);
  for (guint i = 0; i < G_N_ELEMENTS (choices); i++)
    {
      /* PurpleMenuAction has no radio items: the current one carries a bullet. */
      g_autofree char *label = g_strdup_printf ("%s%s", choices[i].policy == current ? "● " : "",
                                                _ (choices[i].label));
      children = g_list_append (children,
                                purple_menu_action_new (label, PURPLE_CALLBACK (on_policy),
                                                        GINT_TO_POINTER (choices[i].policy), NULL));
      if (choices[i].policy == current)
        word = _ (choices[i].word);
    }
  children = g_list_append (children, NULL); /* a separator */
  children
      = g_list_append (children, purple_menu_action_new (_ ("_Verify by fingerprint…"),
                                                         PURPLE_CALLBACK (on_verify), NULL, NULL));
  /* Translators: the buddy list's context menu; %s is the current setting ("automatic",
   * "always", ...) */
  title = g_strdup_printf (_ ("Priva_te conversations: %s"), word);
  *menu = g_list_append (*menu, purple_menu_action_new (title, NULL, NULL, children));
}

void
xtls_gtk_buddy_menu_init (PurplePlugin *plugin)
{
  purple_signal_connect (purple_blist_get_handle (), "blist-node-extended-menu", plugin,
                         PURPLE_CALLBACK (on_extended_menu), NULL);
}
