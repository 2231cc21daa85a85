"""The budget page a merchant opens from a signed link: links (signing), page and chart (HTML, SVG), serve (GET)."""
