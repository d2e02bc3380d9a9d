"""The wallet suite's fixtures (a store with a terminal, funded members, an API client)."""

from tests.wallet.conftest import api, code_for, make_member, programme, shop, till  # noqa: F401
