"""Write services for payments; split by area (terminals, wallet, orders…)."""
