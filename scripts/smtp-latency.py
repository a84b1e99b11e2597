#!/usr/bin/env python3
"""Per-message SMTP latency: sends COUNT copies of FILE to HOST:PORT over one
session, timing each transaction from MAIL FROM to the reply to the end of
DATA (the span a milter adds to). Prints p50/p99/mean in milliseconds.

  smtp-latency.py HOST PORT FILE COUNT
"""
import smtplib
import sys
import time

host, port, path, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
data = open(path, "rb").read()
s = smtplib.SMTP(host, port, timeout=60)
s.ehlo("bench.school.example")
times = []
for i in range(count):
    t = time.perf_counter()
    s.sendmail("office@school.example", ["parent@gmail.com"], data)
    times.append((time.perf_counter() - t) * 1000.0)
s.quit()
times.sort()
n = len(times)
print(
    f"p50 {times[n // 2]:.2f} ms  p99 {times[min(n - 1, int(n * 0.99))]:.2f} ms  "
    f"mean {sum(times) / n:.2f} ms  (n={n})"
)
