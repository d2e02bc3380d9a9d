from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.problems import Problem


class MemberExists(Problem):
    status = 409
    code = "member_exists"
    title = str(_("A member with this email already exists"))

    @classmethod
    def for_email(cls, email: str) -> "MemberExists":
        """The refusal naming the address, said once for every way of enrolling."""
        return cls(gettext("%(email)s is already a member.") % {"email": email})


class BirthdayChangeTooSoon(Problem):
    status = 422
    code = "birthday_change_too_soon"
    title = "The birthday can be changed once a year"


class InsufficientPoints(Problem):
    status = 422
    code = "insufficient_points"
    title = "Not enough points"
