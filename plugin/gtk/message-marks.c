/* In Pidgin's window the core's text mark for tunnel messages ("\U0001F512 ") becomes our
 * padlock icon: Debian's default fonts have no glyph for U+1F512, and the icon matches the
 * status button. Logs, Finch and bots keep the text mark. */
#include <string.h>

#include "gtk-xtls.h"

#include <gtkconv.h>

#define LOCK_MARK "\xf0\x9f\x94\x92 "

static int image_id; /* our icon in libpurple's image store, 0 if none */

static gboolean
on_displaying_im (PurpleAccount *account, const char *who, char **message, PurpleConversation *conv,
                  PurpleMessageFlags flags, gpointer data)
{
  char *shown;

  if (image_id == 0 || message == NULL || *message == NULL
      || !g_str_has_prefix (*message, LOCK_MARK))
    return FALSE;
  shown = g_strdup_printf ("<IMG ID=\"%d\"> %s", image_id, *message + strlen (LOCK_MARK));
  g_free (*message);
  *message = shown;
  return FALSE;
}

void
xtls_gtk_marks_init (PurplePlugin *plugin)
{
  GdkPixbuf *pixbuf = xtls_gtk_icon_pixbuf (XTLS_API_STATE_PRIVATE, 16);
  gchar *png = NULL;
  gsize len = 0;

  if (pixbuf == NULL || !gdk_pixbuf_save_to_buffer (pixbuf, &png, &len, "png", NULL, NULL))
    return; /* without our icon the text mark stays */
  /* The image store takes the buffer. */
  image_id = purple_imgstore_add_with_id (png, len, "xtls-private.png");
  purple_signal_connect (pidgin_conversations_get_handle (), "displaying-im-msg", plugin,
                         PURPLE_CALLBACK (on_displaying_im), NULL);
}

void
xtls_gtk_marks_shutdown (void)
{
  if (image_id != 0)
    purple_imgstore_unref_by_id (image_id);
  image_id = 0;
}
