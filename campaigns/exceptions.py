from cafe_loyalty.core.problems import Problem


class CouponInvalid(Problem):
    status, code, title = 404, "coupon_invalid", "Unknown coupon code"


class CouponExpired(Problem):
    status, code, title = 410, "coupon_expired", "Coupon expired"


class CouponUsed(Problem):
    status, code, title = 409, "coupon_used", "Coupon already used"


class CouponReserved(Problem):
    status, code, title = 409, "coupon_reserved", "Coupon held by another open order"


class CouponNotApplicable(Problem):
    status, code, title = 422, "coupon_not_applicable", "Coupon does not apply to this order"


class CouponNotStackable(Problem):
    status, code, title = 422, "coupon_not_stackable", "Coupon cannot be combined with another"


class ReferralRefused(Problem):
    status, code, title = 422, "referral_refused", "Referral not accepted"


class RewardUnavailable(Problem):
    status, code, title = 422, "reward_unavailable", "Reward not available"
