/* A clock the test advances by hand. */
#pragma once

#include "clock.h"

typedef struct
{
  XtlsClock clock; /* pass &fake->clock to the engines */
  gint64 now;      /* µs */
} XtlsFakeClock;

void xtls_fake_clock_init (XtlsFakeClock *fake);
void xtls_fake_clock_advance (XtlsFakeClock *fake, gint64 usec);
