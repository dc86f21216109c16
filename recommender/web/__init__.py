"""The web chat's library side: one visitor's ChatSession, turning events into escaped
Markdown, uploaded catalogs, and the page's fixed texts."""
