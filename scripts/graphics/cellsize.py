#!/usr/bin/env python3
"""Writes this terminal's geometry to the file named by argv[1] as "columns rows cell_width cell_height".

The pixel size comes from TIOCGWINSZ where the terminal fills it in (kitty, xterm), else from the
answer to CSI 14 t (the text area in pixels), which xterm and mlterm give.
"""
import fcntl
import os
import re
import select
import struct
import sys
import termios
import tty

rows, columns, width, height = struct.unpack("HHHH", fcntl.ioctl(1, termios.TIOCGWINSZ, b"\0" * 8))
if width == 0 or height == 0:
    saved = termios.tcgetattr(0)
    tty.setraw(0)
    try:
        os.write(1, b"\x1b[14t")
        reply = b""
        while not re.search(rb"\x1b\[4;\d+;\d+t", reply):
            ready, _, _ = select.select([0], [], [], 2)
            if not ready:
                break
            reply += os.read(0, 64)
    finally:
        termios.tcsetattr(0, termios.TCSADRAIN, saved)
    found = re.search(rb"\x1b\[4;(\d+);(\d+)t", reply)
    if found:
        height, width = int(found.group(1)), int(found.group(2))
with open(sys.argv[1] + ".part", "w") as out:
    out.write(f"{columns} {rows} {width // columns if width else 0} {height // rows if height else 0}\n")
os.rename(sys.argv[1] + ".part", sys.argv[1])
