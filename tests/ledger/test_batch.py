"""The batch path with ids posted before: replays and conflicts as on the single path, nothing doubled."""
from __future__ import annotations

from core.errors import QenexError
from core.ledger.errors import IdConflict
from core.ledger.views import TransferRequest
from core.security.roles import SYSTEM_ACTOR as S


def test_a_batch_repeating_earlier_ids_replays_them_and_posts_the_new_ones(ledger, open_account):
    a, b = open_account(funds=5_000), open_account()
    ledger.transfer(S, TransferRequest("old-1", a, b, 100, "USD"))
    ledger.post_batch(S, [TransferRequest("old-2", a, b, 200, "USD")])
    results = ledger.post_batch(S, [
        TransferRequest("new-1", a, b, 300, "USD"),
        TransferRequest("old-1", a, b, 100, "USD"),
        TransferRequest("old-2", a, b, 999, "USD"),  # same id, other content
        TransferRequest("new-2", a, b, 400, "USD"),
    ])
    assert [r.replayed if not isinstance(r, QenexError) else type(r) for r in results] == [
        False, True, IdConflict, False]
    assert ledger.balance(S, b).current == 100 + 200 + 300 + 400
    assert ledger.totals_by_currency(S) == {"USD": 0}
