"""Helpers shared by the organizer's views."""

# Indentation steps of the folder tree (CSS classes depth-0 .. depth-6; deeper stays at 6).
MAX_DEPTH = 6


def folder_depth_and_label(display_name, delimiter):
    """(depth, last part) of a folder path: "INBOX/Kunden/Nord" is 2, "Nord"."""
    if not delimiter or delimiter not in display_name:
        return 0, display_name
    parts = display_name.split(delimiter)
    return len(parts) - 1, parts[-1]


def folder_sort_key(display_name, delimiter):
    """Tree order: Inbox first, a folder right above its subfolders, names case-insensitive."""
    parts = display_name.split(delimiter) if delimiter else [display_name]
    return [
        (0 if i == 0 and part.upper() == "INBOX" else 1, part.casefold())
        for i, part in enumerate(parts)
    ]
