#include "fake-clock.h"

static gint64
fake_now (gpointer user_data)
{
  XtlsFakeClock *fake = user_data;
  return fake->now;
}

void
xtls_fake_clock_init (XtlsFakeClock *fake)
{
  fake->clock.now = fake_now;
  fake->clock.user_data = fake;
  fake->now = 1000 * G_USEC_PER_SEC; /* not zero: zero means "no deadline" in places */
}

void
xtls_fake_clock_advance (XtlsFakeClock *fake, gint64 usec)
{
  fake->now += usec;
}
