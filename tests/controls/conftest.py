"""The wallet suite's fixtures (a store with a terminal, an API client, codes, the programme row)."""

from tests.wallet.conftest import api, code_for, programme, shop, till  # noqa: F401
