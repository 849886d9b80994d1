"""Helpers shared by the organizer's views."""

# Indentation steps of the folder tree (CSS classes depth-0 .. depth-6; deeper stays at 6).
MAX_DEPTH = 6


def folder_depth_and_label(display_name, delimiter, listed):
    """(depth, label) of a folder in the tree of the `listed` folder paths: the depth counts the
    listed folders above it, the label is its path below the nearest of them. Under a listed
    "INBOX" and "INBOX/Kunden", "INBOX/Kunden/Nord" is (2, "Nord"); without a listed "Projekte",
    "Projekte/Nord" is (0, "Projekte/Nord"), not "Nord" under whatever folder comes before it."""
    if not delimiter or delimiter not in display_name:
        return 0, display_name
    parts = display_name.split(delimiter)
    depth = start = 0
    for end in range(1, len(parts)):
        if delimiter.join(parts[:end]) in listed:
            depth, start = depth + 1, end
    return depth, delimiter.join(parts[start:])


def folder_sort_key(display_name, delimiter):
    """Tree order: Inbox first, a folder right above its subfolders, names case-insensitive."""
    parts = display_name.split(delimiter) if delimiter else [display_name]
    return [
        (0 if i == 0 and part.upper() == "INBOX" else 1, part.casefold())
        for i, part in enumerate(parts)
    ]
