from django.shortcuts import render


def settings_home(request):
    """Globale Einstellungen: the entry to every settings page the user may use."""
    return render(request, "settings_home.html", {"section": "settings"})
