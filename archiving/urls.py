from django.urls import path

from archiving import views

app_name = "archiving"
urlpatterns = [
    path("<int:content_type_id>/<int:object_id>/", views.record_archive, name="record_archive"),
    path("mail/<int:pk>/", views.filed_mail_detail, name="filed_mail"),
    path("blocklist/", views.blocklist, name="blocklist"),
    path("blocklist/<int:pk>/remove/", views.blocklist_remove, name="blocklist_remove"),
]
