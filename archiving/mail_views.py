"""The filed mail's content: sanitised HTML document, inline images, attachments, raw source.

Each view fetches the filed mail for the user (404 unless they may see a record it is filed
at) and hands it to organizer.mailview; the inline images are the exception explained there.
"""

from csp.decorators import csp_exempt
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from archiving.models import FiledMail
from archiving.views import get_filed_mail_for_user
from organizer import mailview

NAMESPACE = "archiving"


def _filed_mail(request, pk):
    return get_filed_mail_for_user(request, pk)[0]


@csp_exempt()  # mailview writes the document's own, stricter policy
def filed_mail_html(request, pk):
    return mailview.html_document_response(request, _filed_mail(request, pk), NAMESPACE)


@login_not_required  # requested by the sandboxed document without cookies; a signed URL
def filed_mail_inline(request, pk, part):
    filed_mail = get_object_or_404(FiledMail.objects.only("pk", "raw_path", "attachments"), pk=pk)
    return mailview.inline_image_response(request, filed_mail, NAMESPACE, part)


def filed_mail_attachment(request, pk, part):
    return mailview.attachment_response(_filed_mail(request, pk), part)


def filed_mail_source(request, pk):
    return mailview.raw_source_response(_filed_mail(request, pk))


@require_POST
def filed_mail_remote_content(request, pk):
    filed_mail = _filed_mail(request, pk)
    mailview.set_remote_content_allowed(request, filed_mail)
    return redirect("archiving:filed_mail", pk=filed_mail.pk)
