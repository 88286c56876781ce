#!/usr/bin/env python3
"""Writes what this terminal answers to the queries graphics detection sends, to argv[1].

One batch, as latentty sends it: XTVERSION (CSI > q), the kitty graphics query (a=q on a 1×1
image), XTSMGRAPHICS for colour registers and sixel geometry, CSI 16 t (cell size), then DA1 as
the sentinel every terminal answers. The raw answer is written as a Python bytes literal, so the
replies of real terminals can be read, compared and turned into test fixtures.
"""
import os
import re
import select
import sys
import termios
import tty

queries = b"\x1b[>q" + b"\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\" + b"\x1b[?1;1;0S" + b"\x1b[?2;1;0S" + b"\x1b[16t" + b"\x1b[c"
saved = termios.tcgetattr(0)
tty.setraw(0)
reply = b""
try:
    os.write(1, queries)
    while not re.search(rb"\x1b\[\?[0-9;]*c", reply):
        ready, _, _ = select.select([0], [], [], 2)
        if not ready:
            break
        reply += os.read(0, 4096)
finally:
    termios.tcsetattr(0, termios.TCSADRAIN, saved)
with open(sys.argv[1] + ".part", "w") as out:
    out.write(repr(reply) + "\n")
os.rename(sys.argv[1] + ".part", sys.argv[1])
