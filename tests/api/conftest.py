"""Personas with API tokens: Alice's token sees Alice's organisation, Bob's Bob's."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from belegsync.api import tokens
from belegsync.services import Actor


class ApiClient:
    """Django's test client with a bearer token on every request."""

    def __init__(self, secret: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {secret}"} if secret else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        if "data" in kwargs:  # a multipart form (uploads)
            return self.client.post(f"/api/v1{path}", kwargs["data"], headers=self.headers)
        return self.client.post(
            f"/api/v1{path}", body or {}, content_type="application/json", headers=self.headers
        )


@pytest.fixture
def alice_secret(alice) -> str:
    return tokens.issue(Actor.of(alice), "cron")[1]


@pytest.fixture
def as_alice(alice_secret) -> ApiClient:
    return ApiClient(alice_secret)


@pytest.fixture
def as_bob(bob) -> ApiClient:
    return ApiClient(tokens.issue(Actor.of(bob), "bob's script")[1])


@pytest.fixture
def anonymous(db) -> ApiClient:
    return ApiClient(None)
