"""Payments' HTML views: the member portal's wallet pages and the barista till."""
