"""Member portal pages for offers: coupons, rewards, referrals, feedback."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns.exceptions import RewardUnavailable
from campaigns.models import Coupon, OrderFeedback, Reward
from campaigns.referrals import referral_code_for
from campaigns.rewards import reward_redeem
from members.exceptions import InsufficientPoints
from members.services import member_get_or_create_for_user


@login_required
def offers_home(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    now = timezone.now()
    coupons = list(
        Coupon.objects.filter(member=member, redeemed_at__isnull=True, expires_at__gt=now).select_related("template")
    )
    context = {
        "member": member,
        "coupons": coupons,
        "rewards": Reward.objects.filter(is_active=True).select_related("template"),
        "referral_url": request.build_absolute_uri(f"/offers/r/{referral_code_for(member=member)}/"),
    }
    return render(request, "campaigns/home.html", context)


@login_required
@require_POST
def redeem_reward(request: HttpRequest, reward_id: int) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    reward = get_object_or_404(Reward, pk=reward_id)
    try:
        coupon = reward_redeem(member=member, reward=reward)
    except (InsufficientPoints, RewardUnavailable) as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("Enjoy! Your coupon %(code)s is ready below.") % {"code": coupon.code})
    return redirect("campaigns:home")


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("Your rating"),
        choices=[(i, "★" * i) for i in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything to add?"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@login_required
def feedback(request: HttpRequest, reference: str) -> HttpResponse:
    """Rate one of your own orders, once. Orders are referenced as
    'payment:<id>' or 'order:<id>', the reference of the loyalty visit."""
    from members.models import Visit

    member = member_get_or_create_for_user(user=request.user)
    # PostgreSQL refuses control characters in a lookup; no order has them.
    visit = Visit.objects.filter(member=member, reference=reference).first() if reference.isprintable() else None
    if visit is None:
        raise Http404("Not one of your orders.")
    existing = OrderFeedback.objects.filter(member=member, order_reference=reference).first()
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    if existing is None and request.method == "POST" and form.is_valid():
        OrderFeedback.objects.create(
            member=member,
            order_reference=reference,
            store_slug=visit.store_slug,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
        )
        messages.success(request, _("Thank you for your feedback!"))
        return redirect("campaigns:home")
    return render(request, "campaigns/feedback.html", {"form": form, "existing": existing, "reference": reference})


def referral_landing(request: HttpRequest, code: str) -> HttpResponse:
    """The shared link: remember who invited this browser, then sign up."""
    from campaigns.signals import REFERRAL_SESSION_KEY

    request.session[REFERRAL_SESSION_KEY] = code[:12]
    return redirect("account_signup")
