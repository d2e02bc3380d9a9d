from django.utils.translation import gettext_lazy as _

from cafe_loyalty.core.problems import Problem


class MemberExists(Problem):
    status = 409
    code = "member_exists"
    title = str(_("A member with this email already exists"))


class BirthdayChangeTooSoon(Problem):
    status = 422
    code = "birthday_change_too_soon"
    title = "The birthday can be changed once a year"


class InsufficientPoints(Problem):
    status = 422
    code = "insufficient_points"
    title = "Not enough points"
