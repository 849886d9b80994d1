from django.urls import path

from archiving import filing_views, mail_views, views

app_name = "archiving"
urlpatterns = [
    path("<int:content_type_id>/<int:object_id>/", views.record_archive, name="record_archive"),
    path("mail/<int:pk>/", views.filed_mail_detail, name="filed_mail"),
    path("blocklist/", views.blocklist, name="blocklist"),
    path("blocklist/<int:pk>/remove/", views.blocklist_remove, name="blocklist_remove"),
]

# The filed mail's content (archiving/mail_views.py, on organizer.mailview).
urlpatterns += [
    path("mail/<int:pk>/html/", mail_views.filed_mail_html, name="mail_html"),
    path("mail/<int:pk>/inline/<path:part>", mail_views.filed_mail_inline, name="mail_inline"),
    path("mail/<int:pk>/part/<path:part>", mail_views.filed_mail_attachment, name="mail_part"),
    path("mail/<int:pk>/source/", mail_views.filed_mail_source, name="mail_raw"),
    path(
        "mail/<int:pk>/remote-content/",
        mail_views.filed_mail_remote_content,
        name="mail_remote",
    ),
]

# Filing by hand (Ablegen) and removing filings (archiving/filing_views.py).
urlpatterns += [
    path("filing/search/", filing_views.filing_search, name="filing_search"),
    path("filing/message/<int:pk>/", filing_views.message_filings, name="message_filings"),
    path("filing/message/<int:pk>/file/", filing_views.message_file, name="message_file"),
    path(
        "filing/message/<int:pk>/remove/<int:filing_pk>/",
        filing_views.message_unfile,
        name="message_unfile",
    ),
    path("filing/mail/<int:pk>/", filing_views.filed_mail_filings, name="filed_mail_filings"),
    path("filing/mail/<int:pk>/file/", filing_views.filed_mail_file, name="filed_mail_file"),
    path(
        "filing/mail/<int:pk>/remove/<int:filing_pk>/",
        filing_views.filed_mail_unfile,
        name="filed_mail_unfile",
    ),
]
