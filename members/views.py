"""Member portal pages that need only member data (profile, consent)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.display import remember_large_and_simple
from members.exceptions import BirthdayChangeTooSoon
from members.forms import ConsentForm, ProfileForm
from members.models import Member, Notice, PointsEntry, PointsLot
from members.notice_texts import notices_shown
from members.notices import notices_mark_read
from members.privacy_export import member_export
from members.selectors import consent_current, tier_progress
from members.services import (
    consent_record,
    member_anonymise,
    member_get_or_create_for_user,
    member_update_profile,
    notice_open,
)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    # The form gets its own copy: ModelForm validation writes into its instance,
    # and the service must compare against the stored birthday.
    form = ProfileForm(request.POST or None, instance=Member.objects.get(pk=member.pk))
    if request.method == "POST" and form.is_valid():
        try:
            member_update_profile(
                member=member,
                display_name=form.cleaned_data["display_name"],
                phone=form.cleaned_data["phone"],
                preferred_language=form.cleaned_data["preferred_language"],
                birthday=form.cleaned_data["birthday"],
                large_and_simple=form.cleaned_data["large_and_simple"],
            )
        except BirthdayChangeTooSoon as exc:
            form.add_error("birthday", exc.detail)
        else:
            translation.activate(member.preferred_language)
            remember_large_and_simple(request, member)
            messages.success(request, _("Profile saved."))
            response = redirect("members:profile")
            response.set_cookie("django_language", member.preferred_language, samesite="Lax")
            return response
    member.refresh_from_db()
    return render(request, "members/profile.html", {"form": form, "member": member})


@login_required
def consent(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    form = ConsentForm(request.POST if request.method == "POST" else None, current=consent_current(member=member))
    if request.method == "POST" and form.is_valid():
        for channel, purpose, granted in form.choices():
            consent_record(member=member, channel=channel, purpose=purpose, granted=granted)
        messages.success(request, _("Your choices are saved."))
        return redirect("members:consent")
    return render(request, "members/consent.html", {"form": form, "member": member})


@login_required
def points(request: HttpRequest) -> HttpResponse:
    """Balance, tier progress, live lots with their expiry, and points history.
    Polled by htmx so points earned at the till appear without a reload."""
    member = member_get_or_create_for_user(user=request.user)
    member.refresh_from_db()
    now = timezone.now()
    context = {
        "member": member,
        "progress": tier_progress(member=member, now=now),
        "lots": PointsLot.objects.filter(member=member, remaining__gt=0, expires_at__gt=now).order_by("expires_at")[
            :50
        ],
        "entries": PointsEntry.objects.filter(member=member).order_by("-created_at", "-pk")[:30],
    }
    if getattr(request, "htmx", False):
        return render(request, "members/points.html#live", context)
    return render(request, "members/points.html", context)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    if request.method == "POST":
        notices_mark_read(member=member)
        return redirect("members:inbox")
    notices = list(Notice.objects.filter(member=member).order_by("-created_at", "-pk")[:50])
    context = {"member": member, "notices": notices_shown(notices)}
    if getattr(request, "htmx", False):
        return render(request, "members/inbox.html#list", context)
    return render(request, "members/inbox.html", context)


@login_required
def notice(request: HttpRequest, notice_id: int) -> HttpResponse:
    """One notice, opened from the inbox: reading it marks it read."""
    member = member_get_or_create_for_user(user=request.user)
    opened = notice_open(member=member, notice_id=notice_id)
    if opened is None:
        raise Http404("No such notice.")
    return render(request, "members/notice.html", {"member": member, "notice": notices_shown([opened])[0]})


@login_required
def notice_badge(request: HttpRequest) -> HttpResponse:
    """The unread count in the header, polled every few seconds."""
    member = member_get_or_create_for_user(user=request.user)
    unread = Notice.objects.filter(member=member, read_at__isnull=True).count()
    return render(request, "members/inbox.html#badge", {"unread": unread})


class DeleteAccountForm(forms.Form):
    confirm = forms.CharField(label=gettext_lazy("Type DELETE to confirm"))
    password = forms.CharField(label=gettext_lazy("Your password"), widget=forms.PasswordInput)

    def __init__(self, *args: object, user: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.user = user

    def clean_confirm(self) -> str:
        if self.cleaned_data["confirm"].strip() != "DELETE":
            raise forms.ValidationError(_("Type DELETE in capitals to confirm."))
        return "DELETE"

    def clean_password(self) -> str:
        if not self.user.check_password(self.cleaned_data["password"]):  # type: ignore[attr-defined]
            raise forms.ValidationError(_("That is not your password."))
        return str(self.cleaned_data["password"])


@login_required
def privacy(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    form = DeleteAccountForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        member_anonymise(member=member)
        logout(request)
        messages.success(request, _("Your account is deleted and your personal data removed."))
        return redirect("home")
    return render(request, "members/privacy.html", {"member": member, "form": form})


@login_required
def privacy_export(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    body = json.dumps(member_export(member=member), ensure_ascii=False, indent=2, default=str)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-cafe-data-{member.card_number}.json"'
    return response
