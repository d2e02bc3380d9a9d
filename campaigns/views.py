"""Member portal pages for offers: coupons, rewards, referrals, feedback."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from campaigns.exceptions import RewardUnavailable
from campaigns.feedback import order_feedback_give
from campaigns.referrals import referral_code_for
from campaigns.rewards import reward_redeem
from campaigns.selectors import coupons_live, member_visit, order_feedback_of, reward_by_id, rewards_active
from campaigns.signals import REFERRAL_SESSION_KEY
from members.exceptions import InsufficientPoints
from members.services import member_get_or_create_for_user


@login_required
def offers_home(request: HttpRequest) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    context = {
        "member": member,
        "coupons": list(coupons_live(member=member, now=timezone.now())),
        # Each reward with the points still missing for it (0: the member can have it now).
        "rewards": [(reward, max(reward.points_cost - member.points_balance, 0)) for reward in rewards_active()],
        "referral_url": request.build_absolute_uri(f"/offers/r/{referral_code_for(member=member)}/"),
    }
    return render(request, "campaigns/home.html", context)


@login_required
@require_POST
def redeem_reward(request: HttpRequest, reward_id: int) -> HttpResponse:
    member = member_get_or_create_for_user(user=request.user)
    reward = reward_by_id(reward_id=reward_id)
    if reward is None:
        raise Http404("No such reward.")
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
    'order:<id>', the reference of the loyalty visit."""
    member = member_get_or_create_for_user(user=request.user)
    visit = member_visit(member=member, reference=reference)
    if visit is None:
        raise Http404("Not one of your orders.")
    existing = order_feedback_of(member=member, reference=reference)
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    if existing is None and request.method == "POST" and form.is_valid():
        order_feedback_give(
            member=member, visit=visit, rating=form.cleaned_data["rating"], comment=form.cleaned_data["comment"]
        )
        messages.success(request, _("Thank you for your feedback!"))
        return redirect("campaigns:home")
    return render(request, "campaigns/feedback.html", {"form": form, "existing": existing, "reference": reference})


def referral_landing(request: HttpRequest, code: str) -> HttpResponse:
    """The shared link: remember who invited this browser, then sign up."""
    request.session[REFERRAL_SESSION_KEY] = code[:12]
    return redirect("account_signup")
