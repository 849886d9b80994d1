"""Request helpers the views of every app share."""

from django.utils.cache import patch_vary_headers


def wants_fragment(request):
    """An htmx request that swaps part of a page (not a boosted link or a history restore)."""
    return (
        bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request
    )


def vary_on_htmx(response):
    """A response that differs for htmx requests must say so to caches."""
    patch_vary_headers(response, ["HX-Request"])
    return response


def search_text(request, name="q"):
    """What was typed into a search box, trimmed. Without NUL characters: PostgreSQL refuses
    them in text, and a pasted or forged one must not turn a search into a server error."""
    return request.GET.get(name, "").replace("\x00", "").strip()
