"""Helpers shared by the organizer's views."""

from django.utils.cache import patch_vary_headers

# Indentation steps of the folder tree (CSS classes depth-0 .. depth-6; deeper stays at 6).
MAX_DEPTH = 6


def wants_fragment(request):
    """An htmx request that swaps part of a page (not a boosted link or a history restore)."""
    return (
        bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request
    )


def vary_on_htmx(response):
    patch_vary_headers(response, ["HX-Request"])
    return response


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
