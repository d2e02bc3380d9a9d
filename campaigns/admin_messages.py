"""Messages and reminders in the admin: write a message in every language, see
how it reads and whom it would reach, schedule it, and count who got it."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import linebreaksbr
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from cafe_loyalty.core.admin_records import MoneyFieldsMixin, ReadOnlyAdmin
from campaigns.models import Broadcast, Reminder
from campaigns.selectors import broadcast_audience


@admin.register(Broadcast)
class BroadcastAdmin(MoneyFieldsMixin, TranslationAdmin):  # a title and text per language; labelled date-time inputs
    list_display = ["title", "audience", "segment", "status", "scheduled_at", "sent_count", "email_count"]
    list_filter = ["status", "audience"]
    readonly_fields = ["status", "sent_at", "created_at", "reach", "preview"]
    actions = ["schedule", "back_to_draft"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Broadcast]:
        # Counted in the list's one query, not one query per row.
        return (
            super()
            .get_queryset(request)
            .annotate(sent=Count("deliveries"), emailed=Count("deliveries", filter=Q(deliveries__by_email=True)))
        )

    def has_change_permission(self, request: HttpRequest, obj: Broadcast | None = None) -> bool:
        # What was sent stays as it was: members' inboxes show these words.
        if obj is not None and obj.status == Broadcast.Status.SENT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Broadcast | None = None) -> bool:
        # Its deliveries are the record of who got it (and its counts).
        if obj is not None and obj.status == Broadcast.Status.SENT:
            return False
        return super().has_delete_permission(request, obj)

    @admin.display(description=_("sent to"), ordering="sent")
    def sent_count(self, obj: Broadcast) -> int:
        return int(getattr(obj, "sent", 0))

    @admin.display(description=_("by email"), ordering="emailed")
    def email_count(self, obj: Broadcast) -> int:
        return int(getattr(obj, "emailed", 0))

    @admin.display(description=_("reach"))
    def reach(self, obj: Broadcast) -> str:
        if obj.pk is None:
            return gettext("Save the message to see whom it would reach.")
        if obj.status == Broadcast.Status.SENT:
            return gettext("Sent to %(sent)s members, %(emailed)s of them by email.") % {
                "sent": self.sent_count(obj),
                "emailed": self.email_count(obj),
            }
        count = broadcast_audience(broadcast=obj, now=timezone.now()).count()
        return ngettext(
            "Would reach %(count)s member now (those who agreed to offers and news).",
            "Would reach %(count)s members now (those who agreed to offers and news).",
            count,
        ) % {"count": count}

    @admin.display(description=_("preview"))
    def preview(self, obj: Broadcast) -> SafeString:
        """The inbox notice as a member reads it, in each language (an empty
        translation shows the English text, as members would see it)."""
        rows = []
        for code, name in settings.LANGUAGES:
            with translation.override(code):
                rows.append((name, obj.title, linebreaksbr(obj.body, autoescape=True)))
        return format_html(
            '<table data-testid="broadcast-preview"><tbody>{}</tbody></table>',
            format_html_join(
                "",
                '<tr><th scope="row">{}</th><td><strong>{}</strong><br>{}</td></tr>',
                rows,
            ),
        )

    @admin.action(description=_("Schedule: send at its time (now if none)"))
    def schedule(self, request: HttpRequest, queryset: QuerySet[Broadcast]) -> None:
        drafts = queryset.filter(status=Broadcast.Status.DRAFT)
        now = timezone.now()
        drafts.filter(scheduled_at__isnull=True).update(scheduled_at=now)
        count = drafts.update(status=Broadcast.Status.SCHEDULED)
        self.message_user(
            request,
            ngettext(
                "%(count)s message scheduled; it goes out at its time, after quiet hours.",
                "%(count)s messages scheduled; they go out at their time, after quiet hours.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Back to draft (not yet sent)"))
    def back_to_draft(self, request: HttpRequest, queryset: QuerySet[Broadcast]) -> None:
        count = queryset.filter(status=Broadcast.Status.SCHEDULED).update(status=Broadcast.Status.DRAFT)
        self.message_user(
            request,
            ngettext("%(count)s message back to draft.", "%(count)s messages back to draft.", count) % {"count": count},
        )


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    list_display = ["sent_at", "member", "kind", "object_id"]
    list_filter = ["kind"]
    list_select_related = ["member"]
    date_hierarchy = "sent_at"
