#include "clock.h"

static gint64
monotonic_now (gpointer user_data)
{
  return g_get_monotonic_time ();
}

static const XtlsClock monotonic_clock = {
  .now = monotonic_now,
  .user_data = NULL,
};

const XtlsClock *
xtls_clock_monotonic (void)
{
  return &monotonic_clock;
}
