/* Memory per idle private session, core only (issue 8): N loopback pairs (two hubs each, keys
 * pinned) go private through the in-process loopback server, then stay idle. Prints the heap
 * growth per session (each pair holds two: one per end) as "bytes_per_session N".
 *
 * Heap = glibc mallinfo2().uordblks with G_SLICE=always-malloc (bench/bench.py sets it). The
 * loopback's wire log is emptied before measuring: it is test bookkeeping, not session state.
 * Built and run by bench/bench.py against a meson build dir's static core. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "loopback.h"

static gint64
heap (void)
{
  malloc_trim (0);
  return (gint64)mallinfo2 ().uordblks;
}

int
main (int argc, char **argv)
{
  guint n = argc > 1 ? (guint)atoi (argv[1]) : 200;
  XtlsLoopback **pairs = g_new0 (XtlsLoopback *, n);
  gint64 before, after;
  guint private = 0;

  for (guint i = 0; i < n; i++)
    {
      pairs[i] = xtls_loopback_new (NULL);
      xtls_loopback_pin_both (pairs[i]);
    }
  before = heap ();
  for (guint i = 0; i < n; i++)
    {
      XtlsSession *s = xtls_hub_start (pairs[i]->alice->hub, pairs[i]->bob->jid);
      xtls_loopback_run (pairs[i], 200);
      private += xtls_session_get_state (s) == XTLS_STATE_PRIVATE;
      g_ptr_array_set_size (pairs[i]->wire_log, 0);
    }
  after = heap ();
  printf ("sessions %u private %u heap_before %" G_GINT64_FORMAT " heap_after %" G_GINT64_FORMAT
          "\nbytes_per_session %" G_GINT64_FORMAT "\n",
          2 * n, 2 * private, before, after, (after - before) / (2 * (gint64)n));
  for (guint i = 0; i < n; i++)
    xtls_loopback_free (pairs[i]);
  g_free (pairs);
  return private == n ? 0 : 1;
}
