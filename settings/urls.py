from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from settings.views import settings_home

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="crm:customer_list"), name="home"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("settings/", settings_home, name="settings_home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("crm/", include("crm.urls")),
    path("organizer/", include("organizer.urls")),
    path("archive/", include("archiving.urls")),
    path("admin/", admin.site.urls),
]
