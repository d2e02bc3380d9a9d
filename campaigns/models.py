"""Coupons, rewards, promotions, segments and campaigns (built on members)."""
