/* The padlock icons, one per trust level (data/icons/xtls-*.svg). Looked for in, in order:
 * $XTLS_DATA_DIR (the source tree's data/icons, for tests), the module's own directory (the
 * build tree copies them there), and the installed pixmaps directory from meson. When none is
 * found, a GTK stock icon stands in. */
#include "gtk-xtls.h"

static char *module_dir;    /* owned: where the plugin's .so lives */
static GHashTable *pixbufs; /* "state size" -> GdkPixbuf (owned), or absent if not found */

static const char *
icon_file (int state)
{
  switch (state)
    {
      case XTLS_API_STATE_NEGOTIATING:
        return "xtls-negotiating.svg";
      case XTLS_API_STATE_UNVERIFIED:
        return "xtls-unverified.svg";
      case XTLS_API_STATE_PRIVATE:
        return "xtls-private.svg";
      case XTLS_API_STATE_FINISHED:
        return "xtls-finished.svg";
      case XTLS_API_STATE_FAILED:
        return "xtls-failed.svg";
      default:
        return "xtls-not-private.svg";
    }
}

static const char *
stock_fallback (int state)
{
  switch (state)
    {
      case XTLS_API_STATE_NEGOTIATING:
        return GTK_STOCK_REFRESH;
      case XTLS_API_STATE_UNVERIFIED:
        return GTK_STOCK_DIALOG_WARNING;
      case XTLS_API_STATE_PRIVATE:
        return GTK_STOCK_DIALOG_AUTHENTICATION;
      case XTLS_API_STATE_FINISHED:
        return GTK_STOCK_MEDIA_STOP;
      case XTLS_API_STATE_FAILED:
        return GTK_STOCK_DIALOG_ERROR;
      default:
        return GTK_STOCK_DISCONNECT;
    }
}

void
xtls_gtk_icons_init (PurplePlugin *plugin)
{
  const char *path = plugin != NULL ? plugin->path : NULL;

  module_dir = path != NULL ? g_path_get_dirname (path) : NULL;
  pixbufs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

void
xtls_gtk_icons_shutdown (void)
{
  g_clear_pointer (&pixbufs, g_hash_table_unref);
  g_clear_pointer (&module_dir, g_free);
}

static GdkPixbuf *
load (int state, int size)
{
  const char *dirs[] = { g_getenv ("XTLS_DATA_DIR"), module_dir, XTLS_GTK_ICON_DIR };

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;
      GdkPixbuf *pixbuf;

      if (dirs[i] == NULL || *dirs[i] == '\0')
        continue;
      path = g_build_filename (dirs[i], icon_file (state), NULL);
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      pixbuf = gdk_pixbuf_new_from_file_at_size (path, size, size, NULL);
      if (pixbuf != NULL)
        return pixbuf;
    }
  return NULL;
}

static GdkPixbuf *
lookup (int state, int size)
{
  g_autofree char *key = g_strdup_printf ("%d %d", state, size);
  GdkPixbuf *pixbuf;

  if (pixbufs == NULL)
    return NULL;
  pixbuf = g_hash_table_lookup (pixbufs, key);
  if (pixbuf == NULL && (pixbuf = load (state, size)) != NULL)
    g_hash_table_insert (pixbufs, g_steal_pointer (&key), pixbuf);
  return pixbuf;
}

GdkPixbuf *
xtls_gtk_icon_pixbuf (int state, int size)
{
  return lookup (state, size);
}

void
xtls_gtk_icon_set (GtkImage *image, int state, int size)
{
  GdkPixbuf *pixbuf = lookup (state, size);

  if (pixbuf != NULL)
    gtk_image_set_from_pixbuf (image, pixbuf);
  else
    gtk_image_set_from_stock (image, stock_fallback (state),
                              size <= 16 ? GTK_ICON_SIZE_MENU : GTK_ICON_SIZE_DIALOG);
}

GtkWidget *
xtls_gtk_icon_new (int state, int size)
{
  GtkWidget *image = gtk_image_new ();

  xtls_gtk_icon_set (GTK_IMAGE (image), state, size);
  return image;
}
