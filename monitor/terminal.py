"""Text for a terminal: control characters from log lines shown, never obeyed.

An attacker who writes a user name with ANSI escapes could otherwise clear the screen, move
the cursor over earlier lines or rewrite what `vigil run` printed.
"""

from __future__ import annotations


def printable(text: str) -> str:
    """Control characters (C0, DEL, C1; ESC among them) as visible \\xNN escapes."""
    return "".join(
        c
        if c.isprintable() or c == " "
        else f"\\x{ord(c):02x}"
        if ord(c) < 256
        else f"\\u{ord(c):04x}"
        for c in text
    )
