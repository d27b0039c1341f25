/* Time is injected so that engines are deterministic under test (libnice's pseudotcp). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  /* Monotonic time in microseconds. */
  gint64 (*now) (gpointer user_data);
  gpointer user_data;
} XtlsClock;

static inline gint64
xtls_clock_now (const XtlsClock *clock)
{
  return clock->now (clock->user_data);
}

/* A clock backed by g_get_monotonic_time(). Static storage. */
const XtlsClock *xtls_clock_monotonic (void);

G_END_DECLS
