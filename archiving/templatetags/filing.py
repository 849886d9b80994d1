"""{% filing_panel mail %}: the filing panel (Ablegen) of a filed mail, on its page."""

from django import template

register = template.Library()


@register.inclusion_tag("archiving/_filing_panel.html", takes_context=True)
def filing_panel(context, mail):
    from archiving.filing_views import filed_mail_panel_context

    request = context["request"]
    values = filed_mail_panel_context(request, mail)
    values.update(request=request, csrf_token=context.get("csrf_token"))
    return values
