"""Text edits: spans of the text as read (edits), the words of a shell command in it (words), the places an
image is named (image_sites)."""
