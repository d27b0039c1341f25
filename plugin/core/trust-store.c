/* Known peers (PROTOCOL.md §4, §6): the in-memory model is a hash table; the GKeyFile is only
 * the file format, rebuilt from the table on every save so that the file never holds anything
 * the table does not. */
#include "trust-store.h"

#include <errno.h>
#include <string.h>

#include "xtls-error.h"

#define KEY_FINGERPRINT "fingerprint"
#define KEY_HOW "how"
#define KEY_WHEN "when"

struct _XtlsTrustStore
{
  char *path;        /* owned; NULL = memory only */
  GHashTable *peers; /* owned: bare JID (owned) -> XtlsKnownPeer (owned) */
};

void
xtls_known_peer_free (XtlsKnownPeer *peer)
{
  if (peer == NULL)
    return;
  g_free (peer->peer);
  g_free (peer->fingerprint);
  g_free (peer);
}

static XtlsKnownPeer *
known_peer_new (const char *peer, const char *fingerprint, XtlsVerifiedHow how, gint64 when)
{
  XtlsKnownPeer *known = g_new0 (XtlsKnownPeer, 1);

  known->peer = g_strdup (peer);
  known->fingerprint = g_strdup (fingerprint);
  known->how = how;
  known->when = when;
  return known;
}

const char *
xtls_verified_how_to_string (XtlsVerifiedHow how)
{
  switch (how)
    {
      case XTLS_VERIFIED_FINGERPRINT:
        return "fingerprint";
      case XTLS_VERIFIED_PASSWORD:
        return "password";
      case XTLS_VERIFIED_TYPED:
        return "typed";
    }
  return "invalid";
}

static gboolean
how_from_string (const char *text, XtlsVerifiedHow *how)
{
  if (g_strcmp0 (text, xtls_verified_how_to_string (XTLS_VERIFIED_FINGERPRINT)) == 0)
    *how = XTLS_VERIFIED_FINGERPRINT;
  else if (g_strcmp0 (text, xtls_verified_how_to_string (XTLS_VERIFIED_PASSWORD)) == 0)
    *how = XTLS_VERIFIED_PASSWORD;
  else if (g_strcmp0 (text, xtls_verified_how_to_string (XTLS_VERIFIED_TYPED)) == 0)
    *how = XTLS_VERIFIED_TYPED;
  else
    return FALSE;
  return TRUE;
}

/* Pins are SHA-256 only (trust-store.h): 64 hex digits, stored lowercase. */
static char *
normalize_fingerprint (const char *fingerprint)
{
  if (fingerprint == NULL || strlen (fingerprint) != 64)
    return NULL;
  for (const char *p = fingerprint; *p != '\0'; p++)
    {
      if (!g_ascii_isxdigit (*p))
        return NULL;
    }
  return g_ascii_strdown (fingerprint, -1);
}

char *
xtls_trust_store_normalize_peer (const char *jid)
{
  const char *slash;
  g_autofree char *bare = NULL;

  if (jid == NULL || !g_utf8_validate (jid, -1, NULL))
    return NULL;
  /* RFC 7622 §3.1: the resource starts at the first '/'; trust belongs to the account. */
  slash = strchr (jid, '/');
  bare = slash != NULL ? g_strndup (jid, slash - jid) : g_strdup (jid);
  /* GKeyFile group names cannot hold brackets or control characters; such a JID (an IPv6
   * literal domain at best) is not one we can store. */
  if (bare[0] == '\0' || strpbrk (bare, "[]") != NULL)
    return NULL;
  for (const char *p = bare; *p != '\0'; p++)
    {
      if ((guchar)*p < 0x20 || *p == 0x7f)
        return NULL;
    }
  /* Deliberately simpler than nodeprep/nameprep: JIDs differing only in case name one peer. */
  return g_utf8_strdown (bare, -1);
}

static gboolean
invalid_peer (GError **error)
{
  g_set_error (error, XTLS_ERROR, XTLS_ERROR_FAILED, "cannot store a key for this address");
  return FALSE;
}

/* Reads every group; any entry we cannot read makes the whole file an error, because a store
 * that was read only in part would lose the rest on the next save. */
static gboolean
load_key_file (XtlsTrustStore *store, GKeyFile *kf, GError **error)
{
  g_auto (GStrv) groups = g_key_file_get_groups (kf, NULL);

  for (gsize i = 0; groups[i] != NULL; i++)
    {
      g_autofree char *peer = xtls_trust_store_normalize_peer (groups[i]);
      g_autofree char *raw_fp = g_key_file_get_string (kf, groups[i], KEY_FINGERPRINT, NULL);
      g_autofree char *raw_how = g_key_file_get_string (kf, groups[i], KEY_HOW, NULL);
      g_autofree char *fingerprint = normalize_fingerprint (raw_fp);
      GError *local_error = NULL;
      XtlsVerifiedHow how;
      gint64 when = 0;

      if (peer == NULL || fingerprint == NULL || !how_from_string (raw_how, &how))
        {
          g_set_error (error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_INVALID_VALUE,
                       "entry %" G_GSIZE_FORMAT " is incomplete or invalid", i + 1);
          return FALSE;
        }
      if (g_key_file_has_key (kf, groups[i], KEY_WHEN, NULL))
        {
          when = g_key_file_get_int64 (kf, groups[i], KEY_WHEN, &local_error);
          if (local_error != NULL)
            {
              g_propagate_error (error, local_error);
              return FALSE;
            }
        }
      g_hash_table_replace (store->peers, g_strdup (peer),
                            known_peer_new (peer, fingerprint, how, when));
    }
  return TRUE;
}

XtlsTrustStore *
xtls_trust_store_new (const char *path, GError **error)
{
  XtlsTrustStore *store = g_new0 (XtlsTrustStore, 1);
  g_autoptr (GKeyFile) kf = NULL;
  GError *local_error = NULL;

  store->path = g_strdup (path);
  store->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify)xtls_known_peer_free);
  if (path == NULL)
    return store;

  kf = g_key_file_new ();
  if (!g_key_file_load_from_file (kf, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        {
          g_error_free (local_error);
          return store;
        }
      g_propagate_prefixed_error (error, local_error,
                                  "Cannot read the known peers file %s: ", path);
      xtls_trust_store_free (store);
      return NULL;
    }
  if (!load_key_file (store, kf, &local_error))
    {
      g_propagate_prefixed_error (error, local_error,
                                  "Cannot read the known peers file %s: ", path);
      xtls_trust_store_free (store);
      return NULL;
    }
  return store;
}

void
xtls_trust_store_free (XtlsTrustStore *store)
{
  if (store == NULL)
    return;
  g_free (store->path);
  g_hash_table_unref (store->peers);
  g_free (store);
}

static gint
compare_known_peers (gconstpointer a, gconstpointer b)
{
  const XtlsKnownPeer *pa = *(XtlsKnownPeer *const *)a;
  const XtlsKnownPeer *pb = *(XtlsKnownPeer *const *)b;

  return strcmp (pa->peer, pb->peer);
}

/* Sorted, so that the file is stable and diffable. */
static GPtrArray *
sorted_peers (XtlsTrustStore *store)
{
  GPtrArray *array = g_ptr_array_sized_new (g_hash_table_size (store->peers));
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, store->peers);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (array, value);
  g_ptr_array_sort (array, compare_known_peers);
  return array;
}

/* STYLE.md habit 8: the whole file is replaced atomically (write, fsync, rename) with mode
 * 0600, so a crash leaves the old or the new file, never half of one. */
static gboolean
save (XtlsTrustStore *store, GError **error)
{
  g_autoptr (GKeyFile) kf = NULL;
  g_autoptr (GPtrArray) peers = NULL;
  g_autofree char *data = NULL;
  g_autofree char *dir = NULL;
  gsize len = 0;

  if (store->path == NULL)
    return TRUE;

  kf = g_key_file_new ();
  peers = sorted_peers (store);
  for (guint i = 0; i < peers->len; i++)
    {
      const XtlsKnownPeer *known = g_ptr_array_index (peers, i);

      g_key_file_set_string (kf, known->peer, KEY_FINGERPRINT, known->fingerprint);
      g_key_file_set_string (kf, known->peer, KEY_HOW, xtls_verified_how_to_string (known->how));
      g_key_file_set_int64 (kf, known->peer, KEY_WHEN, known->when);
    }
  data = g_key_file_to_data (kf, &len, NULL);

  dir = g_path_get_dirname (store->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "Cannot create %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  return g_file_set_contents_full (store->path, data, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT,
                                   0600, error);
}

const char *
xtls_trust_store_lookup (XtlsTrustStore *store, const char *peer)
{
  g_autofree char *bare = NULL;
  const XtlsKnownPeer *known;

  g_return_val_if_fail (store != NULL, NULL);

  bare = xtls_trust_store_normalize_peer (peer);
  if (bare == NULL)
    return NULL;
  known = g_hash_table_lookup (store->peers, bare);
  return known != NULL ? known->fingerprint : NULL;
}

gboolean
xtls_trust_store_pin (XtlsTrustStore *store, const char *peer, const char *fingerprint,
                      XtlsVerifiedHow how, gint64 when, GError **error)
{
  g_autofree char *bare = NULL;
  g_autofree char *hex = NULL;
  XtlsKnownPeer *old = NULL;
  char *old_key = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  hex = normalize_fingerprint (fingerprint);
  g_return_val_if_fail (hex != NULL, FALSE);

  bare = xtls_trust_store_normalize_peer (peer);
  if (bare == NULL)
    return invalid_peer (error);

  /* Keep the previous pin until the file is written, so that a failed save leaves memory and
   * disk agreeing. */
  g_hash_table_steal_extended (store->peers, bare, (gpointer *)&old_key, (gpointer *)&old);
  g_hash_table_insert (store->peers, g_strdup (bare), known_peer_new (bare, hex, how, when));
  if (!save (store, error))
    {
      g_hash_table_remove (store->peers, bare);
      if (old != NULL)
        g_hash_table_insert (store->peers, old_key, old);
      return FALSE;
    }
  g_free (old_key);
  xtls_known_peer_free (old);
  return TRUE;
}

gboolean
xtls_trust_store_forget (XtlsTrustStore *store, const char *peer, GError **error)
{
  g_autofree char *bare = NULL;
  XtlsKnownPeer *old = NULL;
  char *old_key = NULL;

  g_return_val_if_fail (store != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  bare = xtls_trust_store_normalize_peer (peer);
  if (bare == NULL
      || !g_hash_table_steal_extended (store->peers, bare, (gpointer *)&old_key, (gpointer *)&old))
    return TRUE;
  if (!save (store, error))
    {
      g_hash_table_insert (store->peers, old_key, old);
      return FALSE;
    }
  g_free (old_key);
  xtls_known_peer_free (old);
  return TRUE;
}

GPtrArray *
xtls_trust_store_list (XtlsTrustStore *store)
{
  g_autoptr (GPtrArray) borrowed = NULL;
  GPtrArray *list;

  g_return_val_if_fail (store != NULL, NULL);

  borrowed = sorted_peers (store);
  list = g_ptr_array_new_full (borrowed->len, (GDestroyNotify)xtls_known_peer_free);
  for (guint i = 0; i < borrowed->len; i++)
    {
      const XtlsKnownPeer *known = g_ptr_array_index (borrowed, i);

      g_ptr_array_add (list,
                       known_peer_new (known->peer, known->fingerprint, known->how, known->when));
    }
  return list;
}
