"""Business operations that span apps: the one home of cross-app work (STYLE.md).

An app's services write that app's data and never reach into another app's
services. An operation that needs several apps lives here instead, and calls each
app's own services in the order the operation needs, inside one
``shop.transactions.run`` (one transaction where the database has them). Views,
legacy routes and commands call these functions like any other service.

* :func:`account_close`: closing a customer's account (accounts and orders).
"""

from __future__ import annotations

from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from orders import services as order_services
from shop import transactions


def account_close(*, user: User) -> None:
    """Close the account: every token dies, open orders are cancelled, the personal data goes.

    One business operation (one transaction where the database has them):

    1. accounts: the token version moves on, so every access and refresh token of the
       user is refused from now on (first, so that they die even if a later step fails);
    2. orders: every ``IN_PROGRESS`` order is cancelled with restock (by ``system``) and
       every order is detached from the person and kept for the shop's books;
    3. accounts: the user's row goes, with Django's related rows; the email can
       register again.

    Without a transaction (a standalone MongoDB server) each step stands on its own
    and leaves a consistent account, so a failure is finished by closing it again.
    """

    def close() -> None:
        account_services.user_token_version_bump(user_id=user.pk, now=timezone.now())
        # Before the row goes, while the orders still point at the user.
        order_services.orders_close_for_deleted_customer(customer=user)
        account_services.user_row_delete(user=user)

    transactions.run(close)
