from django.shortcuts import redirect, render


def home(request):
    """The first page after logging in: the CRM for those who may see it, else the mailbox."""
    for permission, page in (
        ("crm.view_customer", "crm:customer_list"),
        ("crm.view_contact", "crm:contact_list"),
    ):
        if request.user.has_perm(permission):
            return redirect(page)
    return redirect("organizer:mailbox")


def settings_home(request):
    """Globale Einstellungen: the entry to every settings page the user may use."""
    return render(request, "settings_home.html", {"section": "settings"})
