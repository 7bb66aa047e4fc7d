"""Text from outside (the database, the identity provider) shown literally inside Streamlit markdown.

st.warning, st.error, st.caption and labels render their body as Streamlit's markdown: CommonMark with
GFM (bare https:// and www. links), raw HTML tags shown as text, directives (:red[…], :small[…]),
:material/…: icons, :emoji: shortcodes and $…$ math. `literal_markdown` makes a text render as itself.
"""

from __future__ import annotations

import re

# CommonMark lets a backslash escape every ASCII punctuation character and nothing else. Escaping them
# all stops links, images, emphasis, headings, lists, tables, code, entities (&amp;), tags and
# directives (\:red\[), and math (\$) and :emoji: shortcodes too: Streamlit decides from the source
# whether to load those plugins, and the escaped source never matches.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")

# Some rewrites work on the text *after* escapes are resolved, where a backslash cannot reach them: GFM
# links bare 'https://…', 'www.…' and 'name@host.tld'; ':streamlit:' becomes Streamlit's logo; and
# ' -> ', ' <- ', ' <-> ', ' -- ', ' >= ', ' <= ', ' ~= ' become arrows, a dash and relation signs. An
# invisible word joiner inside each pattern keeps it as typed (it is also copied with the text).
WORD_JOINER = "\u2060"
_TYPOGRAPHY = ("->", "<-", "--", ">=", "<=", "~=")
_AFTER_PARSE = re.compile("|".join(
    ["(?<=:)(?=/)", "(?<=www)(?=\\.)", "(?<=@)", "(?<=:)(?=streamlit:)"]
    + [f"(?<={re.escape(a)})(?={re.escape(b)})" for a, b in _TYPOGRAPHY]
), re.IGNORECASE)


def literal_markdown(text: str) -> str:
    """`text` as Streamlit markdown that renders exactly as `text` (line breaks kept, leading blanks dropped)."""
    text = _PUNCTUATION.sub(r"\\\1", _AFTER_PARSE.sub(WORD_JOINER, text))
    # Each line its own hard break ('\' at a line's end) and no line starting with blanks: never a
    # paragraph break, so an indented line never becomes a code block (where escapes would show).
    return "\\\n".join(line.lstrip(" \t") for line in text.splitlines())
